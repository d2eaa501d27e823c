"""Where an occluder goes: the face's geometry from 68 landmarks, a LaPa parsing map or the box.

:class:`FaceGeometry` holds the face box (the region whose covered share is the severity, see
:mod:`.severity`) and the facial parts the shapes are placed by, in pixels of the image.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

Box = Tuple[int, int, int, int]
# LaPa label ids of the parts (1 skin, 10 hair)
LAPA_EYES, LAPA_BROWS, LAPA_NOSE, LAPA_MOUTH = (4, 5), (2, 3), (6, ), (7, 8, 9)


@dataclass
class FaceGeometry:
    """Where the facial parts are (pixels, x right / y down).

    Args:
        box (tuple): Face box ``(x1, y1, x2, y2)``, exclusive ends.
        eyes (np.ndarray): 2 x 2, the two eye centres (image left one first).
        nose (np.ndarray): 2, nose tip.
        mouth (np.ndarray): 2, mouth centre.
        chin_y (float): Lowest point of the face.
    """
    box: Box
    eyes: np.ndarray
    nose: np.ndarray
    mouth: np.ndarray
    chin_y: float

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    @property
    def height(self) -> float:
        return float(self.box[3] - self.box[1])

    @property
    def angle(self) -> float:
        """Angle of the eye line in degrees (cv2 convention, y down)."""
        dx, dy = self.eyes[1] - self.eyes[0]
        return float(np.degrees(np.arctan2(dy, dx)))

    @property
    def eye_span(self) -> float:
        return float(max(np.linalg.norm(self.eyes[1] - self.eyes[0]), 1.0))


def landmark_geometry(points: np.ndarray, box: Box) -> FaceGeometry:
    """From the 68 iBUG-300W landmarks, 68 x 2 pixels (x, y)."""
    eyes = np.stack([points[36:42].mean(0), points[42:48].mean(0)])
    return FaceGeometry(box, eyes[np.argsort(eyes[:, 0])], points[30].copy(),
                        points[48:68].mean(0), float(points[8, 1]))


def parsing_geometry(seg: np.ndarray, box: Box) -> Optional[FaceGeometry]:
    """From a LaPa parsing map (H x W labels 0..10); None when eyes (or brows), nose or mouth
    are missing from it."""
    def centre(labels):
        ys, xs = np.nonzero(np.isin(seg, labels))
        return None if len(xs) == 0 else np.array([xs.mean(), ys.mean()])

    eyes = [centre((a, )) for a in LAPA_EYES]
    if any(e is None for e in eyes):
        eyes = [centre((a, )) for a in LAPA_BROWS]
    nose, mouth = centre(LAPA_NOSE), centre(LAPA_MOUTH)
    if any(e is None for e in eyes) or nose is None or mouth is None:
        return None
    ys = np.nonzero(np.isin(seg, range(1, 10)))[0]
    eyes = np.stack(eyes)
    return FaceGeometry(box, eyes[np.argsort(eyes[:, 0])], nose, mouth, float(ys.max()))


def box_geometry(box: Box) -> FaceGeometry:
    """From the face box alone: the average proportions of an aligned face crop."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    eyes = np.array([[x1 + 0.32 * w, y1 + 0.4 * h], [x1 + 0.68 * w, y1 + 0.4 * h]])
    return FaceGeometry(box, eyes, np.array([x1 + 0.5 * w, y1 + 0.6 * h]),
                        np.array([x1 + 0.5 * w, y1 + 0.76 * h]), y1 + 0.95 * h)
