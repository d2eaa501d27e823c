# RAF-DB basic in the ImageFolder layout the official ORSANet code reads:
#   data/RAF-DB/train/<class>/*.jpg, data/RAF-DB/test/<class>/*.jpg
# with the class folders sorted as below (the official list's order, labels 1..7 -> 0..6).
# A reader of the official list_patition_label.txt layout comes with the datasets issue.
dataset_type = 'CustomDataset'
data_root = 'data/RAF-DB'
classes = ['Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger', 'Neutral']
bgr_mean = [103.53, 116.28, 123.675]  # RandomErasing runs before normalisation, on BGR images

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=(224, 224)),
    # official: torchvision RandomErasing(p=0.5, scale=(0.02, 0.1)) on the normalised tensor, i.e.
    # the erased box becomes the mean colour
    dict(type='RandomErasing', erase_prob=0.5, min_area_ratio=0.02, max_area_ratio=0.1,
         mode='const', fill_color=bgr_mean),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=20,
    num_workers=4,
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='train',
                 classes=classes, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='test',
                 classes=classes, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
