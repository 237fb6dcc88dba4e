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

import string

import numpy as np

from .._tensor import Tensor
from ..autograd.node import Node
from ._dispatch import apply, check_same_device, xp_of

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm",
           "addmv", "addbmm", "baddbmm", "addr", "einsum", "tensordot", "kron", "chain_matmul",
           "cross"]


def _same(op, a, b):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        bad = b if isinstance(a, Tensor) else a
        raise TypeError(f"{op}(): argument must be Tensor, not {type(bad).__name__}")
    check_same_device(op, a, b)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{op}: expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype} != {b.dtype}")


class Matmul(Node):
    def forward(self, xp, x, y):
        return xp.matmul(x, y)

    def backward(self, gy):
        a, b = self.saved
        ga = gb = None
        if self.next_functions[0][0] is not None:
            ga = matmul(gy, b.mT.conj() if b.is_complex() else b.mT)
        if self.next_functions[1][0] is not None:
            gb = matmul(a.mT.conj() if a.is_complex() else a.mT, gy)
        return ga, gb


def _mm2(a, b):
    """The primitive: both inputs at least 2-D (batch dims broadcast)."""
    node = Matmul()
    r = apply(node, (a, b), a._data, b._data)
    if r.grad_fn is node:
        node.save(a, b)
    return r


def matmul(input, other, *, out=None):
    """Matrix product with PyTorch's rules for 1-D operands and broadcast batch dims."""
    _same("matmul", input, other)
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D "
                           f"and {db}D")
    ka = input._data.shape[-1]
    kb = other._data.shape[-2] if db > 1 else other._data.shape[0]
    if ka != kb:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({_fmt(input._data.shape)} and {_fmt(other._data.shape)})")
    a = input.unsqueeze(0) if da == 1 else input
    b = other.unsqueeze(-1) if db == 1 else other
    if da > 2 or db > 2:
        try:
            np.broadcast_shapes(a._data.shape[:-2], b._data.shape[:-2])
        except ValueError:
            raise RuntimeError(f"matmul: batch dimensions of {list(input._data.shape)} and "
                               f"{list(other._data.shape)} are not broadcastable") from None
    r = _mm2(a, b)
    if da == 1:
        r = r.squeeze(-2)
    if db == 1:
        r = r.squeeze(-1)
    return r if out is None else out.copy_(r)


def _fmt(shape):
    return "x".join(map(str, shape)) if len(shape) == 2 else list(shape)


def mm(input, mat2, *, out=None):
    """2-D matrix product (no broadcasting)."""
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {input._data.ndim}D and "
                           f"{mat2._data.ndim}D")
    return matmul(input, mat2, out=out)


def bmm(input, mat2, *, out=None):
    """Batched matrix product of ``(b, n, m)`` and ``(b, m, p)``."""
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (bmm got {input._data.ndim}D and "
                           f"{mat2._data.ndim}D)")
    if input._data.shape[0] != mat2._data.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {input._data.shape[0]} and "
                           f"{mat2._data.shape[0]}")
    return matmul(input, mat2, out=out)


def mv(input, vec, *, out=None):
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, "
                           f"{vec._data.ndim}")
    return matmul(input, vec, out=out)


def dot(input, other, *, out=None):
    """Inner product of two 1-D tensors of the same length."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    if input._data.shape != other._data.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] "
                           f"and src [{other._data.shape[0]}] to have the same number of "
                           "elements, but got")
    return matmul(input, other, out=out)


def vdot(input, other):
    return dot(input.conj(), other)


def inner(input, other):
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    return matmul(input, other.movedim(-1, 0) if other._data.ndim > 1 else other) \
        if other._data.ndim <= 2 else tensordot(input, other, ([-1], [-1]))


def outer(input, vec2):
    """``input[:, None] * vec2[None, :]``."""
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``."""
    p = mm(mat1, mat2)
    r = _axpby(input, p, beta, alpha)
    return r if out is None else out.copy_(r)


