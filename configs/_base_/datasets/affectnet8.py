# AffectNet-8 (Neutral, Happy, Sad, Surprise, Fear, Disgust, Anger, Contempt), official layout:
#   data/AffectNet/Manually_Annotated_file_lists/{training,validation}.csv
#   data/AffectNet/Manually_Annotated_Images/<subDirectory_filePath>
# Training is capped at 5,000 images per class (37,553 train / 4,000 test images, spec section 2).
_base_ = ['./fer_pipelines.py']
dataset = dict(type='AffectNet', data_root='data/AffectNet', num_classes=8,
               data_prefix='Manually_Annotated_Images')
train_dataloader = dict(dataset=dict(
    dataset, max_per_class=5000, ann_file='Manually_Annotated_file_lists/training.csv'))
val_dataloader = test_dataloader = dict(dataset=dict(
    dataset, ann_file='Manually_Annotated_file_lists/validation.csv'))
