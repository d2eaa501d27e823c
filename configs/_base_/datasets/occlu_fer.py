# Occlu-FER, 8 classes in folder-code order AN, CO, DI, FE, HA, NE, SA, SU:
#   data/Occlu-FER/train/<code>/*, data/Occlu-FER/valid/<code>/*  (6,838 / 880 images)
_base_ = ['./fer_pipelines.py']
dataset_type = 'OccluFER'
data_root = 'data/Occlu-FER'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, data_prefix='train'))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, data_prefix='valid'))
test_dataloader = val_dataloader
