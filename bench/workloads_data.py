"""``utils.data`` benchmark workloads (issue 5), written once against a torch-like ``lib``.

- ``data_tensor``: one epoch over a 60000x784 float32 TensorDataset, batch 256, shuffled with a
  seeded generator, ``num_workers=0`` (ember batches by one fancy index per tensor).
- ``data_map_w0`` / ``data_map_w2``: one epoch over a map-style dataset of 512 items whose
  ``__getitem__`` does about 1 ms of numpy work and returns a 3x64x64 float32 array; batch 64,
  ``num_workers`` 0 and 2 (worker start-up included, as in a fresh epoch).

Each run returns the sum over the epoch (a scalar tensor) so both libraries can be compared.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
from workloads_core import Data, Workload

MAP_ITEMS = 512
MAP_ROUNDS = 75  # numpy passes per item: about 1 ms on one core of our machine


def _tensor_data(rng: np.random.Generator) -> Data:
    return {"x": rng.standard_normal((60000, 784)).astype(np.float32),
            "y": rng.integers(0, 10, size=60000, dtype=np.int64)}


def _tensor_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    ds = lib.utils.data.TensorDataset(lib.from_numpy(data["x"].copy()),
                                      lib.from_numpy(data["y"].copy()))

    def run():
        g = lib.Generator().manual_seed(0)
        loader = lib.utils.data.DataLoader(ds, batch_size=256, shuffle=True, generator=g)
        total = 0.0
        for x, y in loader:
            total += float(x[:, 0].sum()) + float(y.sum())
        return lib.tensor(total)

    return run


class _NumpyWork:
    """Map-style dataset: item ``i`` is ~1 ms of elementwise numpy work on a 3x64x64 array.

    Plain class (no base): both DataLoaders accept any object with ``__getitem__``/``__len__``.
    """

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> np.ndarray:
        x = np.random.default_rng(i).standard_normal((3, 64, 64), dtype=np.float32)
        for _ in range(MAP_ROUNDS):
            x = np.tanh(x) * np.float32(1.5) + np.float32(0.01) * np.sqrt(np.abs(x))
        return x


def _map_data(rng: np.random.Generator) -> Data:
    return {}


def _map_setup(workers: int):
    def setup(lib: ModuleType, data: Data) -> Callable[[], object]:
        ds = _NumpyWork(MAP_ITEMS)

        def run():
            loader = lib.utils.data.DataLoader(ds, batch_size=64, num_workers=workers)
            total = 0.0
            for x in loader:
                total += float(x[:, 0, 0, 0].sum())
            return lib.tensor(total)

        return run

    return setup


WORKLOADS: dict[str, Workload] = {
    "data_tensor": Workload("DataLoader epoch, TensorDataset 60000x784 f32, batch 256, shuffle, "
                            "0 workers", _tensor_data, _tensor_setup),
    "data_map_w0": Workload("DataLoader epoch, 512 items x ~1 ms numpy -> 3x64x64, batch 64, "
                            "0 workers", _map_data, _map_setup(0)),
    "data_map_w2": Workload("DataLoader epoch, 512 items x ~1 ms numpy -> 3x64x64, batch 64, "
                            "2 workers (start-up included)", _map_data, _map_setup(2)),
}
