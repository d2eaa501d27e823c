"""The 7 basic expressions as facial-geometry parameters (FACS-like action units, simplified).

An expression is a vector of :data:`PARAM_NAMES` offsets from a relaxed face; the renderer reads
them in :mod:`.geometry`. ``EXPRESSIONS`` gives each class's full-intensity offsets (RAF-DB class
order); a sample is ``identity resting offsets + intensity * class offsets + jitter``, so a weak
expression lies close to Neutral, as in real data.

Parameters (units: face half-widths unless noted; + means the direction named):
    brow_raise     whole brows up (AU1+2)               brow_inner   inner brow ends up (AU1)
    brow_furrow    inner brow ends down and inward (AU4) eye_open     upper lid up (+) / down (-)
    lower_lid      lower lid up (cheek raise, AU6/7)    mouth_curve  mouth corners up (+) / down (-)
    mouth_open     lip gap (AU25/26)                    mouth_stretch mouth wider (+) / rounder (-)
    upper_lip_raise upper lip up (AU10)                 lip_press    thinner, pressed lips (AU23/24)
    nose_wrinkle   nose shortened, alae up (AU9)        jaw_drop     chin down (AU26/27)
    smile_lines    nasolabial folds drawn (0..1)
"""
from typing import Dict

import numpy as np

CLASSES = ('Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger', 'Neutral')

PARAM_NAMES = ('brow_raise', 'brow_inner', 'brow_furrow', 'eye_open', 'lower_lid', 'mouth_curve',
               'mouth_open', 'mouth_stretch', 'upper_lip_raise', 'lip_press', 'nose_wrinkle',
               'jaw_drop', 'smile_lines')

# full-intensity offsets of each class (parameters not named are 0)
EXPRESSIONS: Dict[str, Dict[str, float]] = {
    'Surprise': dict(brow_raise=1.0, brow_inner=0.3, eye_open=0.6, lower_lid=-0.2,
                     mouth_open=1.0, mouth_stretch=-0.35, jaw_drop=1.0),
    'Fear': dict(brow_raise=0.55, brow_inner=0.9, brow_furrow=0.35, eye_open=0.7, lower_lid=0.1,
                 mouth_open=0.45, mouth_stretch=0.45, mouth_curve=-0.35, jaw_drop=0.35),
    'Disgust': dict(brow_raise=-0.45, brow_furrow=0.55, eye_open=-0.35, lower_lid=0.5,
                    nose_wrinkle=1.0, upper_lip_raise=1.0, mouth_curve=-0.45, mouth_open=0.1,
                    smile_lines=0.6),
    'Happiness': dict(mouth_curve=1.0, mouth_stretch=0.45, lower_lid=0.6, eye_open=-0.15,
                      brow_raise=0.1, smile_lines=1.0),
    'Sadness': dict(brow_inner=1.0, brow_raise=-0.15, brow_furrow=0.2, eye_open=-0.35,
                    mouth_curve=-0.9, mouth_stretch=-0.1, lip_press=0.3),
    'Anger': dict(brow_furrow=1.0, brow_raise=-0.7, eye_open=0.05, lower_lid=0.45,
                  lip_press=1.0, mouth_stretch=-0.2, mouth_curve=-0.25),
    'Neutral': dict(),
}


def class_vector(name: str) -> np.ndarray:
    """Full-intensity parameter offsets of class ``name`` as a vector over PARAM_NAMES."""
    if name not in EXPRESSIONS:
        raise KeyError(f'unknown expression {name!r}; expected one of {CLASSES}')
    return np.array([EXPRESSIONS[name].get(p, 0.0) for p in PARAM_NAMES], dtype=np.float64)


def sample_expression(label: int, rng: np.random.Generator,
                      intensity_range=(0.3, 1.0)) -> Dict[str, float]:
    """Parameters of one face showing class ``label`` (index into :data:`CLASSES`).

    The identity's resting face (small offsets every face has), plus ``intensity`` (uniform in
    ``intensity_range``) times the class offsets, plus small per-sample jitter.
    Anger and Happiness sometimes show teeth (open variant), as people do.
    """
    if not 0 <= label < len(CLASSES):
        raise ValueError(f'label {label} is outside 0..{len(CLASSES) - 1} ({CLASSES})')
    intensity = rng.uniform(*intensity_range)
    vec = intensity * class_vector(CLASSES[label])
    resting = rng.normal(0.0, 0.06, size=len(PARAM_NAMES))
    resting[PARAM_NAMES.index('mouth_open')] = abs(resting[PARAM_NAMES.index('mouth_open')]) * 0.5
    params = dict(zip(PARAM_NAMES, vec + resting))
    if CLASSES[label] in ('Anger', 'Happiness') and rng.random() < 0.35:
        params['mouth_open'] += 0.35 * intensity  # teeth shown
        params['lip_press'] *= 0.3
    params['intensity'] = intensity
    return params
