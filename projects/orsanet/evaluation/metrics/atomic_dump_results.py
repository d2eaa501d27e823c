"""MMEngine's ``DumpResults`` (``tools/test.py --out``) written all or nothing."""
from mmengine.evaluator import DumpResults
from mmengine.fileio import dump
from mmengine.logging import print_log
from mmpretrain.registry import METRICS

from orsanet.fileio import atomic_path


@METRICS.register_module()
class AtomicDumpResults(DumpResults):
    """:class:`mmengine.evaluator.DumpResults` that writes a temporary file and renames it onto
    ``out_file_path``: a failed or interrupted dump leaves the previous file, not half a pickle."""

    def compute_metrics(self, results: list) -> dict:
        with atomic_path(self.out_file_path) as tmp:
            dump(results, tmp)
        print_log(f'Results has been saved to {self.out_file_path}.', logger='current')
        return {}
