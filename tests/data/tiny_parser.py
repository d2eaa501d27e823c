# The tiny stock mmseg parser (narrow ResNetV1c-18 + FCN head, 11 LaPa classes, random weights)
# that the small ORSANet test configs use as their semantic prior: `{{_base_.tiny_parser}}`.
tiny_parser = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='ResNetV1c', depth=18, num_stages=3, out_indices=(2, ),
                  strides=(2, 2, 2), dilations=(1, 1, 1)),
    decode_head=dict(type='FCNHead', in_channels=256, channels=16, num_convs=1,
                     num_classes=11, in_index=0, loss_decode=dict(type='CrossEntropyLoss')))
