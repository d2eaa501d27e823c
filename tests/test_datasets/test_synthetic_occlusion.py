"""SyntheticOcclusion: determinism, coverage = severity, placement by landmarks / parsing map."""
import os.path as osp

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope

from orsanet.datasets.transforms import SyntheticOcclusion

TYPES = ('patch', 'eye_bar', 'mask', 'hand', 'scarf', 'object')
SIZE = 112
EYES = np.array([[38.0, 32.0], [74.0, 32.0]])  # higher than an aligned crop's average (y 45)
MOUTH = np.array([56.0, 88.0])


def _ring(centre, rx, ry, n):
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([centre[0] + rx * np.cos(a), centre[1] + ry * np.sin(a)], 1)


def landmarks68() -> np.ndarray:
    """68 iBUG points: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67."""
    t = np.linspace(np.pi, 0, 17)
    jaw = np.stack([56 + 44 * np.cos(t), 40 + 66 * np.sin(t)], 1)  # point 8: chin (56, 106)
    brows = np.stack([np.r_[np.linspace(26, 48, 5), np.linspace(64, 86, 5)], np.full(10, 22)], 1)
    nose = np.r_[np.stack([np.full(4, 56.0), np.linspace(36, 62, 4)], 1),
                 np.stack([np.linspace(48, 64, 5), np.full(5, 66.0)], 1)]
    eyes = np.r_[_ring(EYES[0], 7, 3, 6), _ring(EYES[1], 7, 3, 6)]
    mouth = np.r_[_ring(MOUTH, 13, 6, 12), _ring(MOUTH, 8, 2, 8)]
    points = np.r_[jaw, brows, nose, eyes, mouth]
    points[30] = (56, 62)
    assert points.shape == (68, 2)
    return points


def blank(value: int = 128) -> np.ndarray:
    return np.full((SIZE, SIZE, 3), value, dtype=np.uint8)


def changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return (before != after).any(-1)


@pytest.mark.parametrize('kind', TYPES)
def test_coverage_matches_severity(kind):
    for seed in range(3):
        for severity in (0.05, 0.2, 0.4, 0.7):
            t = SyntheticOcclusion(types=kind, severity=severity, seed=seed)
            img = blank()
            res = t(dict(img=img.copy(), img_path=f'data/AN/{seed}.png'))
            occ = res['occlusion']
            assert occ['type'] == kind and occ['severity'] == severity
            assert abs(occ['coverage'] - severity) <= 0.02, (seed, occ)
            # the recorded coverage is what was painted (a texture pixel may equal the background)
            assert abs(changed(img, res['img']).mean() - occ['coverage']) < 0.01


def test_object_reaches_every_severity():
    """The object's polygon grows about a centre inside it: it never slides off the face box
    (before the fix, seed 16's polygon held no centre and covered 0.000 at every severity)."""
    for seed in range(60):
        for severity in (0.2, 0.35, 0.5):
            t = SyntheticOcclusion(types='object', severity=severity, seed=seed)
            whole = t(dict(img=blank(), img_path=f'x/{seed}.png'))['occlusion']
            boxed = t(dict(img=np.full((200, 200, 3), 128, np.uint8), face_box=(50, 40, 150, 160),
                           img_path=f'x/{seed}.png'))['occlusion']
            for occ in (whole, boxed):
                assert abs(occ['coverage'] - severity) <= 0.02, (seed, severity, occ)


def test_coverage_is_measured_in_the_face_box():
    box = (20, 10, 90, 100)
    for kind in TYPES:
        img = blank()
        res = SyntheticOcclusion(types=kind, severity=0.3, seed=1)(
            dict(img=img.copy(), face_box=box, sample_idx=3))
        x1, y1, x2, y2 = box
        inside = changed(img, res['img'])[y1:y2, x1:x2].mean()
        assert abs(res['occlusion']['coverage'] - 0.3) <= 0.02
        assert abs(inside - res['occlusion']['coverage']) < 0.01


def test_same_seed_and_image_give_the_same_occluder_in_any_order():
    t = SyntheticOcclusion(severity=(0.1, 0.5), seed=7)
    paths = [f'/data/Occlu-FER/valid/HA/{i}.png' for i in range(4)]
    first = [t(dict(img=blank(), img_path=p)) for p in paths]
    again = [t(dict(img=blank(), img_path=p)) for p in reversed(paths)][::-1]
    for a, b in zip(first, again):
        assert np.array_equal(a['img'], b['img']) and a['occlusion'] == b['occlusion']
    # the data root does not matter, the class folder and file name do
    moved = t(dict(img=blank(), img_path='/elsewhere/HA/0.png'))
    assert np.array_equal(moved['img'], first[0]['img'])
    assert not np.array_equal(first[0]['img'], first[1]['img'])
    other = SyntheticOcclusion(severity=(0.1, 0.5), seed=8)(dict(img=blank(), img_path=paths[0]))
    assert not np.array_equal(other['img'], first[0]['img'])


def test_without_seed_each_call_differs():
    t = SyntheticOcclusion(types='object', severity=0.3)
    outs = [t(dict(img=blank(), img_path='a/b.png'))['img'] for _ in range(3)]
    assert not (np.array_equal(outs[0], outs[1]) and np.array_equal(outs[1], outs[2]))


