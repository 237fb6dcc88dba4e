r"""One autograd node per layer and direction of ``nn.RNN``/``LSTM``/``GRU`` (private).

:func:`recurrence` runs the time loop of one direction over packed rows (``batch_sizes[t]``
rows for step ``t``, non-increasing) on arrays written into preallocated buffers: per step only
:math:`h W_{hh}^T` (one GEMM) and the gate arithmetic (in place). The input projection
``gi`` :math:`= x W_{ih}^T` of every step is computed before, as one GEMM, by the caller; the
node adds both biases to it once.

Backward of a plain ``.backward()`` is back-propagation through time on arrays: per step one
GEMM for :math:`\partial h_{t-1}` and the gate derivatives; :math:`\partial W_{hh}`,
:math:`\partial b_{ih}`, :math:`\partial b_{hh}` and :math:`\partial W_{hr}` are one
GEMM/reduction over all steps at the end. With ``create_graph=True`` the node re-runs the
forward with ember ops (:func:`._rnn.direction`) and differentiates that, so higher derivatives
stay exact.
"""

from __future__ import annotations

import numpy as np

from ... import _host_buffers
from ...autograd import grad_mode
from ...autograd.node import Node
from ...ops._dispatch import apply, xp_of

__all__: list[str] = []

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


_buf = _host_buffers.result  # an uninitialised array, recycled on the CPU


def _sigmoid_(xp, a) -> None:
    """``a <- 1 / (1 + exp(-a))`` in place.

    NOTE: for ``a`` below about -88 (float32) ``exp(-a)`` overflows to inf and the result is
    the correct limit 0; the overflow warning is silenced by ``apply``/the engine.
    """
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


def _steps(batch_sizes, reverse: bool) -> list:
    """``(row_start, batch)`` per step, in the order the forward visits them."""
    rows, off = [], 0
    for b in batch_sizes:
        rows.append((off, b))
        off += b
    return rows[::-1] if reverse else rows


def _colsum(xp, a):
    """``a.sum(0)`` for a C-contiguous 2-D array; on numpy as ``ones @ a``, which OpenBLAS runs
    on every thread (numpy's reduction uses one)."""
    if xp is not np or not a.flags.c_contiguous:
        return a.sum(0)
    return xp.ones(a.shape[0], dtype=a.dtype) @ a


