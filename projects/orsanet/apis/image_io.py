"""Reading what users give an inferencer: image files, arrays, folders and videos.

Every image becomes a BGR uint8 (H, W, 3) array (OpenCV's and MMPretrain's convention) plus an
``info`` dict that says what was done to it:

- EXIF orientation (phone photos) is applied, as image viewers do (``info['exif_orientation']``);
- grey, grey + alpha, palette, 16-bit and CMYK images are converted; an alpha channel is
  composited on white (``info['notes']``);
- a corrupt or missing file raises an error naming the file (:class:`UnreadableInputError` for a
  file that exists but cannot be decoded, which the inferencer can skip);
- an image of more than ``max_pixels`` pixels (:data:`DEFAULT_MAX_PIXELS`, 100 million: about
  1.2 GB while an RGB one is decoded, converted and drawn, 4 GB on the alpha path) is refused from
  its header, before it is decoded (a decompression bomb, e.g. a 600 KB 14000 x 14000 PNG, is one
  such file), as :class:`UnreadableInputError`;
- NaN or infinite pixels of a float array are refused (a cast would silently make them 0).
"""
import os
import os.path as osp
import threading
import warnings
from contextlib import contextmanager
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.gif', '.ppm', '.pgm')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg', '.wmv')
EXIF_ORIENTATION = 0x0112
# The largest image read by default (width x height): 100 million pixels (e.g. 12500 x 8000).
# An RGB image costs about 12 bytes a pixel at the peak of reading (PIL's decode, the BGR copy,
# the drawn copy), 1.2 GB here; the alpha and 16-bit paths about 40 (float copies), 4 GB: room to
# spare on an 8 GB machine. PIL's own guard (Image.MAX_IMAGE_PIXELS, 89.5 million) only warns
# below twice its limit, so it is replaced by this one.
DEFAULT_MAX_PIXELS = 100_000_000
_PIL_LIMIT_LOCK = threading.Lock()


class UnreadableInputError(ValueError):
    """An image or video file that exists but cannot be decoded (corrupt or unsupported)."""


def is_video(path: str) -> bool:
    return isinstance(path, str) and osp.splitext(path)[1].lower() in VIDEO_EXTS


def _composite_on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.float32)[..., None] / 255.0
    return np.clip(rgb.astype(np.float32) * a + 255.0 * (1 - a) + 0.5, 0, 255).astype(np.uint8)


@contextmanager
def _pil_limit(max_pixels: Optional[int]):
    """PIL's decompression-bomb guard off while ``max_pixels`` (checked by the caller from the
    header) is the limit; PIL's ``DecompressionBombError`` stays the guard of ``None``."""
    from PIL import Image

    with _PIL_LIMIT_LOCK, warnings.catch_warnings():
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        before = Image.MAX_IMAGE_PIXELS
        if max_pixels is not None:
            Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = before


def check_pixel_count(path: str, size: Tuple[int, int], max_pixels: Optional[int]) -> None:
    """Refuse an image whose header ``size`` (W, H) has more than ``max_pixels`` pixels."""
    width, height = size
    if max_pixels is not None and width * height > max_pixels:
        raise UnreadableInputError(
            f'image {path} is {width} x {height} = {width * height:,} pixels, over the limit of '
            f'{max_pixels:,} (max_pixels; --max-pixels on the command line): refused before '
            'decoding (a decompression bomb, or a photo to shrink first); raise the limit if it '
            'is a real photo and the memory (about 12 bytes a pixel) is there')


