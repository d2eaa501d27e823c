# FERPlus, 8 classes (Neutral, Happiness, Surprise, Sadness, Anger, Disgust, Fear, Contempt) by
# majority vote of fer2013new.csv (see orsanet.datasets.ferplus.majority_label for the exclusions):
#   data/FERPlus/fer2013.csv (pixels), data/FERPlus/fer2013new.csv (votes)
# The dataset decodes the 48 x 48 grey pixels itself: no LoadImageFromFile in these pipelines.
# For pre-extracted class folders use layout='folder' and the pipelines of fer_pipelines.py.
_base_ = ['./fer_pipelines.py']
dataset = dict(type='FERPlus', data_root='data/FERPlus')
csv_train_pipeline = [
    {{_base_.flip}}, dict(type='PILResize', scale=(224, 224)), {{_base_.erasing}}, {{_base_.pack}}
]
csv_test_pipeline = [dict(type='PILResize', scale=(224, 224)), {{_base_.pack}}]
train_dataloader = dict(dataset=dict(dataset, split='train', pipeline=csv_train_pipeline))
# PublicTest for validation, PrivateTest for the final test
val_dataloader = dict(dataset=dict(dataset, split='val', pipeline=csv_test_pipeline))
test_dataloader = dict(dataset=dict(dataset, split='test', pipeline=csv_test_pipeline))
