"""Classify images with a pretrained model and the preprocessing its weights declare.

    python examples/vision/classify_image.py cat.jpg dog.png --model resnet50

``weights.transforms()`` resizes, crops and normalises exactly as the weights were trained;
``weights.meta["categories"]`` names the 1,000 ImageNet classes.
"""

from __future__ import annotations

import argparse

import ember as torch
import embervision as torchvision
from embervision.io import ImageReadMode, read_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+")
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()

    weights = torchvision.models.get_model_weights(args.model).DEFAULT
    model = torchvision.models.get_model(args.model, weights=weights).eval()
    preprocess = weights.transforms()
    batch = torch.stack([preprocess(read_image(p, mode=ImageReadMode.RGB)) for p in args.images])
    with torch.no_grad():
        probabilities = model(batch).softmax(dim=1)
    top = probabilities.topk(args.top, dim=1)
    for path, scores, indices in zip(args.images, top.values, top.indices, strict=True):
        print(path)
        for score, index in zip(scores.tolist(), indices.tolist(), strict=True):
            print(f"  {score:6.2%}  {weights.meta['categories'][index]}")


if __name__ == "__main__":
    main()
