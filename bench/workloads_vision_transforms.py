"""embervision transform benchmark (issue 7), written once against a torch-like ``lib``.

``vision_transform_pipeline``: ``RandomResizedCrop(224) + RandomHorizontalFlip + ToTensor +
Normalize`` over 1,000 decoded 320x240 RGB PIL images (built once in setup), the standard
ImageNet training pipeline. ``lib`` is ember (embervision's v1 transforms) or torch
(torchvision's, imported through the shim its C ops need with this torch build). Without an
importable torchvision the torch side runs the same four steps written with PIL + torch ops.

The two libraries draw different random crops, so the returned scalar is the number of output
elements (shapes must agree), not a pixel sum.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from types import ModuleType

import numpy as np
from workloads_core import Data, Workload

N_IMAGES = 1000
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def _images_data(rng: np.random.Generator) -> Data:
    # smooth-ish content: a low-resolution random image upsampled, plus noise
    base = rng.integers(0, 256, size=(N_IMAGES, 30, 40, 3), dtype=np.uint8)
    imgs = np.repeat(np.repeat(base, 8, axis=1), 8, axis=2)
    imgs = imgs ^ rng.integers(0, 16, size=imgs.shape, dtype=np.uint8)
    return {"images": imgs}


def _transforms_module(lib: ModuleType):
    """embervision.transforms for ember, torchvision.transforms for torch (None if missing)."""
    if lib.__name__ == "ember":
        import embervision.transforms as T
        return T
    try:
        import torch.library
        torch.library.register_fake = lambda *a, **k: (lambda f: f)  # C ops unused here
        import torchvision.transforms as T
        return T
    except (ImportError, RuntimeError) as e:
        print(f"torchvision is not importable ({e}): timing a PIL + torch equivalent",
              file=sys.stderr)
        return None


def _manual_pipeline(lib: ModuleType) -> Callable:
    """The same four steps with PIL and ``lib`` ops (same parameter draws as torchvision)."""
    from PIL import Image
    mean = lib.tensor(MEAN).view(-1, 1, 1)
    std = lib.tensor(STD).view(-1, 1, 1)

    def params(w, h):
        area = w * h
        for _ in range(10):
            target = area * float(lib.empty(1).uniform_(0.08, 1.0))
            ar = math.exp(float(lib.empty(1).uniform_(math.log(3 / 4), math.log(4 / 3))))
            cw, ch = int(round(math.sqrt(target * ar))), int(round(math.sqrt(target / ar)))
            if 0 < cw <= w and 0 < ch <= h:
                i = int(lib.randint(0, h - ch + 1, (1,)))
                j = int(lib.randint(0, w - cw + 1, (1,)))
                return i, j, ch, cw
        return 0, 0, h, w

    def run_one(img):
        i, j, h, w = params(*img.size)
        img = img.crop((j, i, j + w, i + h)).resize((224, 224), Image.Resampling.BILINEAR)
        if float(lib.rand(1)) < 0.5:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        x = lib.from_numpy(np.asarray(img).transpose(2, 0, 1).copy()).float().div(255)
        return (x - mean) / std

    return run_one


def _pipeline_setup(lib: ModuleType, data: Data) -> Callable[[], object]:
    from PIL import Image
    images = [Image.fromarray(a) for a in data["images"]]
    T = _transforms_module(lib)
    if T is None:
        pipeline = _manual_pipeline(lib)
    else:
        pipeline = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(),
                              T.Normalize(MEAN, STD)])

    def run():
        n = 0
        for img in images:
            n += pipeline(img).numel()
        return lib.tensor(float(n))

    return run


WORKLOADS: dict[str, Workload] = {
    "vision_transform_pipeline": Workload(
        "RandomResizedCrop(224)+HFlip+ToTensor+Normalize over 1000 320x240 PIL images",
        _images_data, _pipeline_setup),
}