def _axpby(input, p, beta, alpha):
    if alpha != 1:
        p = p * alpha
    if beta == 0:  # NOTE: PyTorch ignores input entirely (its NaNs do not propagate)
        return p
    return (input * beta if beta != 1 else input) + p


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    return _axpby(input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    return _axpby(input, outer(vec1, vec2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    return _axpby(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    return _axpby(input, bmm(batch1, batch2).sum(0), beta, alpha)


def chain_matmul(*matrices):
    r = matrices[0]
    for m in matrices[1:]:
        r = mm(r, m)
    return r


def tensordot(a, b, dims=2, out=None):
    """Contract the last ``dims`` dims of ``a`` with the first of ``b`` (or listed dims)."""
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if isinstance(da, Tensor):
            da, db = da.tolist(), db.tolist()
    da = [d % na for d in da]
    db = [d % nb for d in db]
    for x, y in zip(da, db):
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
    return matmul(am, bm).reshape(shape)


def kron(input, other):
    """Kronecker product."""
    na, nb = input._data.ndim, other._data.ndim
    n = max(na, nb)
    a = input.reshape((1,) * (n - na) + input._data.shape)
    b = other.reshape((1,) * (n - nb) + other._data.shape)
    sa, sb = a._data.shape, b._data.shape
    ai = a.reshape([v for s in sa for v in (s, 1)])
    bi = b.reshape([v for s in sb for v in (1, s)])
    return (ai * bi).reshape([x * y for x, y in zip(sa, sb)])


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (the first size-3 dim when omitted)."""
    if dim is None:
        dim = next((i for i, s in enumerate(input._data.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    if input._data.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input._data.shape[dim]} and {other._data.shape[dim]}")
    a0, a1, a2 = input.unbind(dim)
    b0, b1, b2 = other.unbind(dim)
    from .shape import stack
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)


# ---------------------------------------------------------------------- einsum
class Einsum(Node):
    def forward(self, xp, eq, arrays):
        self.eq = eq
        return xp.einsum(eq, *arrays, optimize=len(arrays) > 2)

    def backward(self, gy):
        ins, out = self.eq.split("->")
        subs = ins.split(",")
        ops = self.saved
        grads = []
        for i, s in enumerate(subs):
            if self.next_functions[i][0] is None:
                grads.append(None)
                continue
            grads.append(_einsum_grad(gy, out, subs, ops, i))
        return tuple(grads)


def _einsum_grad(gy, out, subs, ops, i):
    s = subs[i]
    uniq = "".join(dict.fromkeys(s))
    others = [(subs[j], ops[j]) for j in range(len(subs)) if j != i]
    avail = set(out) | {c for sj, _ in others for c in sj}
    keep = "".join(c for c in uniq if c in avail)
    eq = ",".join([out] + [sj for sj, _ in others]) + "->" + keep
    g = einsum(eq, gy, *[o for _, o in others])
    shape = dict(zip(s, ops[i].shape))
    # letters only in operand i were summed in forward: broadcast the gradient back over them
    if keep != uniq:
        g = g.reshape([shape[c] if c in keep else 1 for c in uniq])
        g = g.expand([shape[c] for c in uniq])
    if uniq != s:  # repeated letters (a diagonal): embed through identity matrices
        from .creation import eye
        free = iter(c for c in string.ascii_letters if c not in s and c not in out)
        target, eyes, seen = [], [], set()
        for c in s:
            if c in seen:
                n = next(free)
                eyes.append((c + n, eye(shape[c], dtype=gy.dtype, device=gy.device)))
                target.append(n)
            else:
                seen.add(c)
                target.append(c)
        eq2 = ",".join([uniq] + [e for e, _ in eyes]) + "->" + "".join(target)
        g = einsum(eq2, g, *[m for _, m in eyes])
    return g


def _expand_ellipsis(eq, shapes):
    if "..." not in eq:
        return eq
    ins, _, out = eq.partition("->")
    subs = ins.split(",")
    used = set(eq)
    free = [c for c in string.ascii_letters if c not in used]
    nell = max((len(shp) - (len(s) - 3) for s, shp in zip(subs, shapes) if "..." in s),
               default=0)
    ell = "".join(free[:nell])
    new = []
    for s, shp in zip(subs, shapes):
        if "..." in s:
            k = len(shp) - (len(s) - 3)
            s = s.replace("...", ell[nell - k:] if k else "")
        new.append(s)
    if "->" in eq:
        out = out.replace("...", ell)
    else:
        counts = {}
        for s in new:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return ",".join(new) + "->" + out


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; differentiable."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    eq = _expand_ellipsis(eq, [o._data.shape for o in operands])
    if "->" not in eq:
        subs = eq.split(",")
        counts = {}
        for s in subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        eq = eq + "->" + "".join(sorted(c for c, n in counts.items() if n == 1))
    nsubs = len(eq.split("->")[0].split(","))
    if nsubs != len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the "
                           f"equation" if len(operands) > nsubs else
                           "einsum(): fewer operands were provided than specified in the equation")
    for s, o in zip(eq.split("->")[0].split(","), operands):
        if len(s) != o._data.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) "
                               f"does not match the number of dimensions ({o._data.ndim}) for "
                               f"operand {operands.index(o)} and no ellipsis was given")
    check_same_device("einsum", *operands)
    from .. import _dtype as T
    dt = T.result_type(*operands)
    ops = tuple(o if o._data.dtype == dt.np else o.to(dt) for o in operands)
    node = Einsum()
    try:
        r = apply(node, ops, eq, [o._data for o in ops])
    except ValueError as e:
        raise RuntimeError(f"einsum(): {e}") from None
    if r.grad_fn is node:
        node.save(*ops)
    return r


_ = xp_of