class Recurrence(Node):
    """The time loop of one layer and direction (see the module docstring).

    Inputs ``(gi, h0, c0, w_hh, b_ih, b_hh, w_hr)`` with ``gi`` :math:`= x W_{ih}^T` (``c0``
    only for LSTM; the biases and ``w_hr`` may be None); outputs ``(out (N, H_out),
    h_n (B, H_out)[, c_n (B, H)])``.
    """

    materialize_grads = False

    def __init__(self, mode: str, batch_sizes: list, reverse: bool) -> None:
        self.mode = mode
        self.batch_sizes = batch_sizes
        self.reverse = reverse

    def name(self) -> str:
        return {"LSTM": "Lstm", "GRU": "Gru"}.get(self.mode, "Rnn") + "Backward0"

    def _release_extra(self) -> None:
        self.__dict__.pop("bufs", None)

    # ------------------------------------------------------------------ forward
    def forward(self, xp, gi, h0, c0, w_hh, b_ih, b_hh, w_hr):
        mode = self.mode
        # NOTE: both biases join the input projection once for all steps (GRU: only b_ih, as
        # b_hn sits inside r * (h W_hn + b_hn)); PyTorch adds them per step, so sums may
        # differ in the last bit.
        bias = b_ih
        if mode != "GRU" and b_hh is not None:
            bias = b_hh if b_ih is None else b_ih + b_hh
        # pre-activations -> gates (large arrays here live in recycled host buffers)
        acts = (xp.add(gi, bias, out=_buf(xp, gi.shape, gi.dtype)) if bias is not None
                else _host_buffers.copy(xp, gi))
        n_rows = gi.shape[0]
        h = h0.copy()  # running state; rows past the current batch keep their final value
        self.bufs = bufs = {
            "acts": acts,
            "h_prev": _buf(xp, (n_rows, h.shape[1]), gi.dtype),  # h_{t-1} of each row
        }
        out = _buf(xp, bufs["h_prev"].shape, gi.dtype)
        steps = _steps(self.batch_sizes, self.reverse)
        if mode == "LSTM":
            c = c0.copy()
            _lstm_forward(xp, bufs, out, h, c, w_hh, w_hr, steps)
            return out, h, c
        if mode == "GRU":
            _gru_forward(xp, bufs, out, h, w_hh, b_hh, steps)
        else:
            _rnn_forward(xp, bufs, out, h, w_hh, mode == "RNN_RELU", steps)
        return out, h

    # ------------------------------------------------------------------ backward
    def backward(self, *grads):
        if grad_mode._state.enabled:
            return self._backward_graph(grads)
        w_hh, w_hr = self.saved[3], self.saved[6]  # version-checked
        arrays = self._bptt([None if g is None else g._data for g in grads], w_hh._data,
                            None if w_hr is None else w_hr._data)
        from ..._tensor import Tensor
        return tuple(None if a is None else Tensor._make(a) for a in arrays)

    def _backward_graph(self, grads):
        """Differentiable backward (``create_graph``): re-run the step with ember ops."""
        from ...autograd.engine import grad as autograd_grad
        from ._rnn import direction
        saved = self.saved
        gi, h0, c0, w_hh, b_ih, b_hh, w_hr = saved
        state0 = (h0,) if c0 is None else (h0, c0)
        if b_ih is not None:
            gi = gi + b_ih
        out, state = direction(self.mode, gi, self.batch_sizes, state0, w_hh, b_hh, w_hr,
                               self.reverse)
        pairs = [(o, g) for o, g in zip((out, *state), grads, strict=True) if g is not None]
        want = [i for i, (fn, _) in enumerate(self.next_functions) if fn is not None]
        res = [None] * len(saved)
        if pairs and want:
            got = autograd_grad([o for o, _ in pairs], [saved[i] for i in want],
                                [g for _, g in pairs], create_graph=True, allow_unused=True)
            for i, g in zip(want, got, strict=True):
                res[i] = g
        return tuple(res)

    def _bptt(self, grads, w_hh, w_hr) -> tuple:
        """Gradients of ``(gi, h0, c0, w_hh, b_ih, b_hh, w_hr)`` as arrays (None where unused)."""
        bufs = self.bufs
        acts = bufs["acts"]
        xp = xp_of(acts)
        meta = self._out_meta  # ((shape, dtype, device), ...) of the outputs
        # running gradients of the state (one row per sequence), seeded with those of h_n, c_n
        dh = xp.zeros(meta[1][0], dtype=acts.dtype) if grads[1] is None else grads[1].copy()
        d_acts = _buf(xp, acts.shape, acts.dtype)  # gradient of the pre-activation gates = of gi
        d_gh = d_acts  # gradient of h W_hh^T + b_hh (differs from d_acts only for GRU)
        d_c = d_whr = None
        steps = _steps(self.batch_sizes, self.reverse)[::-1]
        if self.mode == "LSTM":
            d_c = xp.zeros(meta[2][0], dtype=acts.dtype) if grads[2] is None else grads[2].copy()
            d_whr = _lstm_bptt(xp, bufs, grads[0], dh, d_c, d_acts, w_hh, w_hr, steps)
        elif self.mode == "GRU":
            d_gh = _gru_bptt(xp, bufs, grads[0], dh, d_acts, w_hh, steps)
        else:
            _rnn_bptt(xp, bufs, grads[0], dh, d_acts, w_hh, self.mode == "RNN_RELU", steps)
        need = [fn is not None for fn, _ in self.next_functions]
        d_whh = d_gh.T @ bufs["h_prev"] if need[3] else None  # one GEMM over all steps
        d_bih = _colsum(xp, d_acts) if need[4] else None
        d_bhh = None
        if need[5]:
            d_bhh = _colsum(xp, d_gh) if d_gh is not d_acts or d_bih is None else d_bih.copy()
        return (d_acts if need[0] else None, dh if need[1] else None,
                d_c if need[2] else None, d_whh, d_bih, d_bhh, d_whr if need[6] else None)


