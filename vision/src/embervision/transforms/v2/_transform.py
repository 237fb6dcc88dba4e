"""v2 ``Transform`` base class: flatten the sample, pick what to transform, draw parameters
once, transform every selected leaf with the same parameters, rebuild the sample."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PIL import Image as _PIL

import ember
import ember.nn as nn

from ... import tv_tensors
from .. import _sampling

__all__ = ["Transform", "Compose", "RandomApply", "RandomChoice", "RandomOrder", "Identity",
           "Lambda"]


def tree_flatten(tree):
    """Leaves of nested dicts/lists/tuples and a spec to rebuild them."""
    if isinstance(tree, Mapping):
        keys = list(tree.keys())
        leaves, specs = [], []
        for k in keys:
            sub, spec = tree_flatten(tree[k])
            leaves += sub
            specs.append(spec)
        return leaves, (type(tree), keys, specs)
    if isinstance(tree, (list, tuple)) and not hasattr(tree, "_fields"):
        leaves, specs = [], []
        for item in tree:
            sub, spec = tree_flatten(item)
            leaves += sub
            specs.append(spec)
        return leaves, (type(tree), None, specs)
    return [tree], None


def tree_unflatten(leaves, spec):
    it = iter(leaves)
    return _build(it, spec)


def _build(it, spec):
    if spec is None:
        return next(it)
    kind, keys, specs = spec
    items = [_build(it, s) for s in specs]
    if keys is not None:
        pairs = zip(keys, items, strict=True)
        return dict(pairs) if kind is dict else kind(pairs)
    return kind(items)


def is_pure_tensor(x) -> bool:
    return isinstance(x, ember.Tensor) and not isinstance(x, tv_tensors.TVTensor)


def _is_image_like(x) -> bool:
    return isinstance(x, (tv_tensors.Image, tv_tensors.Video, _PIL.Image))


def query_size(flat_inputs) -> tuple[int, int]:
    """The common ``(H, W)`` of the images, videos, masks and boxes in the sample."""
    sizes = set()
    for x in flat_inputs:
        if isinstance(x, tv_tensors.BoundingBoxes):
            sizes.add(tuple(x.canvas_size))
        elif isinstance(x, _PIL.Image):
            sizes.add((x.height, x.width))
        elif isinstance(x, (tv_tensors.Image, tv_tensors.Video, tv_tensors.Mask)) \
                or is_pure_tensor(x):
            sizes.add((int(x.shape[-2]), int(x.shape[-1])))
    if not sizes:
        raise TypeError("No image, video, mask or bounding box was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: "
                         f"{sorted(sizes)}")
    return sizes.pop()


def query_chw(flat_inputs) -> tuple[int, int, int]:
    """The common ``(C, H, W)`` of the images in the sample."""
    from ..functional import get_dimensions
    dims = {tuple(get_dimensions(x)) for x in flat_inputs
            if _is_image_like(x) or is_pure_tensor(x)}
    if not dims:
        raise TypeError("No image or video was found in the sample")
    if len(dims) > 1:
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {sorted(dims)}")
    return dims.pop()


class Transform(nn.Module):
    """Base of v2 transforms: override ``make_params(flat_inputs)`` and ``transform(inpt,
    params)``.

    Leaves transformed: TVTensors, PIL images and the first plain tensor when the sample holds
    no Image/Video/PIL image (it is then the image); other plain tensors and non-tensors pass
    through untouched.
    """

    _transformed_types: tuple = (ember.Tensor, _PIL.Image)

    def make_params(self, flat_inputs) -> dict:
        return {}

    def transform(self, inpt, params: dict):
        raise NotImplementedError

    def _needs_transform_list(self, flat_inputs) -> list[bool]:
        transform_pure = not any(_is_image_like(x) for x in flat_inputs)
        out = []
        for x in flat_inputs:
            needs = isinstance(x, self._transformed_types)
            if needs and is_pure_tensor(x):
                needs, transform_pure = transform_pure, False
            out.append(needs)
        return out

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        flat, spec = tree_flatten(sample)
        needs = self._needs_transform_list(flat)
        params = self.make_params([x for x, n in zip(flat, needs, strict=False) if n])
        out = [self.transform(x, params) if n else x for x, n in zip(flat, needs, strict=False)]
        return tree_unflatten(out, spec)


class _RandomApplyTransform(Transform):
    """Apply the transform with probability ``p`` (one draw per call)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__()
        self.p = p

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        if _sampling.rand() >= self.p:
            return sample
        return super().forward(*inputs)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Compose(Transform):
    """Apply ``transforms`` in sequence (the whole sample is passed along)."""

    def __init__(self, transforms: Sequence) -> None:
        super().__init__()
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        self.transforms = transforms

    def forward(self, *inputs):
        needs_unpacking = len(inputs) > 1
        for t in self.transforms:
            out = t(*inputs)
            inputs = out if needs_unpacking else (out,)
        return out

    def __repr__(self) -> str:
        return "\n".join([f"{type(self).__name__}("] + [f"    {t}" for t in self.transforms]
                         + [")"])


class RandomApply(Transform):
    """Apply all ``transforms`` with probability ``p``."""

    def __init__(self, transforms, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.transforms, self.p = transforms, p

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        if _sampling.rand() >= self.p:
            return sample
        for t in self.transforms:
            sample = t(sample)
        return sample


class RandomChoice(Transform):
    """Apply one transform chosen with probabilities ``p`` (ember's generator)."""

    def __init__(self, transforms, p=None) -> None:
        super().__init__()
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        p = [1.0] * len(transforms) if p is None else list(p)
        if len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(transforms)}")
        total = sum(p)
        self.transforms, self.p = transforms, [w / total for w in p]

    def forward(self, *inputs):
        idx = int(ember.multinomial(ember.tensor(self.p), 1).item())
        return self.transforms[idx](*inputs)


class RandomOrder(Transform):
    """Apply ``transforms`` in a random order (ember's generator)."""

    def __init__(self, transforms) -> None:
        super().__init__()
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        self.transforms = transforms

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        for i in ember.randperm(len(self.transforms)).tolist():
            sample = self.transforms[i](sample)
        return sample


class Identity(Transform):
    """Return the sample unchanged."""

    def transform(self, inpt, params):
        return inpt


class Lambda(Transform):
    """Apply ``lambd`` to every leaf of one of ``types`` (default: every leaf)."""

    def __init__(self, lambd, *types) -> None:
        super().__init__()
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd, self.types = lambd, types or (object,)
        self._transformed_types = self.types

    def transform(self, inpt, params):
        return self.lambd(inpt) if isinstance(inpt, self.types) else inpt


