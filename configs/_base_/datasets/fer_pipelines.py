# Shared by the FER dataset configs: the official ORSANet pipelines (spec section 2) and loaders.
# Train: horizontal flip, resize to 224 x 224, RandomErasing(p 0.5, area 0.02-0.1); test: resize.
# Normalisation is the model's data_preprocessor. The dataset configs add the dataset itself.
bgr_mean = [103.53, 116.28, 123.675]  # RandomErasing runs before normalisation, on BGR images
# 'subset_tags' (set by a dataset's subset_file / tag_files) reaches FERMetric through PackInputs
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'subset_tags')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=(224, 224)),
    # official: torchvision RandomErasing(p=0.5, scale=(0.02, 0.1)) on the normalised tensor, i.e.
    # the erased box becomes the mean colour
    dict(type='RandomErasing', erase_prob=0.5, min_area_ratio=0.02, max_area_ratio=0.1,
         mode='const', fill_color=bgr_mean),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224)),
    dict(type='PackInputs', meta_keys=meta_keys),
]
# Loaders that keep a GPU fed: 4 decoding workers each, kept alive across epochs, batches in
# pinned memory (tools/train.py and tools/test.py drop pin_memory without CUDA and
# persistent_workers with num_workers=0)
train_dataloader = dict(
    batch_size=20,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    dataset=dict(pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    dataset=dict(pipeline=test_pipeline, test_mode=True),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
# 'accuracy/top1' for checkpoint selection; FERMetric adds mean class accuracy, macro-F1,
# per-class scores, the confusion matrix and all of them per subset tag ('fer/...')
val_evaluator = [dict(type='Accuracy', topk=(1, )), dict(type='FERMetric')]
test_evaluator = val_evaluator
