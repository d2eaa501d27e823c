"""Expression class names of the FER datasets and their normalisation.

Datasets name the same expression differently (RAF-DB ``Happiness``, AffectNet ``Happy``,
Occlu-FER folder ``HA``). :func:`normalize_class_name` maps every spelling to one canonical
lower-case name, so a model trained on one dataset can be scored on another by class NAME (see
``FERMetric``).
"""
from typing import Dict, List, Optional, Sequence

# spelling (lower case) -> canonical name
_ALIASES: Dict[str, str] = {
    'an': 'anger', 'anger': 'anger', 'angry': 'anger',
    'co': 'contempt', 'contempt': 'contempt',
    'di': 'disgust', 'disgust': 'disgust', 'disgusted': 'disgust',
    'fe': 'fear', 'fear': 'fear', 'fearful': 'fear',
    'ha': 'happiness', 'happiness': 'happiness', 'happy': 'happiness',
    'ne': 'neutral', 'neutral': 'neutral',
    'sa': 'sadness', 'sadness': 'sadness', 'sad': 'sadness',
    'su': 'surprise', 'surprise': 'surprise', 'surprised': 'surprise',
}


def normalize_class_name(name: str) -> str:
    """Canonical lower-case name of an expression class (``'HA'``, ``'Happy'`` -> ``'happiness'``).

    Names that are not known expressions are returned stripped and lower-cased.
    """
    key = str(name).strip().lower()
    return _ALIASES.get(key, key)


def match_classes(source: Sequence[str], target: Sequence[str]) -> List[Optional[int]]:
    """For each class of ``source``, the index of the class of ``target`` with the same
    normalised name, or ``None`` if ``target`` has no such class."""
    index = {}
    for i, name in enumerate(target):
        canonical = normalize_class_name(name)
        if canonical in index:
            raise ValueError(f'class names {list(target)} contain {canonical!r} twice '
                             '(after normalisation); class names must be unique')
        index[canonical] = i
    return [index.get(normalize_class_name(name)) for name in source]
