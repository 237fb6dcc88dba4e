"""Core benchmark workloads, each written once against a torch-like module ``lib``.

``lib`` is ``ember`` or ``torch``. A workload has three parts, so that only the work itself is
timed:

- ``make_data(rng)``: the inputs as float32/int64 numpy arrays (shared by both libraries);
- ``setup(lib, data)``: converts them with :func:`to_device` (``lib.from_numpy`` moved to
  :data:`DEVICE`) and returns the timed callable;
- the callable: one forward + backward; it returns a scalar tensor, used to check that both
  libraries computed the same thing.

``WORKLOADS`` is the registry: a plain dict from name to :class:`Workload`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from types import ModuleType

import numpy as np

Data = dict[str, np.ndarray]


@dataclass(frozen=True)
class Workload:
    """One benchmark: how to build its data, how to set it up for a library, its FLOP count."""

    description: str
    make_data: Callable[[np.random.Generator], Data]
    setup: Callable[[ModuleType, Data], Callable[[], object]]
    flops: float | None = None  # floating-point operations per call, for GEMM-bound workloads
    gpu: bool = False  # whether the workload also runs with ``--device cuda``


# The device the workloads run on; bench/run.py sets it from ``--device``.
DEVICE = "cpu"


def to_device(lib: ModuleType, arr: np.ndarray):
    """``arr`` as a ``lib`` tensor of its own (a copy) on :data:`DEVICE`."""
    return lib.from_numpy(arr.copy()).to(DEVICE)


def place(obj):
    """A module or tensor moved to :data:`DEVICE` (``obj.to(DEVICE)``)."""
    return obj.to(DEVICE)


def _leaves(lib: ModuleType, data: Data, names: tuple[str, ...]) -> list:
    """Tensors for ``names`` that require grad; each library gets its own copy of the data."""
    return [to_device(lib, data[n]).requires_grad_() for n in names]


# --- dispatch: per-op overhead on tiny tensors -------------------------------------------------

CHAIN_LENGTH = 200


def _dispatch_data(rng: np.random.Generator) -> Data:
    return {"x": rng.standard_normal(16).astype(np.float32)}


def _dispatch_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    (x,) = _leaves(lib, data, ("x",))

    def run():
        x.grad = None
        y = x
        # 5 ops per round; sin and exp keep the values in [exp(-1), e] after every round.
        for _ in range(CHAIN_LENGTH // 5):
            y = ((y * 0.9 + 0.1).sin() - 0.05).exp()
        out = y.sum()
        out.backward()
        return out

    return run


# --- matmul: one large GEMM forward, two in backward -------------------------------------------

MATMUL_N = 1024


def _matmul_data(rng: np.random.Generator) -> Data:
    shape = (MATMUL_N, MATMUL_N)
    return {k: rng.standard_normal(shape).astype(np.float32) for k in ("a", "b")}


def _matmul_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    a, b = _leaves(lib, data, ("a", "b"))

    def run():
        a.grad = b.grad = None
        out = (a @ b).sum()
        out.backward()
        return out

    return run


# --- broadcast_reduce: memory-bound broadcasting, elementwise and reductions -------------------

BR_ROWS, BR_COLS = 1000, 1000


def _broadcast_data(rng: np.random.Generator) -> Data:
    return {
        # NOTE: scaled by 0.1 so that exp() stays far from float32 overflow.
        "x": (0.1 * rng.standard_normal((BR_ROWS, BR_COLS))).astype(np.float32),
        "w": (0.1 * rng.standard_normal(BR_COLS)).astype(np.float32),
        "b": (0.1 * rng.standard_normal(BR_ROWS)).astype(np.float32),
    }


def _broadcast_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    x, w, b = _leaves(lib, data, ("x", "w", "b"))

    def run():
        x.grad = w.grad = b.grad = None
        out = (x * w[None, :] + b[:, None]).exp().mean(dim=1).sum()
        out.backward()
        return out

    return run


# --- mlp: 784-512-512-10 from raw ops, cross-entropy via logsumexp and gather ------------------

MLP_SIZES = (784, 512, 512, 10)
MLP_BATCH = 128


def _mlp_data(rng: np.random.Generator) -> Data:
    data = {
        "x": rng.standard_normal((MLP_BATCH, MLP_SIZES[0])).astype(np.float32),
        "y": rng.integers(0, MLP_SIZES[-1], size=(MLP_BATCH, 1), dtype=np.int64),
    }
    for i, (fan_in, fan_out) in enumerate(pairwise(MLP_SIZES), start=1):
        scale = (2.0 / fan_in) ** 0.5
        data[f"w{i}"] = (scale * rng.standard_normal((fan_in, fan_out))).astype(np.float32)
        data[f"b{i}"] = np.zeros(fan_out, dtype=np.float32)
    return data


def _mlp_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    params = _leaves(lib, data, ("w1", "b1", "w2", "b2", "w3", "b3"))
    w1, b1, w2, b2, w3, b3 = params
    x, y = to_device(lib, data["x"]), to_device(lib, data["y"])

    def run():
        for p in params:
            p.grad = None
        h = (x @ w1 + b1).clamp(min=0)
        h = (h @ w2 + b2).clamp(min=0)
        logits = h @ w3 + b3
        out = (logits.logsumexp(1) - logits.gather(1, y).squeeze(1)).mean()
        out.backward()
        return out

    return run


def _mlp_flops() -> float:
    """Forward GEMMs plus the two backward GEMMs per layer (input grad skipped for layer 1)."""
    gemm = [2.0 * MLP_BATCH * i * o for i, o in pairwise(MLP_SIZES)]
    return 2 * sum(gemm) + sum(gemm[1:])


WORKLOADS: dict[str, Workload] = {
    "dispatch": Workload(
        f"{CHAIN_LENGTH} chained elementwise ops on a (16,) tensor + backward",
        _dispatch_data,
        _dispatch_setup,
        gpu=True,
    ),
    "matmul": Workload(
        f"{MATMUL_N}x{MATMUL_N} float32 a @ b, forward + backward",
        _matmul_data,
        _matmul_setup,
        flops=3 * 2.0 * MATMUL_N**3,
        gpu=True,
    ),
    "broadcast_reduce": Workload(
        f"(x*w[None,:] + b[:,None]).exp().mean(1).sum() on ({BR_ROWS},{BR_COLS}) + backward",
        _broadcast_data,
        _broadcast_setup,
        gpu=True,
    ),
    "mlp": Workload(
        f"{'-'.join(map(str, MLP_SIZES))} MLP, batch {MLP_BATCH}, forward + backward",
        _mlp_data,
        _mlp_setup,
        flops=_mlp_flops(),
        gpu=True,
    ),
}
