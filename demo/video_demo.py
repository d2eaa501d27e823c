"""Facial expressions in a video or a camera, keeping up: frames in, annotated video, table out.

    python demo/video_demo.py MODEL VIDEO|CAMERA_INDEX --out-dir DIR [--classify-hz HZ]
        [--smooth A] [--every N] [--detect-every N] [--max-frames N] [--max-pending N]
        [--checkpoint CKPT] [--show] [--detector ...] [--landmarker ...] [--max-lost N]
        [--backend ...] [--debug]
    python demo/video_demo.py MODEL --source 0 --out-dir DIR --classify-hz 5 --show  # webcam

Frames are decoded in a background thread; faces are detected, aligned and followed
(:class:`FaceTracker`) on every processed frame (``--detect-every N``: detected on every N-th
one, followed by optical flow between: the detector is the dearest stage after the model); each
followed face is classified
``--classify-hz`` times a second of video (0, the default: on every frame) and its last scores
are carried to the frames in between (``--smooth``: an exponential moving average of each face's
computed scores); the due faces of up to ``--max-pending`` frames go through the model in one
batch. A camera goes through the same code (orsanet.apis.video) as a file.

Writes DIR/<video>_fer.mp4 (every frame, the latest result drawn) and DIR/results.csv, row by row
as frames are done (a run that stops keeps what it wrote): one row per face per processed frame
(frame, time, face_id, box, lost_frames, located = detected|followed|held, per-class scores,
label, expression = computed|carried, computed_frame, note; a frame without a face gets one
empty row). Prints a progress bar with frames/s, then the frame count and ms per stage. A video
that cannot be opened, ends before the frame count of its header, or whose decoder keeps failing
exits with 1 (what was written is kept); a single frame that fails to decode is counted and skipped.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import cv2  # noqa: E402
from _common import add_model_args, build_inferencer  # noqa: E402

import orsanet  # noqa: F401,E402  (compatibility patches and registries first)
from orsanet.apis import summarise  # noqa: E402
from orsanet.apis.cli import cli_main  # noqa: E402
from orsanet.apis.image_io import open_video  # noqa: E402
from orsanet.apis.video import FrameReader, VideoFER, progress_bar  # noqa: E402
from orsanet.faces.tracking import DEFAULT_MAX_LOST  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description='FER on a video or a camera')
    add_model_args(parser)
    parser.add_argument('video', nargs='?', help='a video file, or a camera index such as 0')
    parser.add_argument('--source', help='the same as VIDEO (e.g. --source 0: the webcam)')
    parser.add_argument('--out-dir', required=True, help='annotated video and results.csv')
    parser.add_argument('--classify-hz', type=float, default=0.0,
                        help='classify each followed face this many times a second of video, '
                        'carrying its scores in between (0: every frame)')
    parser.add_argument('--every', type=int, default=1, help='process every N-th frame')
    parser.add_argument('--detect-every', type=int, default=1,
                        help='run the face detector on every N-th processed frame and follow '
                        'the faces by optical flow in between (results.csv: located = '
                        'detected / followed / held); 1: detect on every frame')
    parser.add_argument('--max-frames', type=int, help='stop after this many processed frames')
    parser.add_argument('--max-pending', type=int, default=8,
                        help='frames whose faces are batched into one model call at most')
    parser.add_argument('--show', action='store_true', help='show frames while running (Esc)')
    parser.add_argument('--max-lost', type=int, default=DEFAULT_MAX_LOST,
                        help='hold a face the detector misses for up to this many processed '
                        'frames at its last box and alignment (0: off)')
    parser.add_argument('--smooth', type=float, default=0.0,
                        help='per-face score smoothing over time: the weight of the past in '
                        '[0, 1) (0: off)')
    args = parser.parse_args()
    source = args.source if args.source is not None else args.video
    if source is None:
        parser.error('give a VIDEO (a file or a camera index) or --source')
    args.source = int(source) if source.isdigit() else source
    return args, parser


class Output:
    """The annotated video and results.csv, written as frames come (rows flushed per frame)."""

    def __init__(self, inferencer, out_dir: str, name: str, fps: float, show: bool) -> None:
        self.inferencer, self.out_dir, self.name, self.fps = inferencer, out_dir, name, fps
        self.show, self.writer, self.results = show, None, []
        os.makedirs(out_dir, exist_ok=True)
        self.csv_path = osp.join(out_dir, 'results.csv')
        self._csv = open(self.csv_path, 'w', newline='')
        self._header = False

    def __call__(self, frame, result, drawn_result) -> bool:
        drawn = self.inferencer.draw(frame.image, drawn_result)
        if self.writer is None:
            self.writer = cv2.VideoWriter(osp.join(self.out_dir, f'{self.name}_fer.mp4'),
                                          cv2.VideoWriter_fourcc(*'mp4v'), self.fps or 25.0,
                                          (drawn.shape[1], drawn.shape[0]))
        self.writer.write(drawn)
        if result is not None:
            self.results.append(result)
            table = self.inferencer.to_dataframe([result])
            table.to_csv(self._csv, index=False, header=not self._header)
            self._header = True
            self._csv.flush()
        if self.show:
            cv2.imshow(self.name, drawn)
            if cv2.waitKey(1) & 0xFF == 27:  # Esc stops
                return False
        return True

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()
        self._csv.close()


def run(args, parser) -> int:
    capture = open_video(args.source)  # a bad video fails before the model is built
    inferencer = build_inferencer(args, parser)
    name = (f'camera{args.source}' if isinstance(args.source, int) else
            osp.splitext(osp.basename(args.source))[0])
    reader = FrameReader(capture)
    total = reader.expected // args.every if reader.expected > 0 else None
    if args.max_frames:
        total = min(total, args.max_frames) if total else args.max_frames
    bar = progress_bar(total)
    output = Output(inferencer, args.out_dir, name, reader.fps, args.show)

    def sink(frame, result, drawn_result) -> bool:
        go_on = output(frame, result, drawn_result)
        if bar is not None and result is not None:
            bar.update()
        return go_on

    video = VideoFER(inferencer, classify_hz=args.classify_hz, smooth=args.smooth,
                     max_lost=args.max_lost, batch_size=args.batch_size,
                     max_pending=args.max_pending, every=args.every,
                     detect_every=args.detect_every)
    try:
        stats = video.run(reader, sink, source=str(args.source), max_frames=args.max_frames)
    finally:
        reader.close()
        output.close()
        if bar is not None:
            bar.close()
    print(summarise(output.results))
    print(f'{stats.frames} frames written in {stats.wall_s:.1f} s ({stats.fps():.1f} frames/s); '
          f'{stats.computed_faces} faces computed, {stats.carried_faces} carried, '
          f'{stats.model_calls} model calls, detector on {stats.detections} frames; '
          'ms per frame: ' +
          ', '.join(f'{k} {v:.1f}' for k, v in stats.ms_per_frame().items()) +
          f', decode {1000 * reader.decode_s / max(reader.decoded, 1):.1f} (background)')
    print(f'{reader.summary()}; annotated video and results.csv in {args.out_dir}')
    if reader.ended_early or reader.error:
        print(f'error: {args.source}: {reader.summary()} (the {stats.frames} frames before '
              'are written)', file=sys.stderr)
        return 1
    return 0


def main() -> int:
    """Known errors (a video that cannot be opened...) end as one line and exit 1 (cli_main)."""
    args, parser = parse_args()
    return run(args, parser)


if __name__ == '__main__':
    cli_main(main)
