"""Train a ResNet-18 (CIFAR variant of the stem) on CIFAR-10 with the usual augmentation.

    python examples/vision/train_cifar10.py --root ~/data --download --epochs 30 --workers 2

Random crop with 4-pixel padding + horizontal flip, SGD with Nesterov momentum and a one-cycle
learning rate; checkpoints every epoch to ``cifar10_resnet18.pt`` (atomic writes, resumable with
``--resume``).
"""

from __future__ import annotations

import argparse
import os

from tqdm import tqdm

import ember as torch
import embervision as torchvision
from ember import nn
from ember.utils.data import DataLoader
from embervision import transforms

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def cifar_resnet18() -> nn.Module:
    """torchvision's resnet18 with a 3×3 stride-1 stem and no max-pool, for 32×32 inputs."""
    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    model.maxpool = nn.Identity()
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="data")
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--checkpoint", default="cifar10_resnet18.pt")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()

    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                   transforms.Normalize(MEAN, STD)])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    train_set = torchvision.datasets.CIFAR10(args.root, True, train_tf, download=args.download)
    test_set = torchvision.datasets.CIFAR10(args.root, False, test_tf, download=args.download)
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, drop_last=True,
                              num_workers=args.workers, persistent_workers=args.workers > 0)
    test_loader = DataLoader(test_set, 512, num_workers=args.workers)

    model = cifar_resnet18()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                                weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=args.epochs,
                                                    steps_per_epoch=len(train_loader))
    start = 0
    if args.resume and os.path.exists(args.checkpoint):
        state = torch.load(args.checkpoint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start = state["epoch"]
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    for epoch in range(start, args.epochs):
        model.train()
        for images, labels in tqdm(train_loader, desc=f"epoch {epoch + 1}", unit="batch"):
            optimizer.zero_grad()
            loss_fn(model(images), labels).backward()
            optimizer.step()
            scheduler.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in test_loader:
                correct += (model(images).argmax(1) == labels).sum().item()
        print(f"epoch {epoch + 1}: test accuracy {correct / len(test_set):.4f}")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": epoch + 1}, args.checkpoint)


if __name__ == "__main__":
    main()
