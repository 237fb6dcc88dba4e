"""``ImageList``: a padded batch of images plus each image's size before padding."""

from __future__ import annotations

from ember import Tensor

__all__ = ["ImageList"]


class ImageList:
    """A batch tensor of (possibly padded) images with the true size of each image.

    Args:
        tensors (Tensor): (N, C, H, W) padded batch.
        image_sizes (list[tuple[int, int]]): each image's (height, width) before padding.

    Example:
        >>> import ember
        >>> il = ImageList(ember.zeros(1, 3, 32, 32), [(30, 28)])
        >>> il.image_sizes, tuple(il.tensors.shape)
        ([(30, 28)], (1, 3, 32, 32))
    """

    def __init__(self, tensors: Tensor, image_sizes: list[tuple[int, int]]) -> None:
        self.tensors = tensors
        self.image_sizes = image_sizes

    def to(self, device) -> ImageList:
        """Move the batch tensor to ``device`` (sizes are unchanged)."""
        return ImageList(self.tensors.to(device), self.image_sizes)
