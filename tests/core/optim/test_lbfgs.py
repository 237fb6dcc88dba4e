"""LBFGS on the Rosenbrock function against an independent numpy float64 implementation of
L-BFGS (two-loop recursion, minFunc's stopping rules, strong-Wolfe line search with cubic
interpolation as in Nocedal and Wright, algorithms 3.5-3.6)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import ember
from ember.optim import LBFGS

X0 = (-1.5, 2.0)


def _rosen(x):
    f = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    g = np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])
    return float(f), g


def _cubic_min(x1, f1, g1, x2, f2, g2, lo=None, hi=None):
    if lo is None:
        lo, hi = min(x1, x2), max(x1, x2)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2
    d2 = math.sqrt(disc)
    if x1 <= x2:
        m = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        m = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(m, lo), hi)


def _wolfe(fun, x, t, d, f, g, gtd, max_ls, c1=1e-4, c2=0.9, tol=1e-9):
    """Strong-Wolfe search: bracket by extrapolation, then zoom; returns (f, g, t, evals)."""
    def ev(step):
        fv, gv = fun(x + step * d)
        return fv, gv, float(gv @ d)

    fn, gn, dn = ev(t)
    evals, it = 1, 0
    tp, fp, gp, dp = 0.0, f, g, gtd
    done, br = False, None
    while it < max_ls:
        if fn > f + c1 * t * gtd or (it > 1 and fn >= fp):
            br = [[tp, fp, gp, dp], [t, fn, gn, dn]]
            break
        if abs(dn) <= -c2 * gtd:
            br, done = [[t, fn, gn, dn]], True
            break
        if dn >= 0:
            br = [[tp, fp, gp, dp], [t, fn, gn, dn]]
            break
        new_t = _cubic_min(tp, fp, dp, t, fn, dn, t + 0.01 * (t - tp), 10 * t)
        tp, fp, gp, dp = t, fn, gn, dn
        t = new_t
        fn, gn, dn = ev(t)
        evals += 1
        it += 1
    if it == max_ls:
        br = [[0.0, f, g, None], [t, fn, gn, None]]
    lo_i = 0 if br[0][1] <= br[-1][1] else 1
    stalled = False
    while not done and it < max_ls:
        a, b = br[0][0], br[1][0]
        if abs(b - a) * np.abs(d).max() < tol:
            break
        t = _cubic_min(a, br[0][1], br[0][3], b, br[1][1], br[1][3])
        lo, hi = min(a, b), max(a, b)
        margin = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < margin:
            if stalled or t >= hi or t <= lo:
                t = hi - margin if abs(t - hi) < abs(t - lo) else lo + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        fn, gn, dn = ev(t)
        evals += 1
        it += 1
        hi_i = 1 - lo_i
        if fn > f + c1 * t * gtd or fn >= br[lo_i][1]:
            br[hi_i] = [t, fn, gn, dn]
            lo_i = 0 if br[0][1] <= br[1][1] else 1
        else:
            if abs(dn) <= -c2 * gtd:
                done = True
            elif dn * (br[hi_i][0] - br[lo_i][0]) >= 0:
                br[hi_i] = list(br[lo_i])
            br[lo_i] = [t, fn, gn, dn]
    t, fn, gn, _ = br[lo_i]
    return fn, gn, t, evals


def _reference(steps, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7,
               tolerance_change=1e-9, history_size=100, line_search_fn=None):
    """The iterate after each call of ``step`` (each runs up to max_iter L-BFGS iterations)."""
    max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
    x = np.array(X0)
    S, Y, total_iter = [], [], 0
    d = t = g_prev = h0 = None
    out = []
    for _ in range(steps):
        f, g = _rosen(x)
        evals = 1
        if np.abs(g).max() <= tolerance_grad:
            out.append(x.copy())
            continue
        for n in range(1, max_iter + 1):
            total_iter += 1
            if total_iter == 1:
                d, h0 = -g, 1.0
            else:
                y, s = g - g_prev, d * t
                if y @ s > 1e-10:
                    if len(S) == history_size:
                        S.pop(0)
                        Y.pop(0)
                    S.append(s)
                    Y.append(y)
                    h0 = (y @ s) / (y @ y)
                q, alphas = -g, []
                for s_i, y_i in zip(reversed(S), reversed(Y), strict=True):
                    a = (s_i @ q) / (y_i @ s_i)
                    alphas.append(a)
                    q = q - a * y_i
                d = q * h0
                for s_i, y_i, a in zip(S, Y, reversed(alphas), strict=True):
                    d = d + (a - (y_i @ d) / (y_i @ s_i)) * s_i
            g_prev, f_prev = g.copy(), f
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr if total_iter == 1 else lr
            gtd = g @ d
            if gtd > -tolerance_change:
                break
            n_evals = 0
            if line_search_fn == "strong_wolfe":
                f, g, t, n_evals = _wolfe(_rosen, x, t, d, f, g, gtd, max_eval - evals)
                x = x + t * d
                done = np.abs(g).max() <= tolerance_grad
            else:
                x = x + t * d
                done = False
                if n != max_iter:
                    f, g = _rosen(x)
                    n_evals, done = 1, np.abs(g).max() <= tolerance_grad
            evals += n_evals
            if n == max_iter or evals >= max_eval or done:
                break
            if np.abs(d * t).max() <= tolerance_change or abs(f - f_prev) < tolerance_change:
                break
        out.append(x.copy())
    return out


def _problem(dtype=ember.float64, **kw):
    x = ember.nn.Parameter(ember.tensor(X0, dtype=dtype))
    opt = LBFGS([x], **kw)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    return x, opt, closure


@pytest.mark.parametrize("kw, steps", [
    ({"max_iter": 1}, 30),
    ({"max_iter": 5}, 8),
    ({"max_iter": 4, "history_size": 2, "lr": 0.5}, 10),
    ({"max_iter": 1, "max_eval": 10, "line_search_fn": "strong_wolfe"}, 40),
    ({"max_iter": 5, "line_search_fn": "strong_wolfe"}, 10),
    ({"max_iter": 3, "history_size": 3, "line_search_fn": "strong_wolfe"}, 10),
], ids=lambda v: str(v))
def test_iterates_match_reference(kw, steps):
    x, opt, closure = _problem(**kw)
    ref = _reference(steps, **kw)
    for k in range(steps):
        opt.step(closure)
        # the iteration is chaotic far from the optimum: compare the early iterates tightly
        tol = 1e-9 if k < 8 else 1e-6
        np.testing.assert_allclose(x.detach().numpy(), ref[k], rtol=tol, atol=tol)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_converges_to_the_minimum(line_search_fn):
    x, opt, closure = _problem(max_iter=100, max_eval=200, line_search_fn=line_search_fn,
                               tolerance_change=1e-14)
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-5, rtol=0)
    ref = _reference(3, max_iter=100, max_eval=200, line_search_fn=line_search_fn,
                     tolerance_change=1e-14)[-1]
    np.testing.assert_allclose(x.detach().numpy(), ref, atol=1e-7, rtol=0)


def test_float32_converges():
    x, opt, closure = _problem(ember.float32, max_iter=100, line_search_fn="strong_wolfe")
    for _ in range(3):
        opt.step(closure)
    assert x.dtype == ember.float32
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-3, rtol=0)


def test_step_returns_first_loss_and_counts_evaluations():
    x, opt, closure = _problem(max_iter=3, max_eval=10)
    loss = opt.step(closure)
    assert float(loss) == pytest.approx(_rosen(np.array(X0))[0], rel=1e-12)
    st = opt.state[x]
    assert st["n_iter"] == 3 and st["func_evals"] == 3  # 1 + one per iteration but the last
    x, opt, closure = _problem(max_iter=3)  # max_eval = 3 * 5 // 4 = 3 stops after 2 iterations
    opt.step(closure)
    assert opt.state[x]["n_iter"] == 2 and opt.state[x]["func_evals"] == 3
    assert set(st) >= {"func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro",
                       "H_diag", "prev_flat_grad", "prev_loss"}


def test_state_keeps_pytorchs_al_scratch_list_once_history_is_used():
    # PyTorch's state has "al" (history_size entries) from the second iteration on
    x, opt, closure = _problem(max_iter=1, history_size=3)
    opt.step(closure)
    assert "al" not in opt.state[x]
    opt.step(closure)
    opt.step(closure)
    al = opt.state[x]["al"]
    assert len(al) == 3 and al[2] is None and all(isinstance(v, float) for v in al[:2])


def test_several_parameters_are_flattened_together():
    a = ember.nn.Parameter(ember.tensor([-1.5], dtype=ember.float64))
    b = ember.nn.Parameter(ember.tensor([[2.0]], dtype=ember.float64))
    unused = ember.nn.Parameter(ember.tensor([7.0], dtype=ember.float64))
    opt = LBFGS([a, b, unused], max_iter=5, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((1 - a) ** 2 + 100 * (b.reshape(1) - a ** 2) ** 2).sum()
        loss.backward()
        return loss

    ref = _reference(4, max_iter=5, line_search_fn="strong_wolfe")
    for k in range(4):
        opt.step(closure)
        got = [a.item(), b.item()]
        np.testing.assert_allclose(got, ref[k], rtol=1e-9, atol=1e-9)
    assert unused.item() == 7.0


def test_state_dict_round_trip_gives_identical_continuation():
    kw = {"max_iter": 3, "history_size": 4, "line_search_fn": "strong_wolfe"}
    x, opt, closure = _problem(**kw)
    for _ in range(3):
        opt.step(closure)
    sd = copy.deepcopy(opt.state_dict())
    x2, opt2, closure2 = _problem(max_iter=7)
    with ember.no_grad():
        x2.copy_(x)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["max_iter"] == 3
    for _ in range(3):
        opt.step(closure)
        opt2.step(closure2)
        np.testing.assert_array_equal(x.detach().numpy(), x2.detach().numpy())


def test_errors():
    x = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        LBFGS([x], lr=-0.1)
    y = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        LBFGS([{"params": [x]}, {"params": [y], "lr": 0.1}])
    opt = LBFGS([x], line_search_fn="backtracking")

    def closure():
        opt.zero_grad()
        loss = ((x - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)
    with pytest.raises(RuntimeError, match="requires a closure"):
        LBFGS([x]).step(None)
