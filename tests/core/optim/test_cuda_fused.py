"""The fused CUDA updates of Adam/AdamW and SGD (``cuda`` marker) follow the CPU kernels'
trajectories step for step, for every option they cover."""

from __future__ import annotations

import numpy as np
import pytest

import ember

pytestmark = pytest.mark.cuda

CASES = [
    (ember.optim.Adam, {"lr": 1e-2}),
    (ember.optim.Adam, {"lr": 1e-2, "weight_decay": 0.1, "maximize": True, "betas": (0.3, 0.9)}),
    (ember.optim.AdamW, {"lr": 1e-2, "weight_decay": 0.1}),
    (ember.optim.SGD, {"lr": 1e-2, "momentum": 0.9}),
    (ember.optim.SGD, {"lr": 1e-2, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.05}),
    (ember.optim.SGD, {"lr": 1e-2, "momentum": 0.8, "nesterov": True, "maximize": True}),
]


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("cls,kw", CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_fused_gpu_step_matches_cpu(cls, kw, dtype):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s) for s in [(7, 5), (5,), (3, 2, 4)]]
    grads = [[rng.standard_normal(a.shape) for a in init] for _ in range(6)]
    traj = {}
    for dev in ("cpu", "cuda"):
        ps = [ember.nn.Parameter(ember.tensor(a, dtype=dtype, device=dev)) for a in init]
        opt = cls(ps, **kw)
        for step in grads:
            for p, g in zip(ps, step, strict=True):
                p.grad = ember.tensor(g, dtype=dtype, device=dev)
            opt.step()
        traj[dev] = [p.detach().cpu().numpy() for p in ps]
        state = opt.state_dict()["state"][0]
    tol = 1e-5 if dtype == ember.float32 else 1e-12
    for a, b in zip(traj["cuda"], traj["cpu"], strict=True):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    moved = [np.abs(a - i).max() for a, i in zip(traj["cpu"], init, strict=True)]
    assert min(moved) > 1e-4
    assert set(state) == ({"momentum_buffer"} if cls is ember.optim.SGD
                          else {"step", "exp_avg", "exp_avg_sq"})
