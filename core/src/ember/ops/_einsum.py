"""``einsum``: Einstein summation, validated like PyTorch, differentiable to any order.

The forward is one ``xp.einsum`` call (BLAS-backed through ``optimize``); the gradient of each
operand is another einsum of the output gradient with the other operands, so double backward
comes free.  Repeated letters (diagonals) are scattered back through identity matrices.
"""

from __future__ import annotations

import string

from .._tensor import Tensor
from ..autograd.node import Node
from ._dispatch import apply, check_same_device

__all__ = ["einsum"]


class Einsum(Node):
    def forward(self, xp, eq, arrays):
        self.eq = eq
        # NOTE: optimize lets numpy route contractions through BLAS (tensordot)
        return xp.einsum(eq, *arrays, optimize=len(arrays) > 1)

    def backward(self, gy):
        ins, out = self.eq.split("->")
        subs = ins.split(",")
        ops = self.saved
        grads = []
        for i, _s in enumerate(subs):
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
    shape = dict(zip(s, ops[i].shape, strict=False))
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


def _parse_einsum(equation, shapes):
    """Validate ``equation`` against operand ``shapes``; return (input subscripts, output,
    size of every letter).  Ellipses become fresh letters, right-aligned as in broadcasting;
    without ``->`` the output is the ellipsis then the letters used once, in ASCII order."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        which = "more" if len(shapes) > len(subs) else "fewer"
        raise RuntimeError(f"einsum(): {which} operands were provided than specified in the "
                           f"equation ({len(subs)} in {equation!r}, got {len(shapes)})")
    for i, c in enumerate(eq):
        if not (c.isascii() and c.isalpha()) and c not in ",.->":
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
    free = iter(c for c in string.ascii_letters if c not in eq)
    nell = 0
    for n, (sb, shp) in enumerate(zip(subs, shapes, strict=False)):
        if sb.count("...") > 1 or sb.replace("...", "").count(".") or (
                "..." not in sb and "." in sb):
            raise RuntimeError(f"einsum(): found '.' for operand {n} that is not part of any "
                               "ellipsis")
        k = len(sb.replace("...", ""))
        if ("..." in sb and k > len(shp)) or ("..." not in sb and k != len(shp)):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({k}) does "
                               f"not match the number of dimensions ({len(shp)}) for operand {n}"
                               + (" and no ellipsis was given" if "..." not in sb else ""))
        if "..." in sb:
            nell = max(nell, len(shp) - k)
    ell = "".join(next(free) for _ in range(nell))
    new = []
    for sb, shp in zip(subs, shapes, strict=False):
        if "..." in sb:
            k = len(shp) - len(sb.replace("...", ""))
            sb = sb.replace("...", ell[nell - k:])
        new.append(sb)
    if arrow:
        # an output without "..." sums the ellipsis dims away (as PyTorch does)
        rhs = rhs.replace("...", ell)
        for c in rhs:
            if c not in lhs.replace("...", "") and c not in ell:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
            if rhs.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
        out = rhs
    else:
        letters = "".join(new)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                   and c not in ell))
    sizes = {}
    for n, (sb, shp) in enumerate(zip(new, shapes, strict=False)):
        mine = {}
        for c, size in zip(sb, shp, strict=False):
            if c in mine and mine[c] != size:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {n} but the "
                                   f"sizes don't match, {size} != {mine[c]}")
            mine[c] = size
        for c, size in mine.items():
            seen = sizes.get(c)
            if seen is None or seen == 1:
                sizes[c] = size
            elif size != seen and size != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {size} for operand {n} "
                                   f"which does not broadcast with previously seen size {seen}")
    return new, out, sizes


def einsum(equation, *operands):
    """Einstein summation: ``einsum("bij,bjk->bik", a, b)``; differentiable.

    Letters index dims; letters absent from the output are summed; a letter repeated in one
    operand takes its diagonal (``"ii->i"``, trace ``"ii"``); ``...`` stands for broadcast
    dims; without ``->`` the output is the letters used once, in alphabetical order.  Size-1
    dims broadcast against the same letter elsewhere, as in PyTorch.

    Args:
        equation: the subscripts, e.g. ``"ij,jk->ik"``.
        operands: tensors (or one list of tensors), one per comma-separated term.

    Raises:
        RuntimeError: operand count or dims that do not match the equation, inconsistent
            sizes for a letter, bad output subscripts.

    Example:
        >>> import ember
        >>> ember.einsum("ii", ember.eye(3))
        tensor(3.)
        >>> ember.einsum("i,j->ij", ember.ones(2), ember.ones(3)).shape
        ember.Size([2, 3])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for o in operands:
        if not isinstance(o, Tensor):
            raise TypeError(f"einsum(): operands must be Tensors, got {type(o).__name__}")
    subs, out, sizes = _parse_einsum(equation, [o._data.shape for o in operands])
    check_same_device("einsum", *operands)
    from .. import _dtype as T
    dt = T.result_type(*operands) if operands else T.get_default_dtype()
    ops = []
    for sb, o in zip(subs, operands, strict=False):
        if o._data.dtype != dt.np:
            o = o.to(dt)
        want = tuple(sizes[c] for c in sb)
        if tuple(o._data.shape) != want:  # size-1 dims broadcast (differentiably)
            o = o.expand(want)
        ops.append(o)
    eq = ",".join(subs) + "->" + out
    node = Einsum()
    r = apply(node, tuple(ops), eq, [o._data for o in ops])
    if r.grad_fn is node:
        node.save(*ops)
    return r
