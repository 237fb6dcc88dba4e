"""ember: PyTorch's programming model on numpy (CPU) and cupy (NVIDIA GPUs).

``import ember as torch`` runs PyTorch code: tensors, autograd, the same names, signatures,
defaults and errors.  Deliberate differences are listed in ``docs/differences.md``.

Example:
    >>> import ember as torch
    >>> w = torch.tensor([2.0, -1.0], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> loss.backward()
    >>> w.grad
    tensor([ 4., -2.])
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import (
    _tensor_methods,  # noqa: F401  (attaches methods and operators to Tensor)
    autograd,
    cuda,
    random,
    return_types,
)
from ._device import device
from ._dtype import (
    bool,
    can_cast,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
)
from ._size import Size, channels_last, contiguous_format, preserve_format, strided
from ._tensor import Tensor
from ._tensor_str import set_printoptions
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops.binary import *  # noqa: F403
from .ops.binary import __all__ as _binary_all
from .ops.comparison import *  # noqa: F403
from .ops.comparison import __all__ as _comparison_all
from .ops.conversion import type_as
from .ops.counting import *  # noqa: F403
from .ops.counting import __all__ as _counting_all
from .ops.creation import *  # noqa: F403
from .ops.creation import __all__ as _creation_all
from .ops.creation import from_dlpack
from .ops.indexing import *  # noqa: F403
from .ops.indexing import __all__ as _indexing_all
from .ops.linalg_methods import *  # noqa: F403
from .ops.linalg_methods import __all__ as _linalg_all
from .ops.matmul import *  # noqa: F403
from .ops.matmul import __all__ as _matmul_all
from .ops.nn_methods import *  # noqa: F403
from .ops.nn_methods import __all__ as _nn_all
from .ops.reduction import *  # noqa: F403
from .ops.reduction import __all__ as _reduction_all
from .ops.shape import *  # noqa: F403
from .ops.shape import __all__ as _shape_all
from .ops.sorting import *  # noqa: F403
from .ops.sorting import __all__ as _sorting_all
from .ops.unary import *  # noqa: F403
from .ops.unary import __all__ as _unary_all
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

# ops that exist as Tensor methods only or as private helpers are not exported
_PRIVATE = {"binary", "dims", "getitem", "squeeze_dims", "square_", "special_expit",
            "special_xlog1py"}


# big subpackages, imported on first attribute access
_LAZY = {"hub", "linalg", "multiprocessing", "nn", "optim", "serialization", "testing", "utils"}
# functions living in a lazy subpackage: name -> subpackage
_LAZY_FUNCTIONS = {"save": "serialization", "load": "serialization",
                   "load_checkpoint": "serialization"}


def __getattr__(name):
    import importlib
    if name in _LAZY:
        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    if name in _LAZY_FUNCTIONS:
        func = getattr(importlib.import_module(f"{__name__}.{_LAZY_FUNCTIONS[name]}"), name)
        globals()[name] = func
        return func
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def is_tensor(obj):
    """True if ``obj`` is an ember Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def is_nonzero(input):
    if input.numel() != 1:
        many = "no values" if input.numel() == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {many} is ambiguous")
    return input.item() != 0


def numel(input):
    return input.numel()


def get_device(input):
    return -1 if input.device.type == "cpu" else input.device.index


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    """Accepted for compatibility: ember's ops are deterministic on the CPU already."""


def are_deterministic_algorithms_enabled():
    return True


def set_num_threads(n) -> None:
    """Set OpenBLAS's thread count (numpy's only multi-threaded part), via threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(n)


def get_num_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        import os
        return os.cpu_count() or 1
    info = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return info[0] if info else 1


__all__ = sorted(
    {n for group in (_binary_all, _comparison_all, _creation_all, _indexing_all, _matmul_all,
                     _sorting_all, _counting_all,
                     _reduction_all, _shape_all, _unary_all, _linalg_all, _nn_all)
     for n in group} - _PRIVATE
    | {"Tensor", "Size", "device", "dtype", "Generator", "autograd", "cuda", "linalg", "random",
       "return_types", "nn", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
       "inference_mode", "is_inference_mode_enabled", "manual_seed", "seed", "initial_seed",
       "get_rng_state", "set_rng_state", "float16", "float32", "float64", "half", "float",
       "double", "int8", "int16", "int32", "int64", "short", "int", "long", "uint8", "bool",
       "complex64", "complex128", "cfloat", "cdouble", "get_default_dtype",
       "set_default_dtype", "promote_types", "result_type", "can_cast", "finfo", "iinfo",
       "is_tensor", "is_floating_point", "is_complex", "is_nonzero", "numel", "from_dlpack",
       "set_printoptions", "strided", "contiguous_format", "channels_last", "preserve_format",
       "type_as", "get_device", "use_deterministic_algorithms",
       "are_deterministic_algorithms_enabled", "set_num_threads", "get_num_threads",
       "__version__", "optim", "utils", "hub", "multiprocessing", "serialization", "save", "load",
       "load_checkpoint"}
)
