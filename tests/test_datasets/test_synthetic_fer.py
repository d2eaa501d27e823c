"""The synthetic FER generator: determinism, geometry/label agreement, expressions, occluders,
the in-memory dataset and the on-disk datasets (RAF-DB, mmseg, mmpose readers)."""
import csv
import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from orsanet.datasets import RAFDB
from orsanet.datasets.synthetic import (
    CLASSES,
    OCCLUDED_SEVERITY,
    OCCLUDER_TYPES,
    PARSING_CLASSES,
    PARSING_PALETTE,
    render_face,
)
from orsanet.datasets.synthetic.synthetic_fer import SyntheticFER
from orsanet.datasets.synthetic.writer import write_synthetic_fer

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FACES = [render_face(i, seed=11, size=112) for i in range(21)]


def _dilated(labels: np.ndarray, classes) -> np.ndarray:
    mask = np.isin(labels, classes).astype(np.uint8)
    return cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0


def _fraction_on(face, points: slice, classes) -> float:
    region = _dilated(face.parsing, classes)
    xy = np.clip(np.round(face.landmarks[points]).astype(int), 0, face.parsing.shape[0] - 1)
    return float(region[xy[:, 1], xy[:, 0]].mean())


def _face_axes(lms: np.ndarray):
    """Unit vectors along the eye line and down the face (undo the in-plane rotation)."""
    ux = lms[42:48].mean(0) - lms[36:42].mean(0)
    ux = ux / np.linalg.norm(ux)
    return ux, np.array([-ux[1], ux[0]])


def test_render_is_deterministic_per_index():
    a, b = render_face(17, seed=3, size=112), render_face(17, seed=3, size=112)
    np.testing.assert_array_equal(a.img, b.img)
    np.testing.assert_array_equal(a.parsing, b.parsing)
    np.testing.assert_array_equal(a.landmarks, b.landmarks)
    assert not np.array_equal(a.img, render_face(17, seed=4, size=112).img)
    assert not np.array_equal(a.img, render_face(17, seed=3, size=112, split='test').img)
    big = render_face(17, seed=3, size=224)
    assert big.img.shape == (224, 224, 3) and big.parsing.shape == (224, 224)
    # the same face at twice the size: landmarks scale with the image
    np.testing.assert_allclose(big.landmarks, 2 * a.landmarks, atol=1e-3)


def test_outputs_types_and_label():
    face = FACES[4]
    assert face.img.dtype == np.uint8 and face.parsing.dtype == np.uint8
    assert face.landmarks.shape == (68, 2) and face.label == 4 and CLASSES[4] == 'Sadness'
    assert face.parsing.max() <= 10 and face.occluder is None
    with pytest.raises(ValueError, match='outside 0..6'):
        render_face(0, label=7)


@pytest.mark.parametrize('points,classes,name', [
    (slice(36, 42), [4], 'left eye'), (slice(42, 48), [5], 'right eye'),
    (slice(17, 22), [2], 'left brow'), (slice(22, 27), [3], 'right brow'),
    (slice(27, 36), [6], 'nose'), (slice(48, 68), [7, 8, 9], 'mouth')])
def test_landmarks_lie_on_their_parsing_regions(points, classes, name):
    fractions = [_fraction_on(face, points, classes) for face in FACES]
    assert np.mean(fractions) > 0.95, (name, fractions)


def test_jaw_landmarks_lie_on_the_face_outline():
    for face in FACES:
        outside = _dilated(face.parsing, [0, 10]) & _dilated(face.parsing, [1])
        xy = np.round(face.landmarks[3:14]).astype(int)
        assert outside[xy[:, 1], xy[:, 0]].mean() > 0.8


def test_unoccluded_face_with_hair_has_all_parsing_classes():
    for index in range(3):
        face = render_face(index, seed=5, size=112, label=0, hair=True)  # Surprise: open mouth
        assert set(np.unique(face.parsing)) == set(range(11)), np.unique(face.parsing)
    assert 10 not in render_face(0, seed=5, hair=False).parsing


def _mouth_corner_offset(face) -> float:
    """Mouth corners minus the mouth centre, along the face's down axis (+: corners lower)."""
    lms = face.landmarks
    _, uy = _face_axes(lms)
    return float((lms[[48, 54]].mean(0) - lms[[51, 57]].mean(0)) @ uy)


