"""Image utilities: grids of images, saving, and drawing boxes / masks / keypoints."""

from __future__ import annotations

import math
import warnings

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

import ember

__all__ = ["make_grid", "save_image", "draw_bounding_boxes", "draw_segmentation_masks",
           "draw_keypoints"]


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range=None, scale_each: bool = False, pad_value: float = 0.0):
    """Tile a batch ``(B, C, H, W)`` (or a list of ``(C, H, W)``) into one ``(C, H', W')`` image.

    ``nrow`` images per row, ``padding`` pixels of ``pad_value`` around each; single-channel
    images are repeated to 3 channels. ``normalize`` maps ``value_range`` (default: min/max of
    the batch, or of each image with ``scale_each``) to ``[0, 1]``.

    Raises:
        TypeError: not a tensor or list of tensors; ``value_range`` not a tuple.

    Example:
        >>> import ember
        >>> make_grid(ember.ones(3, 3, 4, 4), nrow=2).shape
        ember.Size([3, 14, 14])
    """
    if isinstance(tensor, (list, tuple)):
        if not all(isinstance(t, ember.Tensor) for t in tensor):
            raise TypeError(f"tensor should be of type ember.Tensor or a list of them, got "
                            f"{[type(t).__name__ for t in tensor]}")
        tensor = ember.stack(list(tensor), 0)
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"tensor should be of type ember.Tensor, got {type(tensor).__name__}")
    if tensor.ndim == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.ndim == 3:
        if tensor.shape[0] == 1:
            tensor = ember.cat([tensor] * 3, 0)
        tensor = tensor.unsqueeze(0)
    if tensor.ndim == 4 and tensor.shape[1] == 1:
        tensor = ember.cat([tensor] * 3, 1)
    if normalize:
        tensor = tensor.clone()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")

        def norm(t):
            lo, hi = value_range if value_range is not None else (float(t.min()), float(t.max()))
            return (t.clamp(lo, hi) - lo) / max(hi - lo, 1e-5)

        if scale_each:
            tensor = ember.stack([norm(t) for t in tensor.unbind(0)], 0)
        else:
            tensor = norm(tensor)
    if tensor.shape[0] == 1:
        return tensor.squeeze(0)
    nmaps = int(tensor.shape[0])
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.shape[2]) + padding, int(tensor.shape[3]) + padding
    c = int(tensor.shape[1])
    grid = ember.full((c, height * ymaps + padding, width * xmaps + padding), pad_value,
                      dtype=tensor.dtype, device=tensor.device)
    for k in range(nmaps):  # one slice assignment per image
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = \
            tensor[k]
    return grid


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:
    """Save a tensor (or batch, tiled with :func:`make_grid` ``**kwargs``) as an image file;
    values in ``[0, 1]`` become ``round(255 x)``."""
    grid = make_grid(tensor, **kwargs)
    arr = (grid.detach().cpu().to(ember.float32) * 255 + 0.5).clamp(0, 255)
    ndarr = arr.permute(1, 2, 0).to(ember.uint8).numpy()
    Image.fromarray(np.ascontiguousarray(ndarr)).save(fp, format=format)


def _generate_color_palette(num_objects: int) -> list[tuple[int, int, int]]:
    palette = (2**25 - 1, 2**15 - 1, 2**21 - 1)
    return [tuple((i * p) % 255 for p in palette) for i in range(num_objects)]


def _parse_colors(colors, num_objects: int, dtype=ember.uint8) -> list[tuple]:
    if colors is None:
        colors = _generate_color_palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(f"Number of colors must be equal or larger than the number of "
                             f"objects, but got {len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"colors must be a tuple or a string, or a list thereof, but got "
                         f"{colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got "
                         f"{colors}.")
    else:
        colors = [colors] * num_objects
    colors = [ImageColor.getrgb(c) if isinstance(c, str) else tuple(c) for c in colors]
    if dtype.is_floating_point:
        colors = [tuple(v / 255 for v in c) for c in colors]
    return colors


def _check_image(image, fname: str, channels=(3,)) -> None:
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"{fname}(): Tensor expected, got {type(image)}")
    if not (image.dtype == ember.uint8 or image.dtype.is_floating_point):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.ndim != 3:
        raise ValueError("Pass individual images, not batches")
    if int(image.shape[0]) not in channels:
        raise ValueError("Only grayscale and RGB images are supported" if 1 in channels
                         else "Pass an RGB image. Other Image formats are not supported")


def _to_pil(image):
    from .transforms.functional import convert_image_dtype
    if image.dtype.is_floating_point:
        image = convert_image_dtype(image, ember.uint8)
    return Image.fromarray(np.ascontiguousarray(image.permute(1, 2, 0).cpu().numpy()))


def _from_pil(img, dtype):
    from .transforms.functional import convert_image_dtype
    out = ember.from_numpy(np.array(img).transpose(2, 0, 1).copy())
    return convert_image_dtype(out, dtype) if dtype.is_floating_point else out


