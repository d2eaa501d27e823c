"""A small trained ORSANet checkpoint for the inference tests (importable: tests/ is on the path).

``tests/data/tiny_fer_inference.py`` trained for a few Adam steps on built-in synthetic faces
(7 RAF-DB classes) and saved as an MMEngine checkpoint with its class names. Seconds on 2 cores.
"""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.dataset import default_collate

CONFIG = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'tiny_fer_inference.py')


def train_small_checkpoint(out_dir: str, steps: int = 6, batch_size: int = 8) -> str:
    """Train the small model ``steps`` steps and save ``out_dir/small_fer.pth``; return its path.

    The inference tests share one, through the session fixture ``checkpoint``
    (tests/test_apis/conftest.py).
    """
    from mmpretrain.datasets.transforms import PackInputs
    from mmpretrain.registry import MODELS

    import orsanet  # noqa: F401
    from orsanet.datasets import SyntheticFER

    torch.manual_seed(0)
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(cfg.model)
    model.head.set_epoch(0)
    data = SyntheticFER(num_samples=steps * batch_size, image_size=112, seed=1,
                        pipeline=[PackInputs()])
    optim = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    model.train()
    for step in range(steps):
        batch = default_collate([data[i] for i in range(step * batch_size,
                                                        (step + 1) * batch_size)])
        batch = model.data_preprocessor(batch, True)
        losses = model.loss(batch['inputs'], batch['data_samples'])
        loss = sum(v for k, v in losses.items() if k.startswith('loss'))
        optim.zero_grad()
        loss.backward()
        optim.step()
    path = osp.join(out_dir, 'small_fer.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=list(SyntheticFER.METAINFO['classes'])),
                              steps=steps)), path)
    return path
