"""backbones of ORSANet-MM."""
from .face_swin import FaceSwinTransformer  # noqa: F401
from .iresnet import IResNet  # noqa: F401
from .mobilefacenet import MobileFaceNet  # noqa: F401