def load_image(path: str, max_pixels: Optional[int] = DEFAULT_MAX_PIXELS) -> Tuple[np.ndarray,
                                                                                 dict]:
    """A BGR uint8 image from a file, EXIF-rotated and converted to 3 channels.

    Args:
        path (str): The image file.
        max_pixels (int, optional): Refuse images of more pixels (width x height, read from the
            header before decoding) with :class:`UnreadableInputError`. None: PIL's own limit.
            Defaults to :data:`DEFAULT_MAX_PIXELS` (100 million).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not osp.isfile(path):
        raise FileNotFoundError(f'image {path} does not exist')
    try:
        with _pil_limit(max_pixels):
            img = Image.open(path)  # reads the header only
        with img:
            check_pixel_count(path, img.size, max_pixels)
            with _pil_limit(max_pixels):
                img.load()
            orientation = int(img.getexif().get(EXIF_ORIENTATION, 1))
            info = dict(source=path, mode=img.mode, exif_orientation=orientation, notes=[])
            if orientation != 1:
                img = ImageOps.exif_transpose(img)
                info['notes'].append(f'EXIF orientation {orientation} applied')
            array = _pil_to_bgr(img, info)
    except Image.DecompressionBombError as err:  # max_pixels=None: PIL's limit
        raise UnreadableInputError(f'cannot read image {path}: {err}') from err
    except MemoryError as err:
        raise UnreadableInputError(f'cannot read image {path}: not enough memory to decode it '
                                   '(lower max_pixels / --max-pixels to refuse such images '
                                   'before decoding)') from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        if isinstance(err, UnreadableInputError):
            raise
        raise UnreadableInputError(f'cannot read image {path} ({err}); is it a corrupt or '
                                   'unsupported file?') from err
    return array, info


def _pil_to_bgr(img, info: dict) -> np.ndarray:
    mode = img.mode
    if mode in ('RGBA', 'LA', 'PA') or (mode == 'P' and 'transparency' in img.info):
        rgba = np.asarray(img.convert('RGBA'))
        info['notes'].append(f'{mode} image: alpha composited on white')
        rgb = _composite_on_white(rgba[..., :3], rgba[..., 3])
    elif mode in ('I;16', 'I;16B', 'I;16L', 'I', 'F'):
        values = np.asarray(img, dtype=np.float64)
        top = values.max() if values.max() > 255 else 255.0
        grey = np.clip(values / max(top, 1e-12) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        info['notes'].append(f'{mode} image scaled to 8-bit grey')
        rgb = np.repeat(grey[..., None], 3, axis=2)
    else:
        if mode != 'RGB':
            info['notes'].append(f'{mode} image converted to RGB')
        rgb = np.asarray(img.convert('RGB'))
    return np.ascontiguousarray(rgb[..., ::-1])


def array_to_bgr(array: np.ndarray, name: str = 'array') -> Tuple[np.ndarray, dict]:
    """A BGR uint8 image from an array: (H, W) grey, (H, W, 1), (H, W, 3) BGR or (H, W, 4) BGRA,
    uint8 or float in [0, 1]."""
    array = np.asarray(array)
    info = dict(source=name, mode=f'array{tuple(array.shape)} {array.dtype}', exif_orientation=1,
                notes=[])
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
            bad = ~np.isfinite(array)
            pixels = bad.reshape(*array.shape[:2], -1).any(-1) if array.ndim >= 2 else bad
            raise ValueError(f'{name}: {int(pixels.sum())} of {pixels.size} pixels of the float '
                             'image are NaN or infinite; fill or mask them before inference '
                             '(a cast would make them black)')
        if not np.issubdtype(array.dtype, np.floating) or array.size == 0 or array.min() < 0 \
                or array.max() > 1:
            raise ValueError(f'{name}: image arrays must be uint8 or float in [0, 1], got '
                             f'{array.dtype} in [{array.min() if array.size else "-"}, '
                             f'{array.max() if array.size else "-"}]')
        array = np.clip(array * 255.0 + 0.5, 0, 255).astype(np.uint8)
        info['notes'].append('float image scaled from [0, 1] to uint8')
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        info['notes'].append('grey image converted to BGR')
        return cv2.cvtColor(array, cv2.COLOR_GRAY2BGR), info
    if array.ndim == 3 and array.shape[2] == 4:
        info['notes'].append('BGRA image: alpha composited on white')
        return _composite_on_white(array[..., :3], array[..., 3]), info
    if array.ndim == 3 and array.shape[2] == 3:
        return np.ascontiguousarray(array), info
    raise ValueError(f'{name}: expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape '
                     f'{array.shape}')


InputItem = Tuple[str, Union[str, np.ndarray], str]  # (kind, value, name)


def expand_inputs(inputs) -> List[InputItem]:
    """``[(kind, value, name)]`` with kind ``'image'``, ``'array'`` or ``'video'``; folders are
    expanded to their images and videos (sorted, not recursive)."""
    if isinstance(inputs, (str, os.PathLike, np.ndarray)):
        inputs = [inputs]
    items: List[InputItem] = []
    for index, item in enumerate(inputs):
        if isinstance(item, np.ndarray):
            items.append(('array', item, f'array_{index}'))
            continue
        path = os.fspath(item)
        if osp.isdir(path):
            names = sorted(n for n in os.listdir(path)
                           if osp.splitext(n)[1].lower() in IMAGE_EXTS + VIDEO_EXTS)
            if not names:
                raise FileNotFoundError(f'folder {path} holds no image or video files '
                                        f'({", ".join(IMAGE_EXTS + VIDEO_EXTS)})')
            items.extend(expand_inputs([osp.join(path, n) for n in names]))
        elif not osp.isfile(path):
            raise FileNotFoundError(f'input {path} does not exist')
        else:
            items.append(('video' if is_video(path) else 'image', path, path))
    return items


def open_video(source: Union[str, int]) -> cv2.VideoCapture:
    """An opened ``cv2.VideoCapture`` of a file or a camera index."""
    if isinstance(source, str) and not osp.isfile(source):
        raise FileNotFoundError(f'video {source} does not exist')
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        raise UnreadableInputError(f'cannot open video {source} with OpenCV (corrupt file, '
                                   'unsupported codec or camera?)')
    return capture


def iter_video(capture: cv2.VideoCapture, every: int = 1,
               max_frames: Union[int, None] = None) -> Iterator[Tuple[int, float, np.ndarray]]:
    """``(frame index, time in s, BGR frame)`` of every ``every``-th frame."""
    fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
    index = done = 0
    while max_frames is None or done < max_frames:
        ok, frame = capture.read()
        if not ok:
            break
        if index % every == 0:
            yield index, (index / fps if fps > 0 else float('nan')), frame
            done += 1
        index += 1


def video_props(capture: cv2.VideoCapture) -> dict:
    """fps, frame count and (width, height) as OpenCV reports them."""
    return dict(fps=float(capture.get(cv2.CAP_PROP_FPS) or 0.0),
                frames=int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
                size=(int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                      int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))))


def class_columns(classes: Sequence[str]) -> List[str]:
    """Score column names of the result table: ``score_<class>``."""
    return [f'score_{c}' for c in classes]
