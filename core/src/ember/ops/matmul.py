"""Matrix products: matmul (with batching and 1-D rules), mm, bmm, einsum, tensordot, kron …

Everything reduces to one GEMM-backed primitive, :class:`Matmul` (numpy's ``matmul`` calls
OpenBLAS, cupy's calls cuBLAS); its backward is two more matmuls, so double backward is free.

Example:
    >>> import ember
    >>> a = ember.ones(2, 3)
    >>> b = ember.ones(3, 4)
    >>> (a @ b).shape
    ember.Size([2, 4])
"""

from __future__ import annotations

import math

import numpy as np

from .. import _host_buffers
from .._tensor import Tensor, _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply, check_same_device, xp_of
from ._einsum import einsum

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm",
           "addmv", "addbmm", "baddbmm", "addr", "einsum", "tensordot", "kron", "chain_matmul",
           "cross"]


def _same(op, a, b):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        bad = b if isinstance(a, Tensor) else a
        raise TypeError(f"{op}(): argument must be Tensor, not {type(bad).__name__}")
    check_same_device(op, a, b)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{op}(): expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype} != {b.dtype}")


def _fmt(shape) -> str:
    """A shape as PyTorch prints matrices in messages: ``2x3``."""
    return "x".join(map(str, shape))


def _check_matmul_shapes(op, sa, sb):
    """RuntimeError naming both shapes when ``sa @ sb`` is undefined (PyTorch's messages)."""
    da, db = len(sa), len(sb)
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to {op} need to be at least 1D, but they are {da}D "
                           f"and {db}D")
    ka = sa[-1]
    kb = sb[-2] if db > 1 else sb[0]
    if ka != kb:
        if da == 1 and db == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] "
                               f"to have the same number of elements, but got {ka} and {kb} "
                               "elements respectively")
        if da == 2 and db == 1:
            raise RuntimeError(f"size mismatch, got input ({sa[0]}), mat ({_fmt(sa)}), vec "
                               f"({kb})")
        left = (1,) + tuple(sa) if da == 1 else sa
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_fmt(left)} and "
                           f"{_fmt(sb)})")
    if da > 2 or db > 2:
        ba, bb = tuple(sa[:-2]), tuple(sb[:-2])
        n = max(len(ba), len(bb))
        ba, bb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
        for i, (x, y) in enumerate(zip(ba, bb, strict=False)):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                                   f"({y}) at non-singleton dimension {i} ({op} of shapes "
                                   f"{list(sa)} and {list(sb)}: batch dims must broadcast)")


class Matmul(Node):
    def forward(self, xp, x, y):
        if x.ndim > 2 and y.ndim == 2:
            # (..., M, K) @ (K, N): one (prod(...) * M, K) GEMM instead of a loop of small ones
            # over the batch (a non-contiguous x is copied once by the reshape)
            rows = math.prod(x.shape[:-1])  # (not -1: K may be 0)
            return _product(xp, x.reshape(rows, x.shape[-1]), y).reshape(
                x.shape[:-1] + y.shape[1:])
        return _product(xp, x, y)

    def backward(self, gy):
        a, b = self.saved
        ga = gb = None
        if self.next_functions[0][0] is not None:
            ga = matmul(gy, b.mT.conj() if b.is_complex() else b.mT)
        if self.next_functions[1][0] is not None:
            if a.dim() > 2 and b.dim() == 2:
                # the weight gradient of a batched x @ W: sum_i a_i^T gy_i as one GEMM over
                # the flattened batch, not a batch of products summed afterwards
                rows = math.prod(a.shape[:-1])
                a, gy = a.reshape(rows, a.shape[-1]), gy.reshape(rows, gy.shape[-1])
            gb = matmul(a.mT.conj() if a.is_complex() else a.mT, gy)
        return ga, gb


def _product(xp, x, y):
    """``x @ y`` (both at least 2-D); a large numpy result lives in a recycled host block."""
    if xp is np and x.dtype == y.dtype:
        batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
        return np.matmul(x, y, out=_host_buffers.empty(batch + (x.shape[-2], y.shape[-1]),
                                                       x.dtype))
    return xp.matmul(x, y)


def _mm2(a, b):
    """The primitive: both inputs at least 2-D (batch dims broadcast)."""
    node = Matmul()
    r = apply(node, (a, b), a._data, b._data)
    if r.grad_fn is node:
        node.save(a, b)
    return r


