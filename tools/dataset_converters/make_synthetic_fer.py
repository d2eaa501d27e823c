"""Write the synthetic expression datasets: RAF-DB layout, mmseg face parsing, mmpose 300W
landmarks and an occluded RAF-DB test split (see orsanet.datasets.synthetic.writer for the layout).

Example::

    python tools/dataset_converters/make_synthetic_fer.py data/synthetic_fer \\
        --num-train 2800 --num-test 700 --size 112 --seed 0
"""
import argparse
import gc

import orsanet  # noqa: F401  (compat patches first)
from orsanet.apis.cli import cli_main
from orsanet.datasets.synthetic import OCCLUDED_SEVERITY, OCCLUDER_TYPES
from orsanet.datasets.synthetic.writer import write_synthetic_fer


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('out_dir', help='output folder (created)')
    parser.add_argument('--num-train', type=int, default=2800, help='training faces')
    parser.add_argument('--num-test', type=int, default=700, help='test faces')
    parser.add_argument('--size', type=int, default=112, help='image side (112 or 224)')
    parser.add_argument('--seed', type=int, default=0, help='dataset seed')
    parser.add_argument('--occluders', nargs='*', default=list(OCCLUDER_TYPES),
                        choices=OCCLUDER_TYPES,
                        help='occluder types of the occluded test split (none: no split)')
    parser.add_argument('--severity', type=float, default=OCCLUDED_SEVERITY,
                        help='share of each face box (the whole crop) its occluder covers, as '
                             "SyntheticOcclusion's severity")
    parser.add_argument('--workers', type=int, default=2, help='worker processes')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    gc.freeze()  # the imported libraries' objects need no scans while faces are made
    print(f'writing synthetic FER data to {args.out_dir}: {args.num_train} train + '
          f'{args.num_test} test faces at {args.size} px, seed {args.seed}')
    stats = write_synthetic_fer(args.out_dir, args.num_train, args.num_test, args.size,
                                args.seed, args.occluders, args.workers,
                                severity=args.severity)
    print(f"wrote {stats['images']} images in {stats['seconds']:.1f} s "
          f"({stats['images_per_second']:.0f} images/s, {args.workers} worker(s))")


if __name__ == '__main__':
    cli_main(main)
