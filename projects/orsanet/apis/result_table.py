"""FERInferencer results as a table: one row per face per image or video frame (pandas).

Columns: ``source``, ``frame``, ``time`` (s; empty for images), ``face_id`` (in a video the
face's id across frames), ``x1 y1 x2 y2`` (box, px), ``det_score``, ``lost_frames`` (0: located
in this frame; k: held from the frame k processed frames back, box and alignment from then),
``located`` (``detected``; ``followed``: moved by optical flow from the frame before, in a video
that runs its detector on every k-th frame only (``detect_every``); ``held``),
``alignment``, ``score_<class>`` for every class, ``label``, ``score``, ``expression``
(``computed``: the scores were computed on this frame; ``carried``: a video face classified at
a rate (``classify_hz``) carries the scores of ``computed_frame``), ``computed_frame``,
``note`` (the result's warnings: no face, unreadable input, held faces, conversions),
``vis_file`` (the drawn image of the row's input, relative to the run's ``out_dir``; empty when
none was drawn).
Images or frames without a classified face, and unreadable inputs, get one row with an empty
face (``face_id`` -1, no scores), so a video's table has a row for every processed frame and no
input is left out.
"""
from typing import Sequence

import numpy as np

BASE_COLUMNS = ('source', 'frame', 'time', 'face_id', 'x1', 'y1', 'x2', 'y2', 'det_score',
                'lost_frames', 'located', 'alignment')


def results_to_dataframe(results: Sequence[dict], classes: Sequence[str]):
    """A ``pandas.DataFrame`` of FERInferencer results (see the module docstring)."""
    import pandas as pd

    score_cols = [f'score_{c}' for c in classes]
    rows = []
    for result in results:
        base = dict(source=result.get('source', ''), frame=result.get('frame'),
                    time=result.get('time'), note='; '.join(result.get('warnings', [])),
                    vis_file=result.get('vis_file', ''))
        if not result['faces']:
            rows.append(dict(base, face_id=-1, located='', alignment='', label='', expression='',
                             **{c: np.nan for c in score_cols}))
        for face in result['faces']:
            x1, y1, x2, y2 = face['box']
            row = dict(base, face_id=face['face_id'], x1=x1, y1=y1, x2=x2, y2=y2,
                       det_score=face['det_score'], lost_frames=face.get('lost_frames', 0),
                       located=face.get('located', 'detected'),
                       alignment=face['alignment'])
            row.update({col: float(face['class_scores'][c]) for col, c in zip(score_cols, classes)})
            row.update(label=face['label'], score=face['score'],
                       expression=face.get('expression', 'computed'),
                       computed_frame=face.get('computed_frame', result.get('frame')))
            rows.append(row)
    columns = list(BASE_COLUMNS) + score_cols + ['label', 'score', 'expression',
                                                  'computed_frame', 'note', 'vis_file']
    frame = pd.DataFrame(rows, columns=columns)
    frame['frame'] = frame['frame'].astype('Int64')
    frame['face_id'] = frame['face_id'].astype('Int64')
    frame['lost_frames'] = frame['lost_frames'].astype('Int64')
    frame['computed_frame'] = frame['computed_frame'].astype('Int64')
    return frame