def matmul(input, other, *, out=None):
    """Matrix product with PyTorch's rules for 1-D operands and broadcast batch dims.

    1-D @ 1-D is the dot product; a 1-D first (second) operand gets a 1 prepended (appended)
    to its shape, removed afterwards; dims before the last two broadcast as batch dims.

    Args:
        input: tensor of shape ``(*, n, k)`` or ``(k,)``.
        other: tensor of shape ``(*, k, m)`` or ``(k,)``, same dtype and device.

    Shape:
        ``(*b1, n, k) @ (*b2, k, m) -> (*broadcast(b1, b2), n, m)``.

    Raises:
        RuntimeError: 0-D operands, inner sizes that differ (the message names both shapes),
            batch dims that do not broadcast, dtype or device mismatch.

    Example:
        >>> import ember
        >>> ember.matmul(ember.ones(2, 3), ember.ones(3)).tolist()
        [3.0, 3.0]
    """
    _same("matmul", input, other)
    da, db = input._data.ndim, other._data.ndim
    _check_matmul_shapes("matmul", input._data.shape, other._data.shape)
    a = input.unsqueeze(0) if da == 1 else input
    b = other.unsqueeze(-1) if db == 1 else other
    r = _mm2(a, b)
    if da == 1:
        r = r.squeeze(-2)
    if db == 1:
        r = r.squeeze(-1)
    return r if out is None else out.copy_(r)


def mm(input, mat2, *, out=None):
    """Matrix product of two 2-D tensors ``(n, k) @ (k, m) -> (n, m)`` (no broadcasting).

    Raises:
        RuntimeError: a non-2-D operand, or inner sizes that differ
            (``mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)``).

    Example:
        >>> import ember
        >>> ember.mm(ember.eye(2), ember.ones(2, 3)).shape
        ember.Size([2, 3])
    """
    if input._data.ndim != 2:
        raise RuntimeError(f"mm(): self must be a matrix, got a {input._data.ndim}D tensor")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mm(): mat2 must be a matrix, got a {mat2._data.ndim}D tensor")
    return matmul(input, mat2, out=out)


def bmm(input, mat2, *, out=None):
    """Batched matrix product ``(b, n, k) @ (b, k, m) -> (b, n, m)`` (no broadcasting).

    Raises:
        RuntimeError: non-3-D operands, or batch/inner sizes that differ.

    Example:
        >>> import ember
        >>> ember.bmm(ember.ones(4, 2, 3), ember.ones(4, 3, 5)).shape
        ember.Size([4, 2, 5])
    """
    if input._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor, got {input._data.ndim}D")
    if mat2._data.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor, got {mat2._data.ndim}D")
    sa, sb = input._data.shape, mat2._data.shape
    if sb[0] != sa[0] or sb[1] != sa[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}] (bmm of shapes "
                           f"{list(sa)} and {list(sb)}).")
    return matmul(input, mat2, out=out)


def mv(input, vec, *, out=None):
    """Matrix-vector product ``(n, m) @ (m,) -> (n,)``.

    Example:
        >>> import ember
        >>> ember.mv(ember.eye(2), ember.tensor([1.0, 2.0]))
        tensor([1., 2.])
    """
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    return matmul(input, vec, out=out)


def dot(input, other, *, out=None):
    """Inner product ``sum_i input_i * other_i`` of two 1-D tensors of the same length.

    Raises:
        RuntimeError: non-1-D tensors, different lengths or dtypes.

    Example:
        >>> import ember
        >>> ember.dot(ember.tensor([2, 3]), ember.tensor([2, 1]))
        tensor(7)
    """
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{input.dtype} and {other.dtype}")
    return matmul(input, other, out=out)


def vdot(input, other, *, out=None):
    """``sum_i conj(input_i) * other_i`` of two 1-D tensors (conjugates the first).

    Example:
        >>> import ember
        >>> ember.vdot(ember.tensor([1j]), ember.tensor([1j]))
        tensor(1.+0.j)
    """
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    r = dot(input.conj() if input.is_complex() else input, other)
    return r if out is None else out.copy_(r)


def inner(input, other, *, out=None):
    """Sum of products over the last dims: ``r[i..., j...] = sum_k a[i..., k] b[j..., k]``.

    A 0-D operand multiplies elementwise.

    Shape:
        ``(*a, k), (*b, k) -> (*a, *b)``.

    Example:
        >>> import ember
        >>> ember.inner(ember.ones(2, 3), ember.ones(4, 3)).shape
        ember.Size([2, 4])
    """
    if input._data.ndim == 0 or other._data.ndim == 0:
        r = input * other
    else:
        if input._data.shape[-1] != other._data.shape[-1]:
            raise RuntimeError(f"inner() the last dimension must match on both input tensors "
                               f"but got shapes {list(input._data.shape)} and "
                               f"{list(other._data.shape)}")
        r = tensordot(input, other, ([-1], [-1]))
    return r if out is None else out.copy_(r)