# ---------------------------------------------------------------------- per-mode time loops
# Forward loops fill ``out`` (N, H_out) and the buffers backward needs, and leave the final
# state in ``h``/``c``.  Backward loops visit the steps in reverse, fill ``d_acts`` (N, G*H)
# and leave the initial state's gradient in ``dh``/``dc``.

def _gates(a, n: int, hidden: int) -> tuple:
    return tuple(a[:, k * hidden:(k + 1) * hidden] for k in range(n))


def _lstm_forward(xp, bufs, out, h, c, w_hh, w_hr, steps) -> None:
    # NOTE: ufuncs on one gate's columns (a strided (b, H) view) cost ~4x those on contiguous
    # blocks, so the sigmoid runs over the whole (b, 4H) step block and tanh(g) lives in its
    # own contiguous buffer; the g slot of ``acts`` is left holding sigmoid(g), unused.
    acts = bufs["acts"]
    h_prev = bufs["h_prev"]
    n_rows, hidden = acts.shape[0], acts.shape[1] // 4
    bufs["c_prev"] = c_prev = _buf(xp, (n_rows, hidden), acts.dtype)
    bufs["tanh_c"] = tanh_c = _buf(xp, c_prev.shape, acts.dtype)
    bufs["tanh_g"] = tanh_g = _buf(xp, c_prev.shape, acts.dtype)
    if w_hr is not None:
        bufs["h_full"] = h_full = xp.empty_like(c_prev)  # h before the projection
    gh = xp.empty((h.shape[0], acts.shape[1]), dtype=acts.dtype)
    tmp = xp.empty((h.shape[0], hidden), dtype=acts.dtype)
    w_t = w_hh.T
    for s, b in steps:
        rows = slice(s, s + b)
        hp = h_prev[rows]
        hp[...] = h[:b]
        g = acts[rows]
        g += xp.matmul(hp, w_t, out=gh[:b])
        gt = tanh_g[rows]
        gt[...] = g[:, 2 * hidden:3 * hidden]
        xp.tanh(gt, out=gt)
        _sigmoid_(xp, g)  # i, f, o (and the unused g slot)
        gi_, gf, _, go = _gates(g, 4, hidden)
        cp = c_prev[rows]
        cp[...] = c[:b]
        cn = c[:b]  # c' = f c + i g
        xp.multiply(gf, cp, out=cn)
        xp.multiply(gi_, gt, out=tmp[:b])
        cn += tmp[:b]
        tc = tanh_c[rows]
        xp.tanh(cn, out=tc)
        if w_hr is None:
            xp.multiply(go, tc, out=out[rows])
        else:
            hf = h_full[rows]
            xp.multiply(go, tc, out=hf)
            xp.matmul(hf, w_hr.T, out=out[rows])
        h[:b] = out[rows]


def _gru_forward(xp, bufs, out, h, w_hh, b_hh, steps) -> None:
    acts = bufs["acts"]
    h_prev = bufs["h_prev"]
    n_rows, hidden = acts.shape[0], acts.shape[1] // 3
    bufs["gh_n"] = gh_n = xp.empty((n_rows, hidden), dtype=acts.dtype)  # h W_hn + b_hn
    gh_buf = xp.empty((h.shape[0], acts.shape[1]), dtype=acts.dtype)
    w_t = w_hh.T
    for s, b in steps:
        rows = slice(s, s + b)
        hp = h_prev[rows]
        hp[...] = h[:b]
        gh = gh_buf[:b]
        xp.matmul(hp, w_t, out=gh)
        if b_hh is not None:
            gh += b_hh
        g = acts[rows]
        rz = g[:, :2 * hidden]
        rz += gh[:, :2 * hidden]
        _sigmoid_(xp, rz)
        gr, gz, gn = _gates(g, 3, hidden)
        ghn = gh_n[rows]
        ghn[...] = gh[:, 2 * hidden:]
        scratch = gh[:, :hidden]  # gh's r part is no longer needed
        xp.multiply(gr, ghn, out=scratch)
        gn += scratch
        xp.tanh(gn, out=gn)
        o = out[rows]  # h' = (1 - z) n + z h = n + z (h - n)
        xp.subtract(hp, gn, out=o)
        o *= gz
        o += gn
        h[:b] = o


