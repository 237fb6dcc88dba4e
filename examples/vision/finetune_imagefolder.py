"""Fine-tune an ImageNet-pretrained ResNet-18 on your own ``ImageFolder`` of images.

    python examples/vision/finetune_imagefolder.py path/to/train path/to/val --epochs 5

Each folder holds one sub-folder per class (``train/cat/*.jpg``, ``train/dog/*.jpg`` …). The
pretrained weights come from PyTorch's download host, verified against the sha256 prefix in their
file name, and are cached under ``$EMBER_HOME/hub/checkpoints``. Only the new classifier head
trains for the first epoch; then the whole network trains with a 10× smaller learning rate.
"""

from __future__ import annotations

import argparse

from tqdm import tqdm

import ember as torch
import embervision as torchvision
from ember import nn
from ember.utils.data import DataLoader
from embervision import transforms
from embervision.models import ResNet18_Weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train_dir")
    parser.add_argument("val_dir")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    weights = ResNet18_Weights.IMAGENET1K_V1
    mean, std = weights.transforms().mean, weights.transforms().std
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                   transforms.Normalize(mean, std)])
    train_set = torchvision.datasets.ImageFolder(args.train_dir, train_tf)
    val_set = torchvision.datasets.ImageFolder(args.val_dir, weights.transforms())
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, num_workers=args.workers)
    val_loader = DataLoader(val_set, 64, num_workers=args.workers)

    model = torchvision.models.resnet18(weights=weights)
    model.fc = nn.Linear(model.fc.in_features, len(train_set.classes))
    head = torch.optim.AdamW(model.fc.parameters(), lr=1e-3)
    full = torch.optim.AdamW(model.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        optimizer = head if epoch == 0 else full
        model.train()
        for images, labels in tqdm(train_loader, desc=f"epoch {epoch + 1}", unit="batch"):
            optimizer.zero_grad()
            loss_fn(model(images), labels).backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in val_loader:
                correct += (model(images).argmax(1) == labels).sum().item()
        print(f"epoch {epoch + 1}: validation accuracy {correct / len(val_set):.4f}")
    torch.save({"model": model.state_dict(), "classes": train_set.classes}, "finetuned.pt")


if __name__ == "__main__":
    main()