def outer(input, vec2, *, out=None):
    """Outer product of two 1-D tensors: ``r[i, j] = input[i] * vec2[j]``.

    Example:
        >>> import ember
        >>> ember.outer(ember.tensor([1, 2]), ember.tensor([1, 10])).tolist()
        [[1, 10], [2, 20]]
    """
    for name, v in (("self", input), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    r = input.reshape(-1, 1) * vec2.reshape(1, -1)
    return r if out is None else out.copy_(r)


ger = outer


class AddScaled(Node):
    """``beta * input + alpha * p`` with ``input`` ignored entirely when ``beta == 0``."""

    def forward(self, xp, x, p, beta, alpha):
        self.beta, self.alpha = beta, alpha
        r = p * alpha if alpha != 1 else p
        if beta != 0:
            r = r + (x * beta if beta != 1 else x)
        elif r is p:
            r = p.copy()
        return r.astype(p.dtype, copy=False)

    def backward(self, gy):
        gx = gp = None
        if self.next_functions[0][0] is not None:
            gx = gy * self.beta  # zeros when beta == 0, like PyTorch
        if self.next_functions[1][0] is not None:
            gp = gy * self.alpha if self.alpha != 1 else gy
        return gx, gp


def _axpby(op, input, p, beta, alpha, out):
    """``beta * input + alpha * p`` where ``input`` broadcasts to ``p``'s shape."""
    si, sp = tuple(input._data.shape), tuple(p._data.shape)
    try:
        ok = np.broadcast_shapes(si, sp) == sp
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{op}(): the input of shape {list(si)} must broadcast to the "
                           f"product's shape {list(sp)}")
    check_same_device(op, input, p)
    if input._data.dtype != p._data.dtype:
        raise RuntimeError(f"{op}(): expected input and the matrices to have the same dtype, but "
                           f"got: {input.dtype} != {p.dtype}")
    r = apply(AddScaled(), (input, p), input._data, p._data, beta, alpha)
    return r if out is None else out.copy_(r)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)`` for 2-D ``mat1``/``mat2``.

    NOTE: with ``beta=0`` the ``input`` values are ignored (NaN/inf in it do not propagate),
    as in PyTorch; its gradient is then zero.

    Args:
        input: tensor broadcastable to ``(n, m)``.
        mat1, mat2: ``(n, k)`` and ``(k, m)`` matrices.
        beta: multiplier of ``input``. Default 1.
        alpha: multiplier of the product. Default 1.

    Example:
        >>> import ember
        >>> ember.addmm(ember.ones(2, 2), ember.eye(2), ember.eye(2), beta=0.5, alpha=2).tolist()
        [[2.5, 0.5], [0.5, 2.5]]
    """
    return _axpby("addmm", input, mm(mat1, mat2), beta, alpha, out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)`` (``beta=0`` ignores ``input``; see addmm).

    Example:
        >>> import ember
        >>> ember.addmv(ember.ones(2), ember.eye(2), ember.tensor([1.0, 2.0]), alpha=3).tolist()
        [4.0, 7.0]
    """
    return _axpby("addmv", input, mv(mat, vec), beta, alpha, out)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * outer(vec1, vec2)`` (``beta=0`` ignores ``input``).

    Example:
        >>> import ember
        >>> ember.addr(ember.zeros(2, 2), ember.tensor([1.0, 2.0]), ember.tensor([1.0, 3.0]))
        tensor([[1., 3.],
                [2., 6.]])
    """
    return _axpby("addr", input, outer(vec1, vec2), beta, alpha, out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)`` (``beta=0`` ignores ``input``).

    Example:
        >>> import ember
        >>> ember.baddbmm(ember.zeros(3, 2, 4), ember.ones(3, 2, 5), ember.ones(3, 5, 4)).shape
        ember.Size([3, 2, 4])
    """
    return _axpby("baddbmm", input, bmm(batch1, batch2), beta, alpha, out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]`` (``beta=0`` ignores ``input``).

    Example:
        >>> import ember
        >>> ember.addbmm(ember.zeros(2, 4), ember.ones(3, 2, 5), ember.ones(3, 5, 4))[0, 0]
        tensor(15.)
    """
    return _axpby("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha, out)


def chain_matmul(*matrices, out=None):
    """``matrices[0] @ matrices[1] @ ...`` for 2-D tensors (``linalg.multi_dot``'s old name).

    Example:
        >>> import ember
        >>> ember.chain_matmul(ember.ones(2, 3), ember.ones(3, 4), ember.ones(4, 1)).tolist()
        [[12.0], [12.0]]
    """
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        if m._data.ndim != 2:
            raise RuntimeError(f"chain_matmul(): Tensor at position {i} must be 2D, got "
                               f"{m._data.ndim}D")
    r = matrices[0]
    for m in matrices[1:]:
        r = mm(r, m)
    return r if out is None else out.copy_(r)


def _dim_list(d, n, op):
    if isinstance(d, Tensor):
        d = d.tolist()
    d = [d] if isinstance(d, int) else list(d)
    return [_wrap_dim(int(x), n, op) for x in d]


def tensordot(a, b, dims=2, out=None):
    """Contract dims of ``a`` with dims of ``b``: the last ``dims`` of ``a`` with the first
    ``dims`` of ``b`` (int), or the listed pairs ``([dims of a], [dims of b])``.

    ``r[free_a, free_b] = sum_{contracted} a[free_a, c] * b[c, free_b]`` (one GEMM).

    Raises:
        RuntimeError: negative ``dims``, lists of different lengths, or contracted sizes that
            differ.

    Example:
        >>> import ember
        >>> ember.tensordot(ember.ones(2, 3, 4), ember.ones(4, 3, 5), ([1, 2], [1, 0])).shape
        ember.Size([2, 5])
    """
    _same("tensordot", a, b)
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, (int, np.integer)) or (isinstance(dims, Tensor) and dims.ndim == 0):
        dims = int(dims)
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > na or dims > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        if len(dims) != 2:
            raise RuntimeError(f"tensordot expects dims to be an int or a pair of lists of dims, "
                               f"got {dims!r}")
        da, db = _dim_list(dims[0], na, "tensordot"), _dim_list(dims[1], nb, "tensordot")
        if len(da) != len(db):
            raise RuntimeError(f"both dimension lists should have same length, got {len(da)} and "
                               f"{len(db)}")
    for x, y in zip(da, db, strict=False):
        if a._data.shape[x] != b._data.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a._data.shape[x]} in dim {x} and second has size "
                               f"{b._data.shape[y]} in dim {y}")
    fa = [d for d in range(na) if d not in da]
    fb = [d for d in range(nb) if d not in db]
    k = int(np.prod([a._data.shape[d] for d in da])) if da else 1
    am = a.permute(fa + da).reshape(-1, k)
    bm = b.permute(db + fb).reshape(k, -1)
    shape = [a._data.shape[d] for d in fa] + [b._data.shape[d] for d in fb]
    r = matmul(am, bm).reshape(shape)
    return r if out is None else out.copy_(r)


def kron(input, other, *, out=None):
    """Kronecker product: block ``(i, j)`` of the result is ``input[i, j] * other``.

    Shape:
        ``(a0, a1, ...), (b0, b1, ...) -> (a0*b0, a1*b1, ...)`` (fewer dims padded with 1).

    Example:
        >>> import ember
        >>> ember.kron(ember.eye(2), ember.ones(1, 2)).tolist()
        [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]
    """
    na, nb = input._data.ndim, other._data.ndim
    n = max(na, nb)
    a = input.reshape((1,) * (n - na) + input._data.shape)
    b = other.reshape((1,) * (n - nb) + other._data.shape)
    sa, sb = a._data.shape, b._data.shape
    ai = a.reshape([v for s in sa for v in (s, 1)])
    bi = b.reshape([v for s in sb for v in (1, s)])
    r = (ai * bi).reshape([x * y for x, y in zip(sa, sb, strict=False)])
    return r if out is None else out.copy_(r)


def cross(input, other, dim=None, *, out=None):
    """Cross product of 3-vectors along ``dim`` (inputs broadcast).

    ``dim=None`` picks the first dim of size 3, as PyTorch's deprecated default does
    (``linalg.cross`` uses ``dim=-1``).

    Raises:
        RuntimeError: the dim does not have size 3 in both inputs.

    Example:
        >>> import ember
        >>> ember.cross(ember.tensor([1.0, 0, 0]), ember.tensor([0.0, 1, 0]), dim=0)
        tensor([0., 0., 1.])
    """
    if dim is None:
        dim = next((i for i, s in enumerate(input._data.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"cross(): no dimension of size 3 in input of shape "
                               f"{list(input._data.shape)}")
    d = _wrap_dim(dim, input._data.ndim, "cross")
    db = _wrap_dim(dim, other._data.ndim, "cross")
    if input._data.shape[d] != 3 or other._data.shape[db] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input._data.shape[d]} and {other._data.shape[db]}")
    if input._data.ndim != other._data.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, got "
                           f"{input._data.ndim} and {other._data.ndim}")
    a0, a1, a2 = input.unbind(d)
    b0, b1, b2 = other.unbind(d)
    from .shape import stack
    r = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)
    return r if out is None else out.copy_(r)


_ = xp_of
