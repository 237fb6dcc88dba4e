"""Train a LeNet-style CNN on MNIST (or FashionMNIST) — the classic PyTorch example on ember.

    python examples/vision/train_mnist.py --root ~/data --download
    python examples/vision/train_mnist.py --dataset FashionMNIST --epochs 5 --workers 2

The files are downloaded (verified, resumable) into ``<root>/MNIST/raw`` like torchvision's;
``ember-data download MNIST`` fetches them ahead of time. Saves the weights to ``--out``
(default ``mnist_cnn.pt``).
"""

from __future__ import annotations

import argparse

from tqdm import tqdm

import ember as torch
import embervision as torchvision
from ember import nn
from ember.nn import functional as F
from ember.utils.data import DataLoader
from embervision import transforms


class Net(nn.Module):
    """Two conv layers, max-pool, dropout and two linear layers (PyTorch's MNIST example)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return self.fc2(x)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="data")
    parser.add_argument("--dataset", default="MNIST", choices=["MNIST", "FashionMNIST"])
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--out", default="mnist_cnn.pt")
    args = parser.parse_args(argv)

    torch.manual_seed(1)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    cls = getattr(torchvision.datasets, args.dataset)
    train_set = cls(args.root, train=True, download=args.download, transform=tf)
    test_set = cls(args.root, train=False, download=args.download, transform=tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers)
    test_loader = DataLoader(test_set, batch_size=1000, num_workers=args.workers)

    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for data, target in tqdm(train_loader, desc=f"epoch {epoch}", unit="batch"):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(data), target)
            loss.backward()
            optimizer.step()
        scheduler.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for data, target in test_loader:
                correct += (model(data).argmax(1) == target).sum().item()
        accuracy = correct / len(test_set)
        print(f"epoch {epoch}: test accuracy {accuracy:.4f}")
    torch.save(model.state_dict(), args.out)
    return accuracy


if __name__ == "__main__":
    main()
