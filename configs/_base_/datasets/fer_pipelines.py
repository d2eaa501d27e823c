# Shared by the FER dataset configs: the official ORSANet pipelines (spec section 2) and loaders.
# The official code loads faces with PIL and runs torchvision's
#   train: RandomHorizontalFlip -> Resize((224, 224)) -> ToTensor -> Normalize -> RandomErasing
#   test:  Resize((224, 224)) -> ToTensor -> Normalize
# These pipelines give the same tensors (after the model's data_preprocessor normalises them):
# PIL decoding, torchvision's antialiased resize on the PIL image, torchvision's erasing box.
# The cv2_* pipelines are the faster OpenCV path (docs/datasets.md gives the difference); use
# them with `dataset=dict(pipeline={{_base_.cv2_train_pipeline}})`.
# 'subset_tags' (set by a dataset's subset_file / tag_files) reaches FERMetric through PackInputs
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'subset_tags')
# PIL's RGB conversion, no EXIF rotation: what torchvision's ImageFolder loader does
load_as_official = dict(type='LoadImageFromFile', imdecode_backend='pillow',
                        color_type='color_ignore_orientation')

flip = dict(type='RandomFlip', prob=0.5, direction='horizontal')
# torchvision's RandomErasing box, filled with the ImageNet mean (0 once normalised)
erasing = dict(type='TorchvisionErasing', prob=0.5, scale=(0.02, 0.1))
pack = dict(type='PackInputs', meta_keys=meta_keys)
train_pipeline = [load_as_official, flip, dict(type='PILResize', scale=(224, 224)), erasing, pack]
test_pipeline = [load_as_official, dict(type='PILResize', scale=(224, 224)), pack]
cv2_train_pipeline = [
    dict(type='LoadImageFromFile'), flip, dict(type='Resize', scale=(224, 224)), erasing, pack
]
cv2_test_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(224, 224)), pack]
# Loaders that keep a GPU fed: 4 decoding workers each, kept alive across epochs, batches in
# pinned memory (tools/train.py and tools/test.py drop pin_memory without CUDA and
# persistent_workers with num_workers=0). Training draws with the official sampler: every
# dataset (RAF-DB included, by a bug) through an imbalanced sampler, weight 1/count(class),
# len(dataset) draws with replacement per epoch, split across ranks without overlap.
train_dataloader = dict(
    batch_size=20,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    dataset=dict(pipeline=train_pipeline),
    sampler=dict(type='ImbalancedSampler'))
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
