"""Train a small MLP on 8x8 handwritten digits with ember, written as plain PyTorch code.

Run with ``python examples/quickstart.py`` (or ``python3 -m nox -s demo``). It trains a
64-128-10 multilayer perceptron with minibatch SGD + momentum from raw tensor ops, reports the
held-out accuracy, saves the weights atomically, reloads them into fresh tensors and checks that
the reloaded model scores exactly the same. Exits with status 1 if accuracy is below 95 %.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

import ember as torch

DATA = Path(__file__).resolve().parent / "data" / "digits.npz"
N_TRAIN = 1437  # of 1797; the remaining 360 are held out
HIDDEN = 128
EPOCHS = 30
BATCH = 32
LR = 0.05
MOMENTUM = 0.9
TARGET_ACCURACY = 0.95


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Return images as float32 in [0, 1], shape (1797, 64), and labels as int64, shape (1797,)."""
    with np.load(DATA) as z:
        images, target = z["images"], z["target"]
    x = images.reshape(len(images), -1).astype(np.float32) / 16.0  # pixel counts are 0..16
    return x, target.astype(np.int64)


def init_params(g: torch.Generator) -> list[torch.Tensor]:
    """He-initialised weights and zero biases for a 64-HIDDEN-10 MLP, all requiring grad."""
    w1 = torch.randn(64, HIDDEN, generator=g) * (2.0 / 64) ** 0.5
    b1 = torch.tensor([0.0] * HIDDEN)
    w2 = torch.randn(HIDDEN, 10, generator=g) * (2.0 / HIDDEN) ** 0.5
    b2 = torch.tensor([0.0] * 10)
    return [p.requires_grad_() for p in (w1, b1, w2, b2)]


def forward(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Logits of the MLP for a batch ``x`` of shape (N, 64)."""
    w1, b1, w2, b2 = params
    h = (x @ w1 + b1).clamp(min=0)
    return h @ w2 + b2


def cross_entropy(logits: torch.Tensor, target_col: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood; ``target_col`` holds class indices, shape (N, 1)."""
    # NOTE: logsumexp shifts by the row maximum, so large logits do not overflow.
    picked = logits.gather(1, target_col).squeeze(1)
    return (logits.logsumexp(1) - picked).mean()


def accuracy(params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of ``x`` whose predicted class equals ``y``."""
    with torch.no_grad():
        return (forward(params, x).argmax(1) == y).float().mean().item()


def train(params: list[torch.Tensor], x: np.ndarray, y: np.ndarray, g: torch.Generator) -> None:
    """Minibatch SGD with (PyTorch-style) momentum, in place on ``params``."""
    velocity: list[torch.Tensor | None] = [None] * len(params)
    bar = tqdm(range(EPOCHS), desc="train", unit="epoch")
    for _ in bar:
        order = torch.randperm(len(x), generator=g).numpy()
        total, batches = 0.0, 0
        for start in range(0, len(x), BATCH):
            idx = order[start : start + BATCH]
            xb = torch.from_numpy(x[idx])
            yb = torch.from_numpy(y[idx, None]).long()
            loss = cross_entropy(forward(params, xb), yb)
            loss.backward()
            with torch.no_grad():
                for i, p in enumerate(params):
                    v = p.grad if velocity[i] is None else velocity[i] * MOMENTUM + p.grad
                    velocity[i] = v
                    p.sub_(LR * v)
                    p.grad = None
            total += loss.item()
            batches += 1
        bar.set_postfix(loss=f"{total / batches:.4f}")


def save_atomic(params: list[torch.Tensor], path: Path) -> None:
    """Write the parameters to ``path`` as .npz; a crash never leaves a half-written file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **{f"p{i}": p.detach().numpy() for i, p in enumerate(params)})
    os.replace(tmp, path)


def load(path: Path) -> list[torch.Tensor]:
    """Read parameters written by :func:`save_atomic` into fresh tensors."""
    with np.load(path) as z:
        return [torch.from_numpy(z[f"p{i}"]) for i in range(len(z.files))]


def main() -> int:
    """Train, evaluate, save, reload and re-evaluate; return the process exit status."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x, y = load_digits()
    perm = torch.randperm(len(x), generator=g).numpy()
    train_idx, test_idx = perm[:N_TRAIN], perm[N_TRAIN:]
    x_test = torch.from_numpy(x[test_idx]).float()
    y_test = torch.from_numpy(y[test_idx]).long()

    params = init_params(g)
    train(params, x[train_idx], y[train_idx], g)
    acc = accuracy(params, x_test, y_test)
    print(f"held-out accuracy: {acc:.4f} ({len(test_idx)} images)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mlp.npz"
        save_atomic(params, path)
        reloaded_acc = accuracy(load(path), x_test, y_test)
    print(f"reloaded accuracy:  {reloaded_acc:.4f}")

    if reloaded_acc != acc:
        print("error: reloaded weights give a different accuracy", file=sys.stderr)
        return 1
    if acc < TARGET_ACCURACY:
        print(f"error: accuracy {acc:.4f} is below {TARGET_ACCURACY}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
