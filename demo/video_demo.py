"""Facial expressions in a video (or a camera): frames in, annotated video and a table out.

    python demo/video_demo.py MODEL VIDEO|CAMERA_INDEX --out-dir DIR [--every N] [--max-frames N]
        [--checkpoint CKPT] [--show] [--detector ...] [--landmarker ...] [--max-lost N]
        [--smooth A]

Writes DIR/<video>_fer.mp4 (every frame, with the latest result drawn) and DIR/results.csv: one
row per face per processed frame (frame, time, face_id (the same face keeps its id), box,
lost_frames, per-class scores, label; a frame without a face gets one empty row). A face the
detector misses keeps its last box and alignment for up to --max-lost processed frames
(lost_frames > 0 in the table). Shows a progress bar.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _common import add_model_args, build_inferencer  # noqa: E402

import orsanet  # noqa: F401,E402  (compatibility patches and registries first)
from orsanet.apis import summarise  # noqa: E402
from orsanet.apis.cli import cli_main  # noqa: E402
from orsanet.faces.tracking import DEFAULT_MAX_LOST  # noqa: E402
from orsanet.fileio import atomic_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description='FER on a video')
    add_model_args(parser)
    parser.add_argument('video', help='a video file, or a camera index such as 0')
    parser.add_argument('--out-dir', required=True, help='annotated video and results.csv')
    parser.add_argument('--every', type=int, default=1, help='process every N-th frame')
    parser.add_argument('--max-frames', type=int, help='stop after this many processed frames')
    parser.add_argument('--show', action='store_true', help='show frames while running (Esc)')
    parser.add_argument('--max-lost', type=int, default=DEFAULT_MAX_LOST,
                        help='hold a face the detector misses for up to this many processed '
                        'frames at its last box and alignment (0: off)')
    parser.add_argument('--smooth', type=float, default=0.0,
                        help='per-face score smoothing over time: the weight of the past in '
                        '[0, 1) (0: off)')
    args = parser.parse_args()
    source = int(args.video) if args.video.isdigit() else args.video
    inferencer = build_inferencer(args, parser)
    results = inferencer.predict_video(source, out_dir=args.out_dir, every=args.every,
                                       max_frames=args.max_frames, batch_size=args.batch_size,
                                       progress=True, show=args.show, max_lost=args.max_lost,
                                       smooth=args.smooth)
    table = inferencer.to_dataframe(results)
    os.makedirs(args.out_dir, exist_ok=True)
    with atomic_path(osp.join(args.out_dir, 'results.csv')) as tmp:  # whole or not at all
        table.to_csv(tmp, index=False)
    print(summarise(results))
    if len(table):
        print(table['label'].replace('', 'no face').value_counts().to_string())
    print(f'annotated video and results.csv in {args.out_dir}')


if __name__ == '__main__':
    cli_main(main)
