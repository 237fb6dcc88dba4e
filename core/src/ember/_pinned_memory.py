"""``Tensor.pin_memory()`` and ``Tensor.is_pinned()``: page-locked host memory through cupy.

Page-locked (pinned) host memory lets the GPU copy a batch asynchronously; the DataLoader's
``pin_memory=True`` puts every batch there.  Without a GPU there is nothing to pin for:
``pin_memory`` raises as PyTorch's does and ``is_pinned`` is ``False``.
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["pin_memory", "is_pinned"]


def is_pinned(self, device=None) -> bool:
    """Whether this CPU tensor lives in page-locked host memory registered with CUDA.

    Example:
        >>> import ember
        >>> ember.zeros(2).is_pinned()
        False
    """
    cupy = sys.modules.get("cupy")  # nothing can be pinned before cupy was imported
    if cupy is None or not isinstance(self._data, np.ndarray) or self._data.size == 0:
        return False
    runtime = cupy.cuda.runtime
    attrs = runtime.pointerGetAttributes(self._data.__array_interface__["data"][0])
    return attrs.type == runtime.memoryTypeHost


def pin_memory(self, device=None):
    """A copy of this CPU tensor in page-locked host memory (``self`` if already pinned).

    The copy keeps the values, dtype and strides (dense tensors) and stays in the autograd
    graph like :meth:`clone`.

    Raises:
        RuntimeError: without a CUDA GPU, or for a tensor that is not on the CPU.

    Example:
        >>> import ember
        >>> x = ember.arange(4.0)
        >>> if ember.cuda.is_available():
        ...     assert x.pin_memory().is_pinned()
    """
    import ember

    if not ember.cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if self.device.type != "cpu":
        raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
    if is_pinned(self):
        return self
    import cupyx

    out = self.clone()  # a fresh tensor in the graph; its memory is swapped for pinned memory
    src = out._data
    pinned = cupyx.empty_pinned(src.nbytes, np.uint8)
    view = np.ndarray(src.shape, src.dtype, buffer=pinned, strides=src.strides)
    np.copyto(view, src)
    out._data = view
    return out
