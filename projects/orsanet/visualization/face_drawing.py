"""Drawing FER results and explanation maps on images (OpenCV, BGR uint8; fast enough per frame).

- :func:`draw_fer_result`: every face's box, the points used for alignment, the label with its
  score and the top classes as bars; skipped (too small) faces in grey; "no face found".
- :func:`overlay_heatmap`: a [0, 1] map in colour over an image.
- :func:`map_to_image`: a map in aligned-crop pixels warped back onto the original image.
"""
from typing import Optional, Sequence

import cv2
import numpy as np

FACE_COLOUR = (60, 200, 60)  # BGR
SKIP_COLOUR = (160, 160, 160)
POINT_COLOURS = [(255, 80, 80), (255, 80, 80), (80, 220, 255), (80, 80, 255), (80, 80, 255)]
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _text(image: np.ndarray, text: str, org, scale: float, colour, thickness: int = 1) -> None:
    """Text on a filled dark box, kept inside the image."""
    (w, h), base = cv2.getTextSize(text, FONT, scale, thickness)
    x = int(min(max(org[0], 0), max(image.shape[1] - w - 2, 0)))
    y = int(min(max(org[1], h + 2), image.shape[0] - base - 1))
    cv2.rectangle(image, (x, y - h - 2), (x + w + 2, y + base), (30, 30, 30), cv2.FILLED)
    cv2.putText(image, text, (x + 1, y), FONT, scale, colour, thickness, cv2.LINE_AA)


def draw_fer_result(image: np.ndarray, result: dict, top_k: int = 3,
                    classes: Optional[Sequence[str]] = None) -> np.ndarray:
    """A copy of the BGR ``image`` with ``result`` (one entry of FERInferencer's output) drawn."""
    canvas = image.copy()
    side = max(min(canvas.shape[:2]), 1)
    scale = max(0.35, side / 900)
    thick = max(1, int(round(side / 400)))
    for face in result.get('faces', []):
        x1, y1, x2, y2 = (int(round(v)) for v in face['box'])
        cv2.rectangle(canvas, (x1, y1), (x2, y2), FACE_COLOUR, thick, cv2.LINE_AA)
        for i, (px, py) in enumerate(face.get('points', [])):
            cv2.circle(canvas, (int(round(px)), int(round(py))), max(2, thick + 1),
                       POINT_COLOURS[i % len(POINT_COLOURS)], cv2.FILLED, cv2.LINE_AA)
        _text(canvas, f"{face['label']} {face['score']:.2f}", (x1, y1 - 4), scale, FACE_COLOUR,
              thick)
        names = classes or list(face['class_scores'])
        scores = np.array([face['class_scores'][n] for n in names])
        bar_w, bar_h = max(x2 - x1, 40), max(int(12 * scale / 0.5), 8)
        for row, idx in enumerate(np.argsort(-scores)[:top_k]):
            top = y2 + 4 + row * (bar_h + 2)
            if top + bar_h >= canvas.shape[0]:
                break
            cv2.rectangle(canvas, (x1, top), (x1 + int(bar_w * scores[idx]), top + bar_h),
                          FACE_COLOUR, cv2.FILLED)
            _text(canvas, f'{names[idx]} {scores[idx]:.2f}', (x1 + 2, top + bar_h - 1),
                  scale * 0.8, (255, 255, 255), 1)
    for face in result.get('skipped', []):
        x1, y1, x2, y2 = (int(round(v)) for v in face['box'])
        cv2.rectangle(canvas, (x1, y1), (x2, y2), SKIP_COLOUR, thick, cv2.LINE_AA)
        _text(canvas, face['reason'].split(':')[0], (x1, y1 - 4), scale * 0.8, SKIP_COLOUR)
    if not result.get('faces'):
        _text(canvas, 'no face found', (5, 5), scale, (80, 80, 255), thick)
    return canvas


def overlay_heatmap(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5,
                    mask: Optional[np.ndarray] = None) -> np.ndarray:
    """``image`` (H, W, 3) BGR blended with ``heat`` (h, w) in [0, 1] in the JET colour map;
    with ``mask`` (H, W) in [0, 1], only where the mask is (e.g. the face region)."""
    heat = cv2.resize(np.asarray(heat, np.float32), (image.shape[1], image.shape[0]),
                      interpolation=cv2.INTER_CUBIC)
    colour = cv2.applyColorMap(np.clip(heat * 255, 0, 255).astype(np.uint8), cv2.COLORMAP_JET)
    if mask is None:
        return cv2.addWeighted(image, 1 - alpha, colour, alpha, 0)
    weight = alpha * np.clip(np.asarray(mask, np.float32), 0, 1)[..., None]
    blend = image.astype(np.float32) * (1 - weight) + colour.astype(np.float32) * weight
    return np.clip(blend + 0.5, 0, 255).astype(np.uint8)


def map_to_image(crop_map: np.ndarray, matrix: np.ndarray, crop_size: int,
                 image_shape) -> np.ndarray:
    """A map over the aligned crop (any resolution) in the original image's pixels (0 outside),
    using the inverse of the alignment warp ``matrix`` (2 x 3, image -> crop)."""
    crop_map = cv2.resize(np.asarray(crop_map, np.float32), (crop_size, crop_size),
                          interpolation=cv2.INTER_CUBIC)
    inverse = cv2.invertAffineTransform(np.asarray(matrix, np.float64))
    return cv2.warpAffine(crop_map, inverse, (image_shape[1], image_shape[0]),
                          flags=cv2.INTER_LINEAR, borderValue=0)


def normalise_map(values: np.ndarray) -> np.ndarray:
    """Scale a map to [0, 1] (constant maps become 0)."""
    values = np.asarray(values, np.float64)
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 1e-12 else np.zeros_like(values)
