"""Checkpoint loading workloads (issue 6): ``lib.load`` of a 500 MB float32 state_dict.

The file is written once per process by ``torch.save`` (``ember.save`` when PyTorch is not
installed) into a temporary directory, removed at exit; both libraries then load the same
file (from the page cache after the warm-up calls). Each call returns a scalar computed from
8 elements, so that the mmap workload does not fault the whole file in.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import tempfile
from collections.abc import Callable
from types import ModuleType

import numpy as np
from workloads_core import Data, Workload

N_TENSORS = 50
TENSOR_ELEMS = 500 * 2**20 // 4 // N_TENSORS  # 500 MiB of float32 in all
_FILE: list[str] = []


def _checkpoint(rng: np.random.Generator) -> str:
    """Path of the 500 MB checkpoint, written on first use."""
    if _FILE:
        return _FILE[0]
    d = tempfile.mkdtemp(prefix="ember-bench-ckpt-")
    atexit.register(shutil.rmtree, d, True)
    path = os.path.join(d, "state_dict.pt")
    try:
        writer = importlib.import_module("torch")
    except ImportError:
        writer = importlib.import_module("ember")
    sd = {f"layer{i}.weight": writer.from_numpy(
        rng.standard_normal(TENSOR_ELEMS, dtype=np.float32).reshape(-1, 1024))
        for i in range(N_TENSORS)}
    writer.save(sd, path)
    _FILE.append(path)
    return path


def _data(rng: np.random.Generator) -> Data:
    _checkpoint(rng)
    return {}


def _setup(mmap: bool) -> Callable[[ModuleType, Data], Callable[[], object]]:
    def setup(lib: ModuleType, data: Data) -> Callable[[], object]:
        path = _FILE[0]

        def run():
            sd = lib.load(path, weights_only=True, mmap=mmap)
            return sd["layer7.weight"].reshape(-1)[:8].sum()

        return run

    return setup


WORKLOADS: dict[str, Workload] = {
    "load_500mb": Workload("load a 500 MB float32 state_dict (50 tensors, zip format)",
                           _data, _setup(False)),
    "load_500mb_mmap": Workload("the same with mmap=True (tensor data mapped, not read)",
                                _data, _setup(True)),
}
