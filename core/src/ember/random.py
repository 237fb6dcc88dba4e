"""Random number generators: ``Generator``, ``manual_seed`` and per-device default generators.

A CPU generator wraps numpy's PCG64; a CUDA generator wraps cupy's ``RandomState`` on its
device.  Streams are reproducible for a given seed, but differ from PyTorch's (Mersenne
Twister / Philox) bit for bit (see docs/differences.md).

Example:
    >>> import ember
    >>> g = ember.Generator().manual_seed(0)
    >>> a = ember.rand(3, generator=g)
    >>> b = ember.rand(3, generator=ember.Generator().manual_seed(0))
    >>> bool((a == b).all())
    True
"""

from __future__ import annotations

import json

import numpy as np

from . import _device as D

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator", "fork_rng"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default initial seed


class Generator:
    """A random stream for one device: ``Generator(device='cpu')``.

    Methods mirror PyTorch: ``manual_seed(seed)`` (returns ``self``), ``seed()``,
    ``initial_seed()``, ``get_state()``/``set_state(uint8 tensor)``.
    """

    def __init__(self, device="cpu") -> None:
        self.device = D.to_device(device)
        if self.device.type == "cuda":
            self.device = D.canonical(self.device)
        self._seed = _DEFAULT_SEED
        self._reset()

    def _reset(self) -> None:
        if self.device.type == "cpu":
            self._rng = np.random.Generator(np.random.PCG64(self._seed))
        else:
            cp = D._cupy
            with cp.cuda.Device(self.device.index):
                self._rng = cp.random.RandomState(self._seed % (2 ** 63))

    def manual_seed(self, seed) -> Generator:
        seed = int(seed)
        if seed < -(2 ** 63) or seed >= 2 ** 64:
            raise ValueError(f"Overflow when unpacking long long: seed {seed} is outside "
                             f"[-2**63, 2**64)")
        self._seed = seed % (2 ** 64)
        self._reset()
        return self

    def seed(self) -> int:
        """Re-seed from OS entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy) % (2 ** 63)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor (for ``set_state``)."""
        from .ops.creation import tensor
        if self.device.type == "cpu":
            st = self._rng.bit_generator.state
            payload = json.dumps({"seed": self._seed, "state": st}, default=int)
        else:
            payload = json.dumps({"seed": self._seed, "cuda": True})
        return tensor(list(payload.encode()), dtype="uint8")

    def set_state(self, new_state) -> Generator:
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor) or new_state.dtype.name != "uint8":
            raise TypeError("set_state(): expected a uint8 tensor from get_state()")
        try:
            d = json.loads(bytes(new_state.tolist()).decode())
        except (ValueError, UnicodeDecodeError) as e:
            raise RuntimeError(f"set_state(): the state tensor is not a generator state: {e}") \
                from None
        self._seed = d["seed"]
        self._reset()
        if "state" in d:
            self._rng.bit_generator.state = d["state"]
        return self

    def __repr__(self) -> str:
        return f"<ember.Generator object at {id(self):#x}>"

    # --- sampling primitives used by ember's random ops (arrays on this device) ---
    def _uniform(self, shape, np_dtype):
        if self.device.type == "cpu":
            if np.dtype(np_dtype) in (np.float32, np.float64):
                return self._rng.random(shape, dtype=np_dtype)
            return self._rng.random(shape).astype(np_dtype)
        with D.device_guard(self.device):
            return self._rng.random_sample(shape, dtype=np.float64).astype(np_dtype, copy=False)

    def _normal(self, shape, np_dtype):
        if self.device.type == "cpu":
            if np.dtype(np_dtype) in (np.float32, np.float64):
                return self._rng.standard_normal(shape, dtype=np_dtype)
            return self._rng.standard_normal(shape).astype(np_dtype)
        with D.device_guard(self.device):
            return self._rng.standard_normal(shape, dtype=np.float64).astype(np_dtype, copy=False)

    def _integers(self, low, high, shape, np_dtype):
        if self.device.type == "cpu":
            return self._rng.integers(low, high, shape, dtype=np.int64).astype(np_dtype, copy=False)
        with D.device_guard(self.device):
            return self._rng.randint(low, high, shape, dtype=np.int64).astype(np_dtype, copy=False)

    def _scalar_uniform(self, np_dtype=np.float64) -> float:
        """One U[0, 1) draw as a Python float: the value, and the advance of the stream, of
        ``rand(1, dtype=...)`` on this (CPU) generator without making a tensor (host code
        such as transform parameters draws a few per sample; ~0.3 µs instead of ~10 µs)."""
        if np.dtype(np_dtype) in (np.float32, np.float64) and self.device.type == "cpu":
            return float(self._rng.random(dtype=np_dtype))
        return float(self._uniform((1,), np_dtype)[0])

    def _scalar_integer(self, low: int, high: int) -> int:
        """One draw from ``[low, high)``: the value and stream advance of ``randint(low, high,
        (1,))`` on this (CPU) generator, as a Python int."""
        if self.device.type == "cpu":
            return int(self._rng.integers(low, high))
        return int(self._integers(low, high, (1,), np.int64)[0])

    def _permutation(self, n):
        if self.device.type == "cpu":
            return self._rng.permutation(n)
        with D.device_guard(self.device):
            return self._rng.permutation(n)


default_generator = Generator()
_cuda_generators: dict[int, Generator] = {}


def cuda_default_generator(index: int) -> Generator:
    g = _cuda_generators.get(index)
    if g is None:
        g = _cuda_generators[index] = Generator(D.device("cuda", index))
        g.manual_seed(default_generator.initial_seed())
    return g


def generator_for(device, generator=None) -> Generator:
    """The generator to draw from for ``device`` (checks a given one matches it)."""
    if generator is not None:
        if not isinstance(generator, Generator):
            raise TypeError(f"generator must be an ember.Generator, got "
                            f"{type(generator).__name__}")
        if generator.device.type != device.type:
            raise RuntimeError(f"Expected a '{device.type}' device type for generator but found "
                               f"'{generator.device.type}'")
        return generator
    if device.type == "cpu":
        return default_generator
    return cuda_default_generator(device.index or 0)


def manual_seed(seed) -> Generator:
    """Seed the CPU generator and every CUDA generator; returns the CPU generator."""
    seed = int(seed)
    default_generator.manual_seed(seed)
    for g in _cuda_generators.values():
        g.manual_seed(seed)
    return default_generator


def seed() -> int:
    """Seed all generators from OS entropy; returns the seed."""
    s = default_generator.seed()
    for g in _cuda_generators.values():
        g.manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


class fork_rng:
    """Context that restores the CPU generator's state on exit (CUDA generators are
    reseeded by ``manual_seed`` only; see docs/differences.md)."""

    def __init__(self, devices=None, enabled: bool = True, device_type: str = "cuda") -> None:
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            self._cpu = default_generator.get_state()
        return None

    def __exit__(self, *exc):
        if self.enabled:
            default_generator.set_state(self._cpu)
        return False
