"""A shared trajectory harness for optimizer tests.

Every optimizer test drives two parameters (shapes :data:`SHAPES`) down the same non-trivial
objective ``0.5 x^T A x + sum(sin(3 x))`` (``A`` a fixed, coupled, positive-definite matrix)
and compares each step with a numpy float64 ``reference(x0, steps, **cfg)`` written from the
published update rule.  A reference returns one entry per step: the parameter array, or a tuple
``(parameter, *state arrays)`` whose extra arrays are compared with the optimizer state named by
``state_keys``.

Example:
    >>> import ember
    >>> from ember.testing import optim_harness as H
    >>> params = H.make_params(ember.float64, "cpu")
    >>> [tuple(p.shape) for p in params]
    [(4,), (2, 3)]
"""

from __future__ import annotations

import copy

import numpy as np

__all__ = ["SHAPES", "matrix", "grad_np", "loss", "x0", "make_params", "step", "cfg_id",
           "check_trajectory", "check_param_groups", "check_frozen_param",
           "check_state_dict_continuation"]

SHAPES = [(4,), (2, 3)]
TIGHT = {"rtol": 1e-10, "atol": 1e-12}
LOOSE = {"rtol": 1e-4, "atol": 1e-5}


def matrix(n):
    """A fixed symmetric positive-definite ``(n, n)`` matrix with couplings between entries."""
    return np.diag(np.arange(1.0, n + 1)) + 0.2 * (np.ones((n, n)) - np.eye(n))


def grad_np(x, maximize=False, weight_decay=0.0):
    """Gradient ``A v + 3 cos(3 v)`` of the objective for the flattened ``x`` (numpy), as an
    optimizer sees it: negated when ``maximize``, then plus ``weight_decay * x`` (PyTorch's
    order)."""
    v = x.reshape(-1)
    g = (matrix(v.size) @ v + 3.0 * np.cos(3.0 * v)).reshape(x.shape)
    return (-g if maximize else g) + weight_decay * x


def loss(p):
    """The objective ``0.5 v^T A v + sum(sin(3 v))`` of one parameter (any library's tensor)."""
    import ember
    v = p.reshape(-1)
    a = ember.tensor(matrix(v.shape[0]), dtype=p.dtype, device=p.device)
    return 0.5 * (v @ (a @ v)) + ember.sin(3 * v).sum()


def x0(shape, seed):
    """The starting point of parameter ``seed``: uniform in [-1.5, 1.5]."""
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)


def make_params(dtype, device):
    """One fresh ``Parameter`` per entry of :data:`SHAPES`, at :func:`x0`."""
    import ember
    return [ember.nn.Parameter(ember.tensor(x0(s, i), dtype=dtype, device=device))
            for i, s in enumerate(SHAPES)]


def step(opt, params):
    """zero_grad, backward of the summed objective, optimizer step."""
    opt.zero_grad()
    sum(loss(p) for p in params).backward()
    opt.step()


def cfg_id(cfg):
    """A readable pytest id for a config dict."""
    return ",".join(f"{k}={v}" for k, v in cfg.items()) or "default"


def _np(t):
    return t.detach().cpu().numpy()


def _compare(opt, p, entry, state_keys, tol):
    if isinstance(entry, tuple):
        np.testing.assert_allclose(_np(p), entry[0], **tol)
        for key, ref in zip(state_keys, entry[1:], strict=True):
            np.testing.assert_allclose(_np(opt.state[p][key]), ref, **tol)
    else:
        np.testing.assert_allclose(_np(p), entry, **tol)


def check_trajectory(opt_cls, reference, cfg, dtype, device, steps=25, state_keys=()):
    """Every one of ``steps`` steps of ``opt_cls(params, **cfg)`` equals the reference
    (tight tolerances in float64, ``rtol=1e-4`` in float32; the dtype must be kept)."""
    import ember
    params = make_params(dtype, device)
    opt = opt_cls(params, **cfg)
    refs = [reference(x0(s, i), steps, **cfg) for i, s in enumerate(SHAPES)]
    tol = TIGHT if dtype == ember.float64 else LOOSE
    for k in range(steps):
        step(opt, params)
        for p, ref in zip(params, refs, strict=True):
            if p.dtype != dtype:
                raise AssertionError(f"step {k}: parameter dtype {p.dtype}, expected {dtype}")
            _compare(opt, p, ref[k], state_keys, tol)


def check_param_groups(opt_cls, reference, cfgs, device, steps=20, state_keys=(), **defaults):
    """Two param groups with their own settings (``cfgs``) over ``defaults`` each follow their
    reference."""
    import ember
    params = make_params(ember.float64, device)
    opt = opt_cls([{"params": [p], **c} for p, c in zip(params, cfgs, strict=True)], **defaults)
    for _ in range(steps):
        step(opt, params)
    for i, (p, cfg) in enumerate(zip(params, cfgs, strict=True)):
        _compare(opt, p, reference(x0(SHAPES[i], i), steps, **cfg)[-1], state_keys, TIGHT)


def check_frozen_param(opt_cls, device, steps=5, **cfg):
    """A parameter that never gets a gradient is left unchanged; returns ``(opt, frozen)`` so
    the caller can check what state (if any) the optimizer gave it."""
    import ember
    params = make_params(ember.float64, device)
    frozen = ember.nn.Parameter(ember.ones(3, dtype=ember.float64, device=device))
    opt = opt_cls(params + [frozen], **cfg)
    for _ in range(steps):
        step(opt, params)
    np.testing.assert_array_equal(_np(frozen), np.ones(3))
    return opt, frozen


def check_state_dict_continuation(opt_cls, cfg, device, dtype=None, steps=10, state_keys=()):
    """A state_dict taken after ``steps`` steps and loaded into a fresh optimizer (built with
    another lr) over clones of the parameters continues bit-for-bit like the original."""
    import ember
    params = make_params(dtype or ember.float64, device)
    opt = opt_cls(params, **cfg)
    for _ in range(steps):
        step(opt, params)
    sd = copy.deepcopy(opt.state_dict())
    clones = [ember.nn.Parameter(p.detach().clone()) for p in params]
    opt2 = opt_cls(clones, lr=0.5 if cfg.get("lr") != 0.5 else 0.25)
    opt2.load_state_dict(sd)
    if opt2.param_groups[0]["lr"] != opt.param_groups[0]["lr"]:
        raise AssertionError("the loaded state_dict did not restore the learning rate")
    for _ in range(steps):
        step(opt, params)
        step(opt2, clones)
    for p, q in zip(params, clones, strict=True):
        np.testing.assert_array_equal(_np(p), _np(q))
        for key in state_keys:
            np.testing.assert_array_equal(_np(opt.state[p][key]), _np(opt2.state[q][key]))
