"""``optim`` benchmark workloads (issue 4): one optimizer ``step()`` over ~25 M float32
parameters in 100 tensors, with fixed gradients, written once against a torch-like ``lib``.

Same protocol as ``workloads_core``: data from numpy (identical for both libraries), one timed
call per repetition. Gradients never change, so every call is one full update of all tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
from workloads_core import Data, Workload, to_device

N_TENSORS = 100
# 100 tensors, ~25 M parameters: 50 weight matrices of 512 x 976 and 50 vectors of 512.
SHAPES = [(512, 976) if i % 2 == 0 else (512,) for i in range(N_TENSORS)]
N_PARAMS = sum(int(np.prod(s)) for s in SHAPES)


def _data(rng: np.random.Generator) -> Data:
    out = {}
    for i, s in enumerate(SHAPES):
        out[f"p{i}"] = (0.05 * rng.standard_normal(s)).astype(np.float32)
        out[f"g{i}"] = (0.01 * rng.standard_normal(s)).astype(np.float32)
    return out


def _setup(make_opt: Callable) -> Callable[[ModuleType, Data], Callable[[], object]]:
    def setup(lib: ModuleType, data: Data) -> Callable[[], object]:
        params = []
        for i in range(N_TENSORS):
            p = lib.nn.Parameter(to_device(lib, data[f"p{i}"]))
            p.grad = to_device(lib, data[f"g{i}"])
            params.append(p)
        opt = make_opt(lib, params)

        def run():
            opt.step()
            return params[1][0]

        return run

    return setup


WORKLOADS: dict[str, Workload] = {
    "adam_step": Workload(
        f"Adam step (lr 1e-3), {N_TENSORS} float32 tensors, {N_PARAMS / 1e6:.1f} M params",
        _data, _setup(lambda lib, ps: lib.optim.Adam(ps, lr=1e-3)), gpu=True),
    "sgd_momentum_step": Workload(
        f"SGD step (lr 1e-2, momentum 0.9), {N_TENSORS} float32 tensors, "
        f"{N_PARAMS / 1e6:.1f} M params",
        _data, _setup(lambda lib, ps: lib.optim.SGD(ps, lr=1e-2, momentum=0.9)), gpu=True),
}
