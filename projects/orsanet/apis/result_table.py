"""FERInferencer results as a table: one row per face per image or video frame (pandas).

Columns: ``source``, ``frame``, ``time`` (s; empty for images), ``face_id``, ``x1 y1 x2 y2``
(box, px), ``det_score``, ``alignment``, ``score_<class>`` for every class, ``label``, ``score``.
Images or frames without a classified face get one row with an empty face (``face_id`` -1, no
scores), so a video's table has a row for every processed frame.
"""
from typing import Sequence

import numpy as np

BASE_COLUMNS = ('source', 'frame', 'time', 'face_id', 'x1', 'y1', 'x2', 'y2', 'det_score',
                'alignment')


def results_to_dataframe(results: Sequence[dict], classes: Sequence[str]):
    """A ``pandas.DataFrame`` of FERInferencer results (see the module docstring)."""
    import pandas as pd

    score_cols = [f'score_{c}' for c in classes]
    rows = []
    for result in results:
        base = dict(source=result.get('source', ''), frame=result.get('frame'),
                    time=result.get('time'))
        if not result['faces']:
            rows.append(dict(base, face_id=-1, alignment='', label='',
                             **{c: np.nan for c in score_cols}))
        for face in result['faces']:
            x1, y1, x2, y2 = face['box']
            row = dict(base, face_id=face['face_id'], x1=x1, y1=y1, x2=x2, y2=y2,
                       det_score=face['det_score'], alignment=face['alignment'])
            row.update({col: float(face['class_scores'][c]) for col, c in zip(score_cols, classes)})
            row.update(label=face['label'], score=face['score'])
            rows.append(row)
    columns = list(BASE_COLUMNS) + score_cols + ['label', 'score']
    frame = pd.DataFrame(rows, columns=columns)
    frame['frame'] = frame['frame'].astype('Int64')
    frame['face_id'] = frame['face_id'].astype('Int64')
    return frame
