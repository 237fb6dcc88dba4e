"""``embervision`` model benchmark workloads (issue 7): resnet18 inference and a training step.

Written once against a torch-like module ``lib``: the model comes from ``embervision.models``
for ember and from ``torchvision.models`` for PyTorch (whose state_dict keys and shapes are the
same), with identical seeded weights set in ``named_parameters`` order.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from types import ModuleType

import numpy as np
from workloads_core import Data, Workload, place, to_device

# resnet18 at 224x224: 1.814 GMACs per image (torchvision's published ``_ops``)
_MACS = 1.814e9


def _vision(lib: ModuleType) -> ModuleType:
    if lib.__name__ == "torch":
        import torch.library
        # NOTE: the installed torchvision wheel's C ops do not match torch; its Python models do
        torch.library.register_fake = lambda *a, **k: (lambda f: f)
        return importlib.import_module("torchvision")
    return importlib.import_module("embervision")


def _resnet18(lib: ModuleType, seed: int):
    """resnet18 with He-scaled seeded weights (identical for both libraries), BN at (1, 0)."""
    model = _vision(lib).models.resnet18()
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for name, p in model.named_parameters():
            shape = tuple(p.shape)
            if len(shape) > 1:
                fan_in = int(np.prod(shape[1:]))
                arr = rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)
            else:
                arr = np.ones(shape) if name.endswith("weight") else np.zeros(shape)
            p.copy_(lib.from_numpy(arr.astype(np.float32)))
    return model


def _infer_data(rng: np.random.Generator) -> Data:
    return {"x": rng.standard_normal((8, 3, 224, 224)).astype(np.float32)}


def _infer_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    model = place(_resnet18(lib, 1).eval())
    x = to_device(lib, data["x"])

    def run():
        with lib.no_grad():
            return model(x).sum()

    return run


def _train_data(rng: np.random.Generator) -> Data:
    return {"x": rng.standard_normal((16, 3, 224, 224)).astype(np.float32),
            "y": rng.integers(0, 1000, size=16, dtype=np.int64)}


def _train_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    model = place(_resnet18(lib, 2).train())
    x, y = to_device(lib, data["x"]), to_device(lib, data["y"])
    # NOTE: a small step keeps the loss (the cross-library check value) away from 0 over the
    # repetitions; the work per step is the same for any learning rate
    opt = lib.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def run():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return run


WORKLOADS: dict[str, Workload] = {
    "resnet18_infer": Workload("embervision resnet18 inference, batch 8 at 224x224, no_grad, eval",
                               _infer_data, _infer_setup, flops=2 * _MACS * 8, gpu=True),
    "resnet18_train": Workload("embervision resnet18 train step (SGD momentum), batch 16 at "
                               "224x224", _train_data, _train_setup, flops=3 * 2 * _MACS * 16,
                               gpu=True),
}
