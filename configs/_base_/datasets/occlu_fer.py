# Occlu-FER: the class folders present, in the official order AN, DI, FE, HA, NE, SA, SU, then CO
# if there is a CO folder (the release's last commit dropped CO; its train.py still builds an 8th
# output, which data without CO never trains):
#   data/Occlu-FER/train/<code>/*, data/Occlu-FER/valid/<code>/*  (6,838 / 880 images)
_base_ = ['./fer_pipelines.py']
dataset = dict(type='OccluFER', data_root='data/Occlu-FER')
train_dataloader = dict(dataset=dict(dataset, data_prefix='train'))
val_dataloader = test_dataloader = dict(dataset=dict(dataset, data_prefix='valid'))
