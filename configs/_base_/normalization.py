# The input normalisation of ORSANet and of its priors: ImageNet mean / std on RGB (0-255), as the
# official code (ToTensor + Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])).
imagenet_rgb_mean = [123.675, 116.28, 103.53]
imagenet_rgb_std = [58.395, 57.12, 57.375]
imagenet_bgr_mean = [103.53, 116.28, 123.675]  # the same mean on BGR images, before normalising
