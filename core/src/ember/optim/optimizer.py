"""The ``Optimizer`` base class: parameter groups, per-parameter state, hooks, checkpoints.

An algorithm subclass gives its hyper-parameters to ``Optimizer.__init__`` as ``defaults`` and
implements two methods (the MLX structure): ``_init_state(p, group, state)`` fills the empty
state dict of a parameter on its first step, and ``_update(p, g, group, state)`` updates one
parameter in place from its gradient array ``g``. The base class owns the loop: closure,
hooks, skipping parameters whose ``grad`` is None, the version counter. Updates work on the
arrays (``p._data``, ``state[...]._data``) with ``out=`` ufuncs, so no graph is recorded and the
model's parameters keep their identity.
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from itertools import chain

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from ..nn.modules._module_hooks import RemovableHandle
from ..ops._dispatch import loud, quiet, xp_of
from ._cpu_kernels import cpu_loop

__all__ = ["Optimizer", "required"]

_CHUNK = 1 << 17            # elements per chunk (512 KiB of float32): fits the L2 cache
_LOOP_CHUNK = 1 << 18       # elements per chunk of a compiled loop (see _cpu_kernels)
_PARALLEL_MIN = 1 << 19     # elements per step below which one thread does everything
_POOL: list = [None, 0]     # [ThreadPoolExecutor, its size]


def _num_threads() -> int:
    n = _NUM_THREADS[0]
    if n is None:
        from .. import get_num_threads
        n = _NUM_THREADS[0] = max(1, int(get_num_threads()))
    return n


_NUM_THREADS: list = [None]


def _run_chunk_list(chunks, tmp_pool: dict) -> None:
    token = quiet()  # a worker thread starts with numpy's default (warning) error state
    try:
        for kernel, arrays, n_tmp in chunks:
            if not n_tmp:
                kernel(*arrays)
                continue
            a0 = arrays[0]
            key = a0.dtype.str
            buf = tmp_pool.get(key)
            k = a0.size
            if buf is None or buf.shape[0] < n_tmp or buf.shape[1] < k:
                buf = tmp_pool[key] = np.empty((max(n_tmp, 3), max(k, _CHUNK)), dtype=a0.dtype)
            kernel(*arrays, *(buf[i, :k] for i in range(n_tmp)))
    finally:
        loud(token)


def _run_chunked(pending, opt) -> None:
    """Run deferred kernels over chunks of ``_CHUNK`` elements, split evenly over threads."""
    if not pending:
        return
    chunks = []
    for kernel, flats, n_tmp in pending:
        n = flats[0].size
        # a compiled loop (no scratch arrays) makes one pass: its chunks need not fit a cache
        step = _CHUNK if n_tmp else _LOOP_CHUNK
        for s in range(0, n, step):
            chunks.append((kernel, [a[s:s + step] for a in flats], n_tmp))
    nt = min(_num_threads(), len(chunks))
    pools = opt.__dict__.setdefault("_chunk_tmp", [])
    while len(pools) < nt:
        pools.append({})
    if nt <= 1 or len(chunks) * _CHUNK < _PARALLEL_MIN:
        _run_chunk_list(chunks, pools[0])
        return
    if _POOL[0] is None or _POOL[1] != nt - 1:
        if _POOL[0] is not None:
            _POOL[0].shutdown(wait=False)
        _POOL[0] = ThreadPoolExecutor(max_workers=nt - 1, thread_name_prefix="ember-optim")
        _POOL[1] = nt - 1
    # Threads pull chunks from one shared iterator (dynamic scheduling: a thread slowed down
    # by other work on its core takes fewer chunks); list iterators are safe under the GIL.
    it = iter(chunks)
    futures = [_POOL[0].submit(_run_chunk_list, it, pools[i]) for i in range(1, nt)]
    _run_chunk_list(it, pools[0])
    for f in futures:
        f.result()


class _RequiredParameter:
    """Singleton marking a hyper-parameter that has no default (e.g. SGD's old ``lr``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return f"ember.{obj.type()}" if hasattr(obj, "type") else "ember.Tensor"
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


def _hooked_step(func):
    """Wrap a subclass's ``step`` so that the step pre/post hooks run around it."""

    @functools.wraps(func)
    def wrapper(self, *args, **kwargs):
        for hook in list(self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{func} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result}.")
                args, kwargs = result
        out = func(self, *args, **kwargs)
        self._optimizer_step_code()
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


def advance_step(state: dict) -> float:
    """Add one to ``state["step"]`` in place and return the new count as a Python float. A
    numeric step (checkpoints of PyTorch < 1.12) first becomes a 0-d float32 tensor."""
    step = state["step"]
    if not isinstance(step, Tensor):
        step = state["step"] = Tensor._make(np.asarray(float(step), dtype=np.float32))
    step._data += 1
    return float(step._data)


class Optimizer:
    """Base class for all optimizers.

    Args:
        params (iterable): tensors to optimize, or dicts defining parameter groups (each with a
            ``"params"`` entry; missing hyper-parameters are taken from ``defaults``).
        defaults (dict): default hyper-parameter values of the algorithm.

    Raises:
        TypeError: ``params`` is a single Tensor, or contains something that is not a Tensor.
        ValueError: empty parameter list, or a parameter in two groups.

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.ones(2))
        >>> opt = ember.optim.SGD([w], lr=0.5)
        >>> w.sum().backward()
        >>> _ = opt.step()
        >>> w
        Parameter containing:
        tensor([0.5000, 0.5000], requires_grad=True)
    """

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._scratch_pool: dict = {}
        self._pending: list = []
        self._loop_memo: dict = {}
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ pickling / repr
    def __getstate__(self) -> dict:  # scratch buffers and thread pools are not pickled
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.__dict__.setdefault("_scratch_pool", {})
        self.__dict__.pop("_chunk_tmp", None)
        self._pending = []
        self._loop_memo = {}
        self._patch_step_function()

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += "\n"
            s += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        s += ")"
        return s

    # ------------------------------------------------------------------ hooks
    def _optimizer_step_code(self) -> None:
        """Entry point for profilers; runs after every step (does nothing)."""

    def _patch_step_function(self) -> None:
        cls = self.__class__
        if not getattr(cls.step, "hooked", False):
            cls.step = _hooked_step(cls.step)

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, run
        before each ``step``. Returns a handle whose ``remove()`` unregisters it."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None``, run after each ``step``."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    @staticmethod
    def _register(hooks: OrderedDict, hook, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer) -> None``, run before ``state_dict`` builds its result."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict or None``, run on the result
        of ``state_dict`` (a returned dict replaces it)."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict or None``, run before
        ``load_state_dict`` (a returned dict is loaded instead)."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer) -> None``, run after ``load_state_dict``."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a parameter group (a dict with ``"params"``; other keys default to
        ``self.defaults``).

        Raises:
            TypeError: not a dict, params given as a set, or a non-Tensor parameter.
            ValueError: a required hyper-parameter is missing, a parameter is not a leaf, or a
                parameter already belongs to another group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: to None (default), or to zeros in
        place when ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure=None):
        """Perform one optimization step.

        Args:
            closure (callable, optional): re-evaluates the model and returns the loss; it runs
                with gradients enabled. Default: None.

        Returns:
            the closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        # NOTE: like PyTorch, no warning for inf/NaN that the arithmetic produces
        token = quiet()
        try:
            with no_grad():
                for group in self.param_groups:
                    self._step_group(group)
        finally:
            loud(token)
        return loss

    def _step_group(self, group: dict) -> None:
        """Update every parameter of ``group`` that has a gradient (one ``_update`` each); the
        array kernels that ``_update`` hands to ``_defer`` then run together, in cache-sized
        chunks spread over the worker threads."""
        state_of = self.state
        self._pending = []
        self._loop_memo = {}
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            if getattr(g, "is_sparse", False) and g.is_sparse:
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            state = state_of.get(p)
            if not state:
                state = {}
                self._init_state(p, group, state)
            self._update(p, g._data, group, state)
            if state and state_of.get(p) is not state:
                # NOTE: a parameter whose algorithm keeps no state (SGD without momentum) gets
                # no entry at all, as in PyTorch's state_dict
                state_of[p] = state
            p._bump()
        pending, self._pending = self._pending, []
        _run_chunked(pending, self)

    def _defer(self, kernel, arrays, n_tmp: int, loop=None) -> None:
        """Run ``kernel(*arrays, *tmps)`` (elementwise, in place; ``tmps`` are ``n_tmp``
        scratch arrays shaped like ``arrays[0]``) now or, for large contiguous CPU arrays, at
        the end of the group's step, split into chunks (elementwise, so results are the same).

        ``loop``, when given, is ``(name, scalars)``: the compiled loop of
        :mod:`._cpu_kernels` that computes exactly what ``kernel`` computes, called as
        ``loop(*scalars, *arrays)``; it replaces ``kernel`` on contiguous float32/float64 CPU
        arrays when numba is available.  ``scalars`` are Python numbers (rounded to the
        arrays' dtype, as numpy rounds them) and bools (flags)."""
        a0 = arrays[0]
        if a0.dtype.kind == "c":            # complex: update (real, imag) pairs, as
            if not all(a.flags.c_contiguous for a in arrays):  # PyTorch's view_as_real
                raise NotImplementedError(f"{type(self).__name__}: complex parameters and "
                                          "state must be contiguous")
            arrays = [a.reshape(-1).view(a.real.dtype) for a in arrays]
            a0 = arrays[0]
        if type(a0) is not np.ndarray or not all(a.flags.c_contiguous for a in arrays):
            kernel(*arrays, *(self._scratch(a0, i) for i in range(n_tmp)))
            return
        if loop is not None:
            # the parameters of a group mostly share their scalars: one partial per step
            key = (loop, a0.dtype)
            compiled = self._loop_memo.get(key)
            if compiled is None:
                compiled = cpu_loop(loop[0], a0.dtype)
                if compiled is not None:
                    cast = a0.dtype.type
                    compiled = functools.partial(
                        compiled, *(s if s is True or s is False else cast(s) for s in loop[1]))
                self._loop_memo[key] = compiled or False
            if compiled:
                flats = [a.reshape(-1) for a in arrays]
                if a0.size < _CHUNK:
                    compiled(*flats)
                else:
                    self._pending.append((compiled, flats, 0))
                return
        if a0.size < _CHUNK:
            kernel(*arrays, *(self._scratch(a0, i) for i in range(n_tmp)))
        else:
            self._pending.append((kernel, [a.reshape(-1) for a in arrays], n_tmp))

    def _init_state(self, p: Tensor, group: dict, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _init_state or step")

    def _update(self, p: Tensor, g, group: dict, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _update or step")

    # ------------------------------------------------------------------ helpers for algorithms
    @staticmethod
    def _step_tensor() -> Tensor:
        """A fresh ``step`` counter: a 0-d float32 CPU tensor holding 0."""
        return Tensor._make(np.zeros((), dtype=np.float32))

    @staticmethod
    def _zeros_like(p: Tensor) -> Tensor:
        """A zero state buffer with the shape, dtype and device of ``p``."""
        return Tensor._make(xp_of(p._data).zeros_like(p._data))

    def _scratch(self, a, slot: int = 0):
        """A reusable uninitialised buffer with the shape and dtype of array ``a``: buffer
        number ``slot``, shared by all parameters of this optimizer (so valid only inside one
        ``_update``)."""
        xp = xp_of(a)
        key = (slot, xp.__name__, a.dtype.str, getattr(getattr(a, "device", None), "id", None))
        buf = self._scratch_pool.get(key)
        if buf is None or buf.size < a.size:
            buf = xp.empty(max(a.size, 1), dtype=a.dtype)
            self._scratch_pool[key] = buf
        return buf[:a.size].reshape(a.shape)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """The optimizer state: ``{"state": {index: {...}}, "param_groups": [{...,
        "params": [indices]}]}``, parameters numbered in group order (PyTorch's layout). State
        tensors are returned by reference."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping: dict[int, int] = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack(g) for g in self.param_groups]
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _cast(param: Tensor, value, key=None):
        """A copy of a loaded state value placed like ``param`` (floating tensors also take
        its dtype; ``step`` stays as saved)."""
        if isinstance(value, Tensor):
            if key == "step":
                return value.clone()
            if value.is_floating_point():
                return value.to(dtype=param.dtype, device=param.device, copy=True)
            return value.to(device=param.device, copy=True)
        if isinstance(value, dict):
            return {k: Optimizer._cast(param, v, key=k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast(param, v, key=key) for v in value)
        return value

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state produced by ``state_dict`` (of ember or PyTorch).

        Raises:
            ValueError: the number of groups or the size of a group differs.
        """
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"])
               for g, s in zip(groups, saved_groups, strict=True)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups), strict=False))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast(param, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups, strict=False)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)