def test_expressions_differ_in_geometry():
    def faces(label):
        return [render_face(i, seed=2, label=label) for i in range(12)]

    happy = [_mouth_corner_offset(f) for f in faces(CLASSES.index('Happiness'))]
    sad = [_mouth_corner_offset(f) for f in faces(CLASSES.index('Sadness'))]
    assert max(happy) < 0 < min(sad), (happy, sad)

    def opening(face):
        return np.linalg.norm(face.landmarks[66] - face.landmarks[62])

    surprise, neutral = faces(0), faces(CLASSES.index('Neutral'))
    assert min(map(opening, surprise)) > 2 * max(map(opening, neutral))

    def brow_height(face):  # brows above the eyes, in eye widths
        lms = face.landmarks
        _, uy = _face_axes(lms)
        width = np.linalg.norm(lms[45] - lms[36])
        return float((lms[36:48].mean(0) - lms[17:27].mean(0)) @ uy / width)

    anger = faces(CLASSES.index('Anger'))
    assert np.mean([brow_height(f) for f in surprise]) > np.mean([brow_height(f) for f in anger])


COVERS = dict(eye_bar=[4, 5], mask=[7, 8, 9])


@pytest.mark.parametrize('kind', OCCLUDER_TYPES)
def test_occluders_cover_the_face_and_keep_the_truth(kind):
    for index in range(3):
        clean = render_face(index, seed=7, split='test')
        occ = render_face(index, seed=7, split='test', occluders=[kind])
        assert occ.occluder == kind and occ.severity == OCCLUDED_SEVERITY
        # severity is the share of the face box, the whole aligned crop, the occluder covers
        assert occ.coverage == pytest.approx(occ.occluder_mask.mean())
        assert abs(occ.coverage - OCCLUDED_SEVERITY) <= 0.02
        np.testing.assert_array_equal(occ.parsing, clean.parsing)
        np.testing.assert_array_equal(occ.landmarks, clean.landmarks)
        mask = occ.occluder_mask
        assert mask.dtype == bool and mask.mean() > 0.01
        face = (clean.parsing >= 1) & (clean.parsing <= 9)
        assert mask[face].mean() > 0.04  # drawn over the face
        if kind in COVERS:  # and over the parts it is named after
            part = np.isin(clean.parsing, COVERS[kind])
            assert mask[part].mean() > 0.8
        ring = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        np.testing.assert_array_equal(occ.img[~ring], clean.img[~ring])
        assert (occ.img[mask] != clean.img[mask]).any()
    with pytest.raises(ValueError, match='unknown occluder'):
        render_face(0, occluders=['helmet'])
    with pytest.raises(ValueError, match=r'severity 1.5 must be a share of the face box'):
        render_face(0, occluders=[kind], severity=1.5)


def test_synthetic_fer_dataset_in_memory():
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    ds = SyntheticFER(num_samples=14, seed=11, pipeline=pipeline)
    assert len(ds) == 14 and ds.CLASSES == CLASSES
    assert list(ds.get_gt_labels()) == [i % 7 for i in range(14)]
    out = ds[4]
    assert tuple(out['inputs'].shape) == (3, 112, 112)
    assert int(out['data_samples'].gt_label) == 4
    np.testing.assert_array_equal(out['inputs'].permute(1, 2, 0).numpy(), FACES[4].img)
    lazy = SyntheticFER(num_samples=14, seed=11, lazy=True, pipeline=pipeline[1:])
    np.testing.assert_array_equal(lazy[4]['inputs'].numpy(), out['inputs'].numpy())
    occ = SyntheticFER(num_samples=7, seed=11, occluded=['mask'], test_mode=True)
    assert occ.split == 'test' and occ[2]['subset_tags'] == ['mask']
    with pytest.raises(ValueError, match='unknown occluder types'):
        SyntheticFER(num_samples=7, occluded=['helmet'])


@pytest.fixture(scope='module')
def written(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('synthetic_fer'))
    stats = write_synthetic_fer(out, num_train=14, num_test=7, size=112, seed=11, workers=1,
                                log=lambda msg: None)
    assert stats['images'] == 14 + 7 + 7 and stats['images_per_second'] > 0
    return out


