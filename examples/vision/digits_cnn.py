"""Train a small CNN on the bundled 8×8 digits: embervision dataset, transforms and DataLoader.

Plain PyTorch code under ``import ember as torch`` / ``import embervision as torchvision``:

    python examples/vision/digits_cnn.py                 # ~1 minute on 2 CPU cores
    python examples/vision/digits_cnn.py --workers 2     # load batches in 2 worker processes

It trains, reports held-out accuracy (the script fails below 97 %), saves a checkpoint with
``torch.save`` (atomic), reloads it into a fresh model and checks it predicts the same.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tqdm import tqdm

import ember as torch
import embervision as torchvision
from ember import nn
from ember.utils.data import DataLoader
from embervision import transforms

TARGET_ACCURACY = 0.97


def build_model() -> nn.Module:
    """conv-BN-ReLU ×2 → max-pool → conv-BN-ReLU → global average → linear, for 1×8×8 input."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(128, 10),
    )


def evaluate(model: nn.Module, loader: DataLoader) -> tuple[float, torch.Tensor]:
    """Accuracy of ``model`` over ``loader`` and all its predicted labels."""
    model.eval()
    predictions, correct = [], 0
    with torch.no_grad():
        for images, labels in loader:
            pred = model(images).argmax(1)
            correct += (pred == labels).sum().item()
            predictions.append(pred)
    return correct / len(loader.dataset), torch.cat(predictions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--target", type=float, default=TARGET_ACCURACY,
                        help="fail below this held-out accuracy")
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    normalize = transforms.Normalize((0.5,), (0.5,))
    train_tf = transforms.Compose([transforms.RandomAffine(degrees=10, scale=(0.9, 1.1)),
                                   transforms.ToTensor(), normalize])
    test_tf = transforms.Compose([transforms.ToTensor(), normalize])
    train_set = torchvision.datasets.Digits(train=True, transform=train_tf)
    test_set = torchvision.datasets.Digits(train=False, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers,
                              generator=torch.Generator().manual_seed(0))
    test_loader = DataLoader(test_set, batch_size=256, num_workers=args.workers)

    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    bar = tqdm(range(args.epochs), desc="train", unit="epoch")
    for _ in bar:
        model.train()
        total, seen = 0.0, 0
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            seen += len(labels)
        scheduler.step()
        bar.set_postfix(loss=f"{total / seen:.4f}")

    accuracy, predictions = evaluate(model, test_loader)
    print(f"held-out accuracy: {accuracy:.4f} ({len(test_set)} images)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "digits_cnn.pt"
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "epoch": args.epochs}, path)
        checkpoint = torch.load(path)  # weights_only=True: plain data only, no code runs
        fresh = build_model()
        fresh.load_state_dict(checkpoint["model"])
        reloaded_accuracy, reloaded_predictions = evaluate(fresh, test_loader)
    print(f"reloaded accuracy:  {reloaded_accuracy:.4f}")

    if not torch.equal(predictions, reloaded_predictions):
        print("error: the reloaded checkpoint predicts differently", file=sys.stderr)
        return 1
    if accuracy < args.target:
        print(f"error: accuracy {accuracy:.4f} is below {args.target}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
