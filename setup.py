"""ORSANet-MM: occlusion-robust facial expression recognition for OpenMMLab."""
from setuptools import find_packages, setup


def read_version() -> str:
    scope: dict = {}
    with open('projects/orsanet/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


def read_requirements(path: str) -> list:
    """The requirement lines of a requirements file (comments and blank lines dropped)."""
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]


setup(
    name='orsanet',
    version=read_version(),
    description='ORSANet occlusion-robust facial expression recognition '
    'as OpenMMLab modules',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.10',
    package_dir={'orsanet': 'projects/orsanet'},
    packages=['orsanet'] + [
        f'orsanet.{p}' for p in find_packages(where='projects/orsanet')
    ],
    # mmcv is either distribution, `mmcv` (compiled ops) or `mmcv-lite` (orsanet serves the
    # common ops): neither is required by name, so `pip install -e .` into an environment with
    # either keeps it; a bare environment picks one with `.[lite]` or `.[full]`
    install_requires=[
        'mmengine>=0.10.7,<0.11', 'mmpretrain==1.2.*', 'mmsegmentation==1.2.*',
        'mmpose==1.3.*', 'torchvision'
    ],
    extras_require={
        'lite': ['mmcv-lite>=2.1.0,<2.2'],
        'full': ['mmcv>=2.1.0,<2.2'],
        # dlib's trained face detector and landmark models for inference (docs/inference.md)
        'dlib': read_requirements('requirements/dlib.txt'),
        # facenet-pytorch's MTCNN face detector (docs/inference.md): facenet-pytorch itself pins
        # torch<2.3, so it is NOT listed here (pip would replace this project's torch); install
        # it after this extra with pip install --no-deps -r requirements/mtcnn.txt (make
        # env-mtcnn does both). The extra brings what its package import needs.
        'mtcnn': ['requests>=2,<3'],
        # compiled CPU runtimes of the whole model (orsanet.runtime; docs/speed.md): the ONNX
        # export with onnxruntime (make env installs it), and OpenVINO
        'onnxruntime': read_requirements('requirements/onnxruntime.txt'),
        'openvino': read_requirements('requirements/openvino.txt'),
        'mim': read_requirements('requirements/mim.txt'),
    },
    license='Apache-2.0',
    zip_safe=False,
)