def test_writer_rafdb_layout(written):
    with open(osp.join(written, 'EmoLabel', 'list_patition_label.txt')) as f:
        lines = f.read().split('\n')
    assert lines[0] == 'train_00001.jpg 1' and lines[14] == 'test_0001.jpg 1'
    train = RAFDB(data_root=written, split='train')
    test = RAFDB(data_root=written, split='test')
    assert len(train) == 14 and len(test) == 7
    assert [test.get_data_info(i)['gt_label'] for i in range(7)] == list(range(7))
    img = cv2.imread(train.get_data_info(4)['img_path'])
    assert np.abs(img.astype(int) - FACES[4].img).mean() < 4  # the same face, JPEG-coded
    occluded = RAFDB(data_root=osp.join(written, 'occluded'), split='test',
                     subset_file='occlusion_list.txt')
    assert len(occluded) == 7
    with open(osp.join(written, 'occluded', 'occlusion_list.txt')) as f:
        name, label, kind = f.readline().split()
    assert name == 'test_0001_aligned' and label == '0' and kind in OCCLUDER_TYPES
    mask = cv2.imread(osp.join(written, 'occluded', 'occluder_masks', 'test_0001.png'), 0)
    assert mask.shape == (112, 112) and set(np.unique(mask)) <= {0, 255} and mask.any()
    # the split states its severity; each face's coverage is its mask's share of the crop
    with open(osp.join(written, 'occluded', 'occluders.csv')) as f:
        rows = list(csv.DictReader(f))
    assert [r['name'] for r in rows] == [f'test_{i:04d}' for i in range(1, 8)]
    assert float(rows[0]['coverage']) == pytest.approx((mask > 0).mean(), abs=1e-4)
    with open(osp.join(written, 'occluded', 'occlusion.json')) as f:
        summary = json.load(f)
    assert summary['severity'] == OCCLUDED_SEVERITY and summary['faces'] == 7
    assert summary['equivalent_transform'] == dict(
        type='SyntheticOcclusion', types=sorted({r['type'] for r in rows}),
        severity=OCCLUDED_SEVERITY)
    coverage = [float(r['coverage']) for r in rows]
    assert summary['mean_coverage'] == pytest.approx(np.mean(coverage), abs=1e-4)
    assert max(abs(c - OCCLUDED_SEVERITY) for c in coverage) <= 0.02


def test_writer_mmseg_parsing(written):
    from mmseg.datasets import BaseSegDataset
    metainfo = dict(classes=PARSING_CLASSES, palette=[list(p) for p in PARSING_PALETTE])
    pipeline = [dict(type='mmseg.LoadImageFromFile'), dict(type='mmseg.LoadAnnotations')]
    sizes = {}
    for split in ('train', 'val'):
        ds = BaseSegDataset(data_root=osp.join(written, 'parsing'), metainfo=metainfo,
                            data_prefix=dict(img_path=f'img_dir/{split}',
                                             seg_map_path=f'ann_dir/{split}'),
                            img_suffix='.jpg', seg_map_suffix='.png', pipeline=pipeline)
        sizes[split] = len(ds)
    assert sizes == dict(train=14, val=7) and len(ds.metainfo['classes']) == 11
    sample = ds[3]
    assert sample['img'].shape == (112, 112, 3)
    np.testing.assert_array_equal(sample['gt_seg_map'],
                                  render_face(3, seed=11, split='test').parsing)


def test_writer_mmpose_300w(written):
    from mmpose.datasets import Face300WDataset
    ds = Face300WDataset(data_root=osp.join(written, 'landmarks'),
                         ann_file='annotations/face_landmarks_300w_train.json',
                         data_prefix=dict(img='images/'), pipeline=[dict(type='mmpose.LoadImage')])
    assert len(ds) == 14 and ds.metainfo['num_keypoints'] == 68
    sample = ds[5]
    np.testing.assert_allclose(sample['keypoints'][0], FACES[5].landmarks, atol=1e-3)
    assert sample['keypoints_visible'].min() == 1 and sample['img'].shape == (112, 112, 3)
    # the face box is the whole aligned crop (the frame ORSANet's landmark prior sees)
    np.testing.assert_allclose(sample['bbox_center'][0], (56, 56))
    np.testing.assert_allclose(sample['bbox_scale'][0], (112, 112))


def test_make_synthetic_fer_tool(tmp_path, capsys):
    path = osp.join(REPO, 'tools', 'dataset_converters', 'make_synthetic_fer.py')
    spec = importlib.util.spec_from_file_location('make_synthetic_fer', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main([str(tmp_path), '--num-train', '7', '--num-test', '7', '--occluders', 'hand',
               '--workers', '2', '--severity', '0.4'])
    assert 'images/s' in capsys.readouterr().out
    with open(tmp_path / 'occluded' / 'occlusion_list.txt') as f:
        assert all(line.split()[2] == 'hand' for line in f)
    with open(tmp_path / 'occluded' / 'occlusion.json') as f:
        summary = json.load(f)
    assert summary['severity'] == 0.4 and abs(summary['mean_coverage'] - 0.4) <= 0.02
    assert len(list((tmp_path / 'landmarks' / 'images').iterdir())) == 14
