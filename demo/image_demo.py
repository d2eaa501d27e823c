"""Facial expressions of every face in photos (files, folders).

    python demo/image_demo.py MODEL IMAGE [IMAGE|FOLDER ...] [--checkpoint CKPT] --out-dir DIR
        [--show] [--detector auto|haar|mtcnn|dlib_cnn|dlib_hog]
        [--landmarker auto|dlib68|dlib5|none]
        [--det-config CFG --det-checkpoint CKPT] [--landmark-checkpoint CKPT]
        [--fail-on-unreadable] [--max-pixels N] [--debug]

Writes DIR/vis/<path>.png (boxes, alignment points, labels, top-3 scores; the input's path
relative to the folder holding all inputs, so ``a/x.jpg`` and ``b/x.jpg`` get ``vis/a/x.png`` and
``vis/b/x.png``, and ``x.jpg`` beside ``x.png`` gets ``vis/x_jpg.png``) and DIR/results.csv (one
row per face, written as each image is done; its ``vis_file`` column names the drawn file);
prints one line per face and what was reported (no face, small faces, EXIF rotation, alpha...).
An image that cannot be read (corrupt, unsupported, over ``--max-pixels``: refused from its header
before decoding) is skipped with a warning and a row in the table (``--fail-on-unreadable`` stops
instead, with one message and exit status 1; ``--debug`` shows the traceback).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _common import add_model_args, build_inferencer  # noqa: E402

import orsanet  # noqa: F401,E402  (compatibility patches and registries first)
from orsanet.apis import summarise  # noqa: E402
from orsanet.apis.cli import cli_main  # noqa: E402
from orsanet.apis.image_io import DEFAULT_MAX_PIXELS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description='FER on photos')
    add_model_args(parser)
    parser.add_argument('inputs', nargs='+', help='image files or folders')
    parser.add_argument('--out-dir', help='drawn images and results.csv go here')
    parser.add_argument('--show', action='store_true', help='show each result in a window')
    parser.add_argument('--fail-on-unreadable', action='store_true',
                        help='stop at a corrupt image (default: skip it with a warning)')
    parser.add_argument('--max-pixels', type=int, default=DEFAULT_MAX_PIXELS,
                        help='refuse images of more pixels (width x height, read from the file '
                        'header before decoding: decompression bombs) as unreadable (default: '
                        f'{DEFAULT_MAX_PIXELS:,}, about 1.2 GB while one is read; 0: PIL\'s '
                        'own limit)')
    args = parser.parse_args()
    inferencer = build_inferencer(args, parser)
    results = inferencer(args.inputs, batch_size=args.batch_size, show=args.show,
                         out_dir=args.out_dir, fail_on_unreadable=args.fail_on_unreadable,
                         max_pixels=args.max_pixels or None)
    for result in results:
        for face in result['faces']:
            box = ', '.join(f'{v:.0f}' for v in face['box'])
            print(f"{result['source']}: face {face['face_id']} [{box}] {face['label']} "
                  f"{face['score']:.3f} (aligned by {face['alignment']})")
        for note in result['warnings']:
            print(f"{result['source']}: {note}")
        for skipped in result['skipped']:
            if skipped['box'] is not None:  # an unreadable input is among the warnings
                print(f"{result['source']}: skipped a face: {skipped['reason']}")
    print(summarise(results))
    if args.out_dir:
        print(f'drawn results and results.csv in {args.out_dir}')


if __name__ == '__main__':
    cli_main(main)