def draw_bounding_boxes(image, boxes, labels=None, colors=None, fill: bool = False,
                        width: int = 1, font=None, font_size=None, label_colors=None):
    """Draw XYXY ``boxes`` (``(N, 4)``, truncated to ints) on a ``(C, H, W)`` uint8/float image
    with Pillow; ``fill`` blends the box interior at alpha 100/255.

    Raises:
        TypeError: not a tensor. ValueError: dtype, batch, channels, box format, label count.

    Example:
        >>> import ember
        >>> out = draw_bounding_boxes(ember.zeros(3, 4, 4, dtype=ember.uint8),
        ...                           ember.tensor([[0, 0, 3, 3]]), colors="red")
        >>> out[:, 0, 0].tolist(), out[:, 1, 1].tolist()
        ([255, 0, 0], [0, 0, 0])
    """
    _check_image(image, "draw_bounding_boxes", (1, 3))
    if boxes.shape[-1] == 4 and bool(((boxes[:, 0] > boxes[:, 2]) |
                                      (boxes[:, 1] > boxes[:, 3])).any()):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use "
                         "embervision.ops.box_convert to convert them")
    num_boxes = int(boxes.shape[0])
    if num_boxes == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=2)
        return image
    if labels is None:
        labels = [None] * num_boxes
    elif len(labels) != num_boxes:
        raise ValueError(f"Number of boxes ({num_boxes}) and labels ({len(labels)}) mismatch. "
                         "Please specify labels for each box.")
    colors = _parse_colors(colors, num_boxes)
    label_colors = _parse_colors(label_colors, num_boxes) if label_colors else list(colors)
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.",
                          stacklevel=2)
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)
    if image.shape[0] == 1:
        image = ember.cat([image] * 3, 0)
    dtype = image.dtype
    img = _to_pil(image)
    draw = ImageDraw.Draw(img, "RGBA") if fill else ImageDraw.Draw(img)
    for bbox, color, label, lcolor in zip(boxes.to(ember.int64).tolist(), colors, labels,
                                          label_colors, strict=False):
        draw.rectangle(bbox, width=width, outline=color,
                       fill=(color + (100,)) if fill else None)
        if label is not None:
            margin = width + 1
            draw.text((bbox[0] + margin, bbox[1] + margin), label, fill=lcolor, font=txt_font)
    return _from_pil(img, dtype)


def draw_segmentation_masks(image, masks, alpha: float = 0.8, colors=None):
    """Blend boolean ``masks`` (``(N, H, W)`` or ``(H, W)``) onto an RGB image:
    ``out = image * (1 - alpha) + painted * alpha`` where ``painted`` has each mask's colour
    (later masks win; pixels covered by 2+ masks are black), cast back to the image dtype.

    Raises:
        TypeError: not a tensor. ValueError: dtype, shape or mask dtype problems.

    Example:
        >>> import ember
        >>> m = ember.tensor([[True, False]])
        >>> draw_segmentation_masks(ember.zeros(3, 1, 2, dtype=ember.uint8), m, 1.0,
        ...                         "blue")[:, 0, 0].tolist()
        [0, 0, 255]
    """
    _check_image(image, "draw_segmentation_masks")
    if masks.ndim == 2:
        masks = masks[None]
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks.dtype != ember.bool:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if tuple(masks.shape[-2:]) != tuple(image.shape[-2:]):
        raise ValueError("The image and the masks must have the same height and width")
    num_masks = int(masks.shape[0])
    if num_masks == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=2)
        return image
    dtype = image.dtype
    colors = _parse_colors(colors, num_masks, dtype)
    painted = image.detach().clone()
    for mask, color in zip(masks.unbind(0), colors, strict=False):  # one vectorised write per mask
        col = ember.tensor(color, dtype=dtype, device=image.device).view(3, 1, 1)
        painted = ember.where(mask.unsqueeze(0), col, painted)
    overlap = masks.to(ember.int64).sum(0) > 1
    painted = ember.where(overlap.unsqueeze(0), ember.zeros_like(painted), painted)
    out = image.to(ember.float32 if not dtype.is_floating_point else dtype) * (1 - alpha) \
        + painted * alpha
    return out.to(dtype)


def draw_keypoints(image, keypoints, connectivity=None, colors=None, radius: int = 2,
                   width: int = 3, visibility=None):
    """Draw ``(N, K, 2)`` keypoints as filled circles of ``radius`` (and ``connectivity`` lines
    of ``width``) on an RGB uint8/float image; invisible points are skipped."""
    _check_image(image, "draw_keypoints")
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    if visibility is None:
        visibility = ember.ones(tuple(keypoints.shape[:-1]), dtype=ember.bool)
    if visibility.ndim == 3:
        visibility = visibility.squeeze(-1)
    if visibility.ndim != 2:
        raise ValueError(f"visibility must be of shape (num_instances, K). Got "
                         f"ndim={visibility.ndim}")
    if tuple(visibility.shape) != tuple(keypoints.shape[:-1]):
        raise ValueError("keypoints and visibility must have the same dimensionality for "
                         f"num_instances and K. Got visibility.shape={tuple(visibility.shape)} "
                         f"and keypoints.shape={tuple(keypoints.shape)}")
    dtype = image.dtype
    img = _to_pil(image)
    draw = ImageDraw.Draw(img)
    points, visible = keypoints.to(ember.int64).tolist(), visibility.bool().tolist()
    for kpts, vis in zip(points, visible, strict=True):
        for (x, y), v in zip(kpts, vis, strict=False):
            if v:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colors,
                             outline=None, width=0)
        for a, b in connectivity or ():
            if vis[a] and vis[b]:
                draw.line((tuple(kpts[a]), tuple(kpts[b])), width=width)
    return _from_pil(img, dtype)