def _rnn_forward(xp, bufs, out, h, w_hh, relu: bool, steps) -> None:
    acts = bufs["acts"]
    h_prev = bufs["h_prev"]
    gh = xp.empty((h.shape[0], acts.shape[1]), dtype=acts.dtype)
    w_t = w_hh.T
    for s, b in steps:
        rows = slice(s, s + b)
        hp = h_prev[rows]
        hp[...] = h[:b]
        g = acts[rows]
        g += xp.matmul(hp, w_t, out=gh[:b])
        if relu:
            xp.maximum(g, 0, out=g)
        else:
            xp.tanh(g, out=g)
        out[rows] = g
        h[:b] = g


def _lstm_bptt(xp, bufs, g_out, dh, dc, d_acts, w_hh, w_hr, steps):
    """Returns the gradient of ``w_hr`` (None without projection)."""
    acts, c_prev, tanh_c, tanh_g = bufs["acts"], bufs["c_prev"], bufs["tanh_c"], bufs["tanh_g"]
    hidden = acts.shape[1] // 4
    t1_buf = xp.empty((dh.shape[0], hidden), dtype=acts.dtype)
    t2_buf = xp.empty_like(t1_buf)
    sig_buf = xp.empty((dh.shape[0], acts.shape[1]), dtype=acts.dtype)
    if w_hr is not None:
        d_out = xp.empty((acts.shape[0], w_hr.shape[0]), dtype=acts.dtype)
        dhf_buf = xp.empty_like(t1_buf)
    for s, b in steps:
        rows = slice(s, s + b)
        dht = dh[:b]
        if g_out is not None:
            dht += g_out[rows]
        if w_hr is None:
            dhf = dht
        else:
            d_out[rows] = dht
            dhf = xp.matmul(dht, w_hr, out=dhf_buf[:b])
        g = acts[rows]
        sig = sig_buf[:b]  # sigma' = s (1 - s) of the whole block (contiguous, see forward)
        xp.subtract(1, g, out=sig)
        sig *= g
        gi_, gf, _, go = _gates(g, 4, hidden)
        si, sf, _, so = _gates(sig, 4, hidden)
        di, df, dg, do = _gates(d_acts[rows], 4, hidden)
        tc, gt = tanh_c[rows], tanh_g[rows]
        dct = dc[:b]
        t1, t2 = t1_buf[:b], t2_buf[:b]
        # dc_t += dh o (1 - tanh(c)^2)
        xp.multiply(tc, tc, out=t1)
        xp.subtract(1, t1, out=t1)
        t1 *= go
        t1 *= dhf
        dct += t1
        # do = dh tanh(c) o (1 - o)
        xp.multiply(dhf, tc, out=t2)
        xp.multiply(t2, so, out=do)
        # di = dc tanh(g) i (1 - i)
        xp.multiply(dct, gt, out=t2)
        xp.multiply(t2, si, out=di)
        # df = dc c_{t-1} f (1 - f)
        xp.multiply(dct, c_prev[rows], out=t2)
        xp.multiply(t2, sf, out=df)
        # dg = dc i (1 - tanh(g)^2)
        xp.multiply(gt, gt, out=t2)
        xp.subtract(1, t2, out=t2)
        t2 *= dct
        xp.multiply(t2, gi_, out=dg)
        dct *= gf  # dc_{t-1}
        xp.matmul(d_acts[rows], w_hh, out=dht)  # dh_{t-1}
    return None if w_hr is None else d_out.T @ bufs["h_full"]


