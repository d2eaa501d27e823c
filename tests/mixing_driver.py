"""Train several configs for one iteration each through mmpretrain's own ``.mim/tools/train.py``,
in one process (the configs' ``custom_imports`` import orsanet; a stock config runs first, before
anything imported it). Writes {config: 'ok' | error} as JSON.

Usage: python tests/mixing_driver.py RESULT.json WORK_DIR CONFIG...
"""
import json
import os.path as osp
import runpy
import sys
import traceback

import mmpretrain

TRAIN = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools', 'train.py')


def main() -> None:
    result_path, work_dir, configs = sys.argv[1], sys.argv[2], sys.argv[3:]
    results = {}
    for config in configs:
        name = osp.splitext(osp.basename(config))[0]
        sys.argv = [TRAIN, config, '--work-dir', osp.join(work_dir, name)]
        try:
            runpy.run_path(TRAIN, run_name='__main__')
            results[name] = 'ok'
        except BaseException:  # noqa: B036 - the train script may sys.exit
            results[name] = traceback.format_exc()[-3000:]
        results[f'{name}:orsanet_imported'] = 'orsanet' in sys.modules
    with open(result_path, 'w') as f:
        json.dump(results, f)


if __name__ == '__main__':
    main()
