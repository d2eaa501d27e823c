"""Real face photographs that ship inside scikit-image (offline; nothing is downloaded).

``skimage.data.astronaut()`` (512 x 512 colour portrait, one face) and ``skimage.data.lfw_subset()``
(200 grey 25 x 25 crops of Labeled Faces in the Wild: 100 faces, then 100 non-faces) are in the
wheel itself. The LFW crops are tight, so :func:`lfw_face` upscales one and pads it with
replicated borders, which gives OpenCV's Haar detector the context it needs.
"""
from typing import List

import cv2
import numpy as np


def astronaut() -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins), BGR uint8 (512, 512, 3)."""
    from skimage import data
    return np.ascontiguousarray(data.astronaut()[..., ::-1])


def _lfw() -> np.ndarray:
    from skimage import data
    return data.lfw_subset()


def lfw_face(index: int, size: int = 100, pad: int = 30) -> np.ndarray:
    """LFW face ``index`` (0-99), grey uint8 (size + 2 pad) square: upscaled, border-padded."""
    if not 0 <= index < 100:
        raise IndexError(f'the LFW subset has faces 0-99 (100-199 are non-faces), got {index}')
    face = (_lfw()[index] * 255 + 0.5).astype(np.uint8)
    face = cv2.resize(face, (size, size), interpolation=cv2.INTER_CUBIC)
    return cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)


def lfw_non_face(index: int, size: int = 100, pad: int = 30) -> np.ndarray:
    """LFW non-face patch ``index`` (0-99), prepared like :func:`lfw_face`."""
    patch = (_lfw()[100 + index] * 255 + 0.5).astype(np.uint8)
    patch = cv2.resize(patch, (size, size), interpolation=cv2.INTER_CUBIC)
    return cv2.copyMakeBorder(patch, pad, pad, pad, pad, cv2.BORDER_REPLICATE)


def lfw_group(indices: List[int], size: int = 100, pad: int = 30) -> np.ndarray:
    """Several LFW faces side by side in one grey image (a "group photo")."""
    return np.concatenate([lfw_face(i, size, pad) for i in indices], axis=1)


def moving_face_frames(count: int = 12, face_px: int = 60, size=(400, 320),
                       step: int = 4) -> List[np.ndarray]:
    """Frames of a synthetic clip: the astronaut scaled so that her face is about ``face_px``
    wide, on a grey background, moving right ``step`` px a frame; BGR uint8 (H, W, 3) each."""
    width, height = size
    side = int(round(512 * face_px / 95))  # her face is about 95 px wide in the 512-px photo
    portrait = cv2.resize(astronaut(), (side, side), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(count):
        frame = np.full((height, width, 3), 90, np.uint8)
        x = step * i
        crop = portrait[:height, :max(min(side, width - x), 0)]
        frame[:crop.shape[0], x:x + crop.shape[1]] = crop
        frames.append(frame)
    return frames


def face_row_frames(count: int = 60, faces: int = 3, face_px: int = 70, size=(640, 480),
                    step: int = 1) -> List[np.ndarray]:
    """Frames of a synthetic clip with ``faces`` copies of the astronaut side by side (faces about
    ``face_px`` wide) on a grey background, swaying right ``step`` px a frame over 20 frames and
    jumping back; BGR uint8 (H, W, 3) each."""
    width, height = size
    side = int(round(512 * face_px / 95))
    portrait = cv2.resize(astronaut(), (side, side), interpolation=cv2.INTER_AREA)
    pitch, top = (width - 10) // faces, height // 8
    frames = []
    for i in range(count):
        frame = np.full((height, width, 3), 90, np.uint8)
        for k in range(faces):
            x = 10 + pitch * k + step * (i % 20)
            crop = portrait[:height - top, :max(min(side, width - x), 0)]
            frame[top:top + crop.shape[0], x:x + crop.shape[1]] = crop
        frames.append(frame)
    return frames


def speed_clips(out_dir: str) -> List[str]:
    """The inputs of the speed tool's face-pipeline rows (docs/speed.md) written to ``out_dir``:
    the 512-px astronaut photo and two 640x480 MJPG clips at 25 fps, 60 frames (one 120-px face
    moving 2 px a frame; three 70-px faces). Returns the three paths."""
    paths = [f'{out_dir}/astronaut.png', f'{out_dir}/one_face_640x480.avi',
             f'{out_dir}/three_faces_640x480.avi']
    if not cv2.imwrite(paths[0], astronaut()):
        raise OSError(f'OpenCV cannot write {paths[0]}')
    write_video(paths[1], moving_face_frames(60, face_px=120, size=(640, 480), step=2), 25.0)
    write_video(paths[2], face_row_frames(), 25.0)
    return paths


def write_video(path: str, frames: List[np.ndarray], fps: float = 10.0) -> str:
    """``frames`` (BGR uint8, one size) as a video file (MPEG-4 for .mp4, MJPG for .avi)."""
    fourcc = cv2.VideoWriter_fourcc(*('MJPG' if path.lower().endswith('.avi') else 'mp4v'))
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, fourcc, fps, (width, height))
    if not writer.isOpened():
        raise OSError(f'OpenCV cannot write the video {path}')
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def read_video(path: str) -> List[np.ndarray]:
    """Every frame of a video file, BGR uint8."""
    capture = cv2.VideoCapture(path)
    frames = []
    ok, frame = capture.read()
    while ok:
        frames.append(frame)
        ok, frame = capture.read()
    capture.release()
    return frames
