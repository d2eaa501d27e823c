# The tiny stock-mmpretrain classifier (tiny_classifier.py) on an Occlu-FER layout: 8 classes,
# <data_root>/{train,valid}/{AN,CO,DI,FE,HA,NE,SA,SU}/*.png (the test passes data_root).
_base_ = ['./tiny_classifier.py']

data_root = 'data/Occlu-FER'
model = dict(head=dict(num_classes=8))
data_preprocessor = dict(num_classes=8)
train_dataloader = dict(
    dataset=dict(_delete_=True, type='OccluFER', data_root=data_root, data_prefix='train',
                 pipeline={{_base_.pipeline}}))
val_dataloader = dict(
    dataset=dict(_delete_=True, type='OccluFER', data_root=data_root, data_prefix='valid',
                 pipeline={{_base_.pipeline}}, test_mode=True))
test_dataloader = val_dataloader
