"""``map_location``: where each storage of a checkpoint goes.

A storage saved on ``location`` (``'cpu'``, ``'cuda:0'`` …) is restored to the device that
``map_location`` picks: ``None`` keeps ``location``; a string or device sends everything
there; a dict renames locations; a callable gets ``(storage, location)`` — the storage as a
1-D ember tensor — and returns a tensor (its device and data are used) or None (default rule).
"""

from __future__ import annotations

import numpy as np

from .. import _device as D
from .._tensor import Tensor
from ._unpickler import CorruptCheckpointError


def _default_device(location: str, where: str) -> D.device:
    try:
        dev = D.device(location)
    except RuntimeError:
        raise CorruptCheckpointError(f"{where}: don't know how to restore data location "
                                     f"{location!r} (use map_location)") from None
    if dev.type == "cuda":
        from .. import cuda
        if not cuda.is_available():
            raise _passthrough(RuntimeError(
                f"{where}: Attempting to deserialize object on a CUDA device but "
                "ember.cuda.is_available() is False. If you are running on a CPU-only machine, "
                "please use ember.load with map_location=ember.device('cpu') to map your "
                "storages to the CPU."))
        return D.canonical(dev)
    return D.CPU


def check_map_location(map_location) -> None:
    """Raise TypeError for a ``map_location`` of an unsupported type."""
    if map_location is None or callable(map_location) or isinstance(
            map_location, (str, D.device, dict)):
        return
    raise TypeError("load(): map_location must be None, a str, an ember.device, a dict or a "
                    f"callable, got {type(map_location).__name__}")


def restore(host: np.ndarray, location: str, map_location, where: str):
    """The array for a storage read into ``host`` and saved on ``location``."""
    if callable(map_location) and not isinstance(map_location, (str, D.device, dict)):
        try:
            out = map_location(Tensor._make(host), location)
        except Exception as e:
            e._ember_passthrough = True  # the user's error, not a corrupt file
            raise
        if out is None:
            return _to(host, _default_device(location, where))
        if not isinstance(out, Tensor):
            raise _passthrough(TypeError(f"load(): map_location callable must return a tensor "
                                         f"(or None), got {type(out).__name__}"))
        return out._data
    if isinstance(map_location, dict):
        location = str(map_location.get(location, location))
    elif map_location is not None:
        location = str(map_location)
    return _to(host, _default_device(location, where))


def _to(host: np.ndarray, dev: D.device):
    if dev.type == "cpu":
        return host
    return D.move_array(host, D.CPU, dev)


def _passthrough(err: Exception) -> Exception:
    """Mark an error as not caused by a corrupt file (``load`` re-raises it unchanged)."""
    err._ember_passthrough = True
    return err
