"""The vision examples run end to end (short settings) on bundled or generated data."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

import ember

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "vision"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_demo_trains_saves_and_reloads(capsys):
    # 2 epochs instead of 12: accuracy is lower, the whole path (dataset, transforms,
    # DataLoader, Adam, cosine schedule, save, load, compare) is the same
    assert _load("digits_cnn").main(["--epochs", "2", "--target", "0.5"]) == 0
    out = capsys.readouterr().out
    acc = float(out.split("held-out accuracy: ")[1].split()[0])
    assert acc > 0.5 and f"reloaded accuracy:  {acc:.4f}" in out


def _idx(path: Path, array: np.ndarray, type_code: int) -> None:
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())  # the extracted form torchvision keeps in raw/


@pytest.mark.parametrize("workers", [0, 2])
def test_mnist_example_on_generated_idx_files(tmp_path, workers):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 128), ("t10k", 64)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        # a learnable signal: a bright square whose row encodes the label
        images = np.zeros((n, 28, 28), np.uint8)
        for i, y in enumerate(labels):
            images[i, 2 * y + 2:2 * y + 6, 10:18] = 255
        _idx(raw / f"{prefix}-images-idx3-ubyte", images, 0x08)
        _idx(raw / f"{prefix}-labels-idx1-ubyte", labels, 0x08)
    out = tmp_path / "w.pt"
    accuracy = _load("train_mnist").main(["--root", str(tmp_path), "--epochs", "2",
                                           "--workers", str(workers), "--out", str(out)])
    assert 0.0 <= accuracy <= 1.0
    state = ember.load(out)
    assert state["fc2.weight"].shape == (10, 128)
