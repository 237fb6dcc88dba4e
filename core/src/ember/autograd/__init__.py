"""Reverse-mode automatic differentiation: ``backward``, ``grad``, grad modes, anomaly
detection, custom ops (:class:`Function`) and whole-function derivatives
(:mod:`ember.autograd.functional`).  See :mod:`ember.autograd.engine` for the backward walk and
:mod:`ember.autograd.node` for what each op records."""

from __future__ import annotations

from . import grad_mode
from .anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .node import Node

__all__ = [
    "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "inference_mode", "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "Node", "grad_mode", "gradcheck",
    "gradgradcheck", "GradcheckError",
    "Function", "FunctionCtx", "once_differentiable", "functional",
]


def __getattr__(name):
    # ``functional`` (jacobian, hessian, …) is imported on first use to keep ``import ember``
    # fast
    if name == "functional":
        import importlib
        mod = importlib.import_module(f"{__name__}.functional")
        globals()["functional"] = mod
        return mod
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")
