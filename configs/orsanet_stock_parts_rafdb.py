# ORSANet's fusion, MCM and DARE head around STOCK parts, by config alone: an mmpretrain
# ResNet-50 as the image backbone, mmseg's BiSeNetV2 as the face parser (its parsing
# probabilities, the paper's "maps") and mmpose's HRNetV2-W18 WFLW face model as the landmark
# prior (its 98 heatmaps). Train the two priors on face data with their own toolboxes first
# and point `checkpoint` at the results.
_base_ = ['./orsanet_r50_rafdb.py']

model = dict(
    backbone=dict(_delete_=True, type='ResNet', depth=50, num_stages=3, out_indices=(2, ),
                  strides=(1, 2, 2), dilations=(1, 1, 1)),
    semantic_prior=dict(
        _delete_=True,
        type='SemanticPrior',
        model='mmseg::_base_/models/bisenetv2.py',
        checkpoint='checkpoints/bisenetv2_face_parsing.pth',
        output='probs'),
    landmark_prior=dict(
        _delete_=True,
        type='LandmarkPrior',
        model='mmpose::face_2d_keypoint/topdown_heatmap/wflw/'
        'td-hm_hrnetv2-w18_8xb64-60e_wflw-256x256.py',
        checkpoint='checkpoints/hrnetv2_w18_wflw.pth',
        output='heatmaps',
        input_size=256,
        resize_mode='bilinear'),
    token_layout='spatial')