def _gru_bptt(xp, bufs, g_out, dh, d_acts, w_hh, steps):
    """Returns the gradient of ``h W_hh^T + b_hh`` (N, 3H)."""
    acts, h_prev, gh_n = bufs["acts"], bufs["h_prev"], bufs["gh_n"]
    hidden = acts.shape[1] // 3
    d_gh = _buf(xp, acts.shape, acts.dtype)
    t1_buf = xp.empty((dh.shape[0], hidden), dtype=acts.dtype)
    hz_buf = xp.empty_like(dh)
    for s, b in steps:
        rows = slice(s, s + b)
        dht = dh[:b]
        if g_out is not None:
            dht += g_out[rows]
        gr, gz, gn = _gates(acts[rows], 3, hidden)
        da = d_acts[rows]
        dr, dz, dn = _gates(da, 3, hidden)
        dgh = d_gh[rows]
        t1 = t1_buf[:b]
        # dz = dh (h_{t-1} - n) z (1 - z)
        xp.subtract(h_prev[rows], gn, out=dz)
        dz *= dht
        xp.subtract(1, gz, out=t1)
        t1 *= gz
        dz *= t1
        # dn = dh (1 - z) (1 - n^2)
        xp.multiply(gn, gn, out=dn)
        xp.subtract(1, dn, out=dn)
        xp.subtract(1, gz, out=t1)
        dn *= t1
        dn *= dht
        # dr = dn (h W_hn + b_hn) r (1 - r);  d(h W_hn + b_hn) = dn r
        xp.multiply(dn, gh_n[rows], out=dr)
        xp.subtract(1, gr, out=t1)
        t1 *= gr
        dr *= t1
        dgh[:, :2 * hidden] = da[:, :2 * hidden]
        xp.multiply(dn, gr, out=dgh[:, 2 * hidden:])
        hz = xp.multiply(dht, gz, out=hz_buf[:b])  # dh_{t-1} = dh z + dgh W_hh
        xp.matmul(dgh, w_hh, out=dht)
        dht += hz
    return d_gh


def _rnn_bptt(xp, bufs, g_out, dh, d_acts, w_hh, relu: bool, steps) -> None:
    acts = bufs["acts"]
    for s, b in steps:
        rows = slice(s, s + b)
        dht = dh[:b]
        if g_out is not None:
            dht += g_out[rows]
        a = acts[rows]
        da = d_acts[rows]
        if relu:
            xp.multiply(dht, a > 0, out=da)
        else:  # tanh' = 1 - tanh^2
            xp.multiply(a, a, out=da)
            xp.subtract(1, da, out=da)
            da *= dht
        xp.matmul(da, w_hh, out=dht)


def recurrence(mode: str, gi, batch_sizes: list, state0: tuple, w_hh, b_ih, b_hh, w_hr,
               reverse: bool) -> tuple:
    """Run one direction of one layer over packed ``gi`` ``(N, G * hidden)``.

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``.
        gi: the input projection of every row, :math:`x W_{ih}^T` (without its bias).
        batch_sizes: rows per step (non-increasing).
        state0: ``(h0,)`` or ``(h0, c0)``, each ``(B, *)``.
        w_hh, b_ih, b_hh, w_hr: recurrent weight, the two biases (or None), the LSTM
            projection (or None).
        reverse: run from the last step to the first.

    Returns:
        ``(out (N, H_out), final state tuple like state0)``.
    """
    c0 = state0[1] if mode == "LSTM" else None
    node = Recurrence(mode, batch_sizes, reverse)
    inputs = (gi, state0[0], c0, w_hh, b_ih, b_hh, w_hr)
    res = apply(node, inputs, *(None if t is None else t._data for t in inputs))
    if res[0].grad_fn is node:
        node.save(*inputs)
    else:
        node.__dict__.pop("bufs", None)
    return res[0], tuple(res[1:])