def test_prob_and_zero_severity_leave_the_image_clean():
    for t in (SyntheticOcclusion(prob=0.0, seed=0), SyntheticOcclusion(severity=0.0, seed=0)):
        res = t(dict(img=blank(), img_path='a/b.png'))
        assert np.array_equal(res['img'], blank())
        assert res['occlusion'] == dict(type='none', severity=0.0, coverage=0.0)
    hits = [SyntheticOcclusion(prob=0.5, seed=0)(dict(img=blank(), sample_idx=i))['occlusion']
            ['type'] != 'none' for i in range(200)]
    assert 70 < sum(hits) < 130


def test_eye_bar_follows_the_landmarks():
    points = landmarks68()
    for seed in range(4):
        img = blank()
        res = SyntheticOcclusion(types='eye_bar', severity=0.15, seed=seed)(
            dict(img=img.copy(), gt_keypoints=points[None], img_path=f'x/{seed}.png'))
        hit = changed(img, res['img'])
        eyes = np.round(points[36:48]).astype(int)
        assert hit[eyes[:, 1], eyes[:, 0]].all(), seed
        mouth = np.round(points[48:68]).astype(int)
        assert not hit[mouth[:, 1], mouth[:, 0]].any(), seed


def test_mask_covers_the_mouth_landmarks_and_not_the_eyes():
    points = landmarks68()
    for seed in range(4):
        img = blank()
        res = SyntheticOcclusion(types='mask', severity=0.3, seed=seed)(
            dict(img=img.copy(), gt_keypoints=points, img_path=f'x/{seed}.png'))
        hit = changed(img, res['img'])
        mouth = np.round(points[48:68]).astype(int)
        assert hit[mouth[:, 1], mouth[:, 0]].all(), seed
        eyes = np.round(points[36:48]).astype(int)
        assert not hit[eyes[:, 1], eyes[:, 0]].any(), seed


def test_eye_bar_follows_a_lapa_parsing_map():
    seg = np.ones((SIZE, SIZE), dtype=np.uint8)
    cv2.ellipse(seg, (30, 70), (6, 3), 0, 0, 360, 4, -1)  # eyes low in the image: y 70
    cv2.ellipse(seg, (80, 70), (6, 3), 0, 0, 360, 5, -1)
    cv2.ellipse(seg, (55, 88), (4, 5), 0, 0, 360, 6, -1)
    cv2.ellipse(seg, (55, 102), (10, 4), 0, 0, 360, 8, -1)
    img = blank()
    res = SyntheticOcclusion(types='eye_bar', severity=0.12, seed=0)(
        dict(img=img.copy(), gt_seg_map=seg, img_path='x/y.png'))
    hit = changed(img, res['img'])
    assert hit[np.isin(seg, (4, 5))].all()
    assert not hit[:40].any()  # the aligned-crop default would put the bar at y ~45


def test_bad_input_errors():
    with pytest.raises(ValueError, match="unknown occluder type.*'beard'"):
        SyntheticOcclusion(types=['mask', 'beard'])
    with pytest.raises(ValueError, match='severity 1.5 must be a fraction'):
        SyntheticOcclusion(severity=1.5)
    with pytest.raises(ValueError, match='expected the 68 iBUG landmarks'):
        SyntheticOcclusion(seed=0)(dict(img=blank(), gt_keypoints=np.zeros((5, 2)),
                                        img_path='a/b.png'))
    with pytest.raises(ValueError, match='gt_seg_map .* does not match'):
        SyntheticOcclusion(seed=0)(dict(img=blank(), gt_seg_map=np.zeros((8, 8), np.uint8),
                                        img_path='a/b.png'))


def test_in_an_mmpretrain_pipeline(tmp_path):
    path = str(tmp_path / 'face.png')
    cv2.imwrite(path, blank(90))
    init_default_scope('mmpretrain')
    pipeline = Compose([dict(type='LoadImageFromFile'),
                        dict(type='SyntheticOcclusion', types=['hand'], severity=0.3, seed=0),
                        dict(type='Resize', scale=(56, 56)),
                        dict(type='PackInputs', meta_keys=('img_path', 'occlusion'))])
    out = pipeline(dict(img_path=path))
    assert tuple(out['inputs'].shape) == (3, 56, 56)
    assert out['data_samples'].occlusion['type'] == 'hand'
    assert abs(out['data_samples'].occlusion['coverage'] - 0.3) <= 0.02
    changed_fraction = (out['inputs'] != 90).any(0).float().mean().item()
    assert 0.2 < changed_fraction < 0.4
    assert osp.isfile(path)


def test_a_miss_beyond_the_tolerance_is_logged_once():
    import logging

    from mmengine.logging import MMLogger

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = MMLogger.get_instance('synthetic_occlusion_test')  # the current logger
    t = SyntheticOcclusion(types='eye_bar', severity=0.5, seed=0, tolerance=0.0001)
    records = []
    handler = Collect()
    logger.addHandler(handler)
    try:
        for i in range(3):
            t(dict(img=np.full((12, 12, 3), 128, np.uint8), sample_idx=i))
    finally:
        logger.removeHandler(handler)
    assert len([r for r in records if 'too small for tolerance' in r.getMessage()]) == 1
