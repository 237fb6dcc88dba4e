r"""Recurrent kernels shared by ``nn.RNN``/``LSTM``/``GRU`` and their cells (private).

Sequences are handled in PyTorch's *packed* layout: ``data`` is ``(N, features)`` with the
time steps concatenated, ``batch_sizes[t]`` rows for step ``t`` (non-increasing).  A padded
batch is the special case ``batch_sizes = [B] * T``.  For every layer and direction the input
projection :math:`x W_{ih}^T + b_{ih}` of ALL time steps is one GEMM; only
:math:`h W_{hh}^T + b_{hh}` and the gate arithmetic run inside the loop over time, on arrays,
in one autograd node per layer and direction (:mod:`._rnn_fused`).

:func:`cell_step` and :func:`direction` are the same recurrence built from ember ops: the cells
use them, and the fused node differentiates them for ``create_graph`` backward passes.
"""

from __future__ import annotations

from ...ops._join import cat, stack
from ._dropout import dropout as _dropout
from ._linear import linear
from ._rnn_fused import recurrence

__all__: list[str] = []


def cell_step(mode: str, gi, state: tuple, w_hh, b_hh, w_hr=None) -> tuple:
    """One recurrence step given the precomputed input projection ``gi``.

    ``state`` is ``(h,)`` for RNN/GRU and ``(h, c)`` for LSTM; returns the new state tuple.
    """
    h = state[0]
    gh = linear(h, w_hh, b_hh)
    if mode == "RNN_TANH":
        return ((gi + gh).tanh(),)
    if mode == "RNN_RELU":
        return ((gi + gh).relu(),)
    if mode == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, 1)
        c = f.sigmoid() * state[1] + i.sigmoid() * g.tanh()
        hn = o.sigmoid() * c.tanh()
        if w_hr is not None:
            hn = linear(hn, w_hr)
        return (hn, c)
    if mode == "GRU":
        i_r, i_z, i_n = gi.chunk(3, 1)
        h_r, h_z, h_n = gh.chunk(3, 1)
        r = (i_r + h_r).sigmoid()
        z = (i_z + h_z).sigmoid()
        n = (i_n + r * h_n).tanh()
        return ((1 - z) * n + z * h,)
    raise ValueError(f"Unknown nonlinearity: {mode}")


def direction(mode, gi, batch_sizes, state0, w_hh, b_hh, w_hr, reverse):
    """Run one direction of one layer over packed ``gi`` ``(N, G)`` with ember ops.

    Returns ``(out (N, H_out), final state tuple with the full batch)``.
    """
    steps = len(batch_sizes)
    offsets = [0]
    for b in batch_sizes:
        offsets.append(offsets[-1] + b)
    outs = [None] * steps
    if not reverse:
        state = tuple(s[:batch_sizes[0]] for s in state0) if steps else state0
        finished = []  # pieces of final states, in time order
        cur = batch_sizes[0] if steps else 0
        for t in range(steps):
            b = batch_sizes[t]
            if b < cur:
                finished.append(tuple(s[b:cur] for s in state))
                state = tuple(s[:b] for s in state)
                cur = b
            state = cell_step(mode, gi[offsets[t]:offsets[t + 1]], state, w_hh, b_hh, w_hr)
            outs[t] = state[0]
        if finished:
            pieces = [state, *reversed(finished)]
            state = tuple(cat([p[k] for p in pieces], 0) for k in range(len(state)))
        if steps and batch_sizes[0] < state0[0].shape[0]:
            state = tuple(cat([s, s0[batch_sizes[0]:]], 0)
                          for s, s0 in zip(state, state0, strict=True))
    else:
        cur = 0
        state = tuple(s[:0] for s in state0)
        for t in range(steps - 1, -1, -1):
            b = batch_sizes[t]
            if b > cur:
                state = tuple(cat([s, s0[cur:b]], 0) for s, s0 in zip(state, state0, strict=True))
                cur = b
            state = cell_step(mode, gi[offsets[t]:offsets[t + 1]], state, w_hh, b_hh, w_hr)
            outs[t] = state[0]
        if cur < state0[0].shape[0]:
            state = tuple(cat([s, s0[cur:]], 0) for s, s0 in zip(state, state0, strict=True))
    out = cat(outs, 0) if steps else state0[0][:0]
    return out, state


def rnn_packed(mode: str, data, batch_sizes, hx: tuple, weights: list, num_layers: int,
               bidirectional: bool, dropout: float, training: bool):
    """Multi-layer (bi)directional recurrence on packed ``data``.

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``.
        data: ``(N, input_size)``.
        batch_sizes: list of ints (non-increasing).
        hx: tuple of initial states, each ``(num_layers * num_directions, B, *)``.
        weights: per layer and direction, ``(w_ih, w_hh, b_ih, b_hh, w_hr)`` (None if absent).
        dropout, training: dropout on the output of every layer but the last.

    Returns:
        ``(out (N, num_directions * H_out), tuple of final states like hx)``.
    """
    num_dirs = 2 if bidirectional else 1
    finals = [[] for _ in hx]
    x = data
    for layer in range(num_layers):
        outs = []
        for d in range(num_dirs):
            idx = layer * num_dirs + d
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[idx]
            gi = linear(x, w_ih)  # ONE GEMM for all time steps (the node adds the biases)
            out, state = recurrence(mode, gi, batch_sizes, tuple(h[idx] for h in hx), w_hh,
                                    b_ih, b_hh, w_hr, reverse=d == 1)
            outs.append(out)
            for k, s in enumerate(state):
                finals[k].append(s)
        x = outs[0] if num_dirs == 1 else cat(outs, 1)
        if dropout and training and layer < num_layers - 1:
            x = _dropout(x, dropout, True)
    return x, tuple(stack(f, 0) for f in finals)
