"""``nn`` benchmark workloads (issue 3), written once against a torch-like module ``lib``.

Same protocol as ``workloads_core``: data from numpy, weights drawn from a seeded numpy
generator in ``named_parameters`` order (identical for both libraries, whose parameter names
and shapes agree), one timed call per repetition returning a scalar.

The CNN train step updates with ``optim.Adam`` (lr 1e-3), as issue 3 specifies.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
from workloads_core import Data, Workload, place, to_device


def _init_like(lib: ModuleType, model, seed: int) -> None:
    """Overwrite every parameter with seeded N(0, 0.05) values (same for both libraries)."""
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for _, p in model.named_parameters():
            arr = (0.05 * rng.standard_normal(tuple(p.shape))).astype(np.float32)
            p.copy_(lib.from_numpy(arr))


# --- small CNN train step ----------------------------------------------------------------------

def _cnn_data(rng: np.random.Generator) -> Data:
    return {"x": rng.standard_normal((64, 3, 32, 32)).astype(np.float32),
            "y": rng.integers(0, 10, size=64, dtype=np.int64)}


def _cnn(lib: ModuleType):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def _cnn_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    model = _cnn(lib)
    _init_like(lib, model, 1)
    model = place(model)
    x, y = to_device(lib, data["x"]), to_device(lib, data["y"])
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)

    def run():
        opt.zero_grad(set_to_none=True)
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return run


# --- conv-heavy inference ----------------------------------------------------------------------

def _infer_data(rng: np.random.Generator) -> Data:
    return {"x": rng.standard_normal((8, 3, 128, 128)).astype(np.float32)}


def _infer_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
        nn.Conv2d(64, 128, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10)).eval()
    _init_like(lib, model, 2)
    model = place(model)
    x = to_device(lib, data["x"])

    def run():
        with lib.no_grad():
            return model(x).sum()

    return run


# --- transformer encoder layer -----------------------------------------------------------------

def _tf_data(rng: np.random.Generator) -> Data:
    return {"x": rng.standard_normal((16, 128, 256)).astype(np.float32)}


def _tf_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    layer = lib.nn.TransformerEncoderLayer(256, 4, dim_feedforward=1024, dropout=0.0,
                                           batch_first=True)
    _init_like(lib, layer, 3)
    layer = place(layer)
    x = to_device(lib, data["x"]).requires_grad_()

    def run():
        x.grad = None
        for p in layer.parameters():
            p.grad = None
        out = layer(x).square().mean()
        out.backward()
        return out

    return run


# --- LSTM --------------------------------------------------------------------------------------

def _lstm_data(rng: np.random.Generator) -> Data:
    return {"x": rng.standard_normal((50, 32, 128)).astype(np.float32)}


def _lstm_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    lstm = lib.nn.LSTM(128, 256)
    _init_like(lib, lstm, 4)
    lstm = place(lstm)
    x = to_device(lib, data["x"]).requires_grad_()

    def run():
        x.grad = None
        for p in lstm.parameters():
            p.grad = None
        out, _ = lstm(x)
        loss = out.square().mean()
        loss.backward()
        return loss

    return run


WORKLOADS: dict[str, Workload] = {
    "cnn_train": Workload("small CNN train step, 64x3x32x32 (conv-BN-ReLU-pool x2, Linear)",
                          _cnn_data, _cnn_setup, gpu=True),
    "conv_infer": Workload("4-conv net inference on 8x3x128x128 under no_grad",
                           _infer_data, _infer_setup, gpu=True),
    "transformer": Workload("TransformerEncoderLayer d256 h4 ff1024, 16x128, forward+backward",
                            _tf_data, _tf_setup, gpu=True),
    "lstm": Workload("LSTM 128->256, seq 50, batch 32, forward+backward",
                     _lstm_data, _lstm_setup, gpu=True),
}
