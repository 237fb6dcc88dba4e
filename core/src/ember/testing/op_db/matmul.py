"""Op records for the matrix-product family (see :mod:`ember.testing.op_db`).

References are numpy float64 (``np.matmul``, ``np.einsum``, ``np.tensordot``, ``np.kron``,
``np.cross``) so they do not share code with ember's implementations.
"""

from __future__ import annotations

import numpy as np

from ..op_record import ErrorInput, OpRecord

_INT = np.array([[1, 2], [3, 4]])  # an int64 operand, for dtype-mismatch errors
_NAN_2x4 = np.full((2, 4), np.nan)


def _scaled(beta, c):
    """``beta * c``, except that beta = 0 ignores ``c`` (NaN included), as PyTorch does."""
    return beta * c if beta != 0 else np.zeros_like(c)


def _rec(name, op, ref, samples, **kw):
    return OpRecord(name, op, ref, samples, **kw)


def _einsum(eq, *shapes, ref=None):
    """One record per equation: ``einsum(eq)`` against ``np.einsum(eq)`` (or ``ref``)."""
    return _rec(f"einsum[{eq}]", lambda lib, *xs: lib.einsum(eq, *xs),
                ref or (lambda *xs: np.einsum(eq, *xs)), [tuple(shapes)])


def _einsum_list(eq, *shapes):
    """``einsum(eq, [a, b])``: operands given as one list."""
    return _rec(f"einsum_list[{eq}]", lambda lib, *xs: lib.einsum(eq, list(xs)),
                lambda *xs: np.einsum(eq, *xs), [tuple(shapes)])


# every combination of 1-D, 2-D and batched operands PyTorch's matmul defines
_MATMUL_SHAPES = [
    ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3,)),
    ((3,), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
    ((5, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (6, 3, 4)), ((2, 1, 2, 3), (1, 3, 3, 2)),
]

_ADD_ERR = ErrorInput(((3, 3), (2, 3), (3, 4)), RuntimeError,
                      r"input of shape \[3, 3\] must broadcast to the product's shape \[2, 4\]")

RECORDS: list[OpRecord] = [
    _rec("matmul", lambda lib, a, b: lib.matmul(a, b), np.matmul, _MATMUL_SHAPES,
         errors=[
             ErrorInput(((2, 3), (4, 5)), RuntimeError,
                        r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
             ErrorInput(((3,), (4, 5)), RuntimeError,
                        r"mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x5\)"),
             ErrorInput(((2, 3), (4,)), RuntimeError,
                        r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
             ErrorInput(((3,), (4,)), RuntimeError, r"inconsistent tensor size.*\[3\].*\[4\]"),
             ErrorInput(((2, 2, 3), (2, 4, 5)), RuntimeError,
                        r"mat1 and mat2 shapes cannot be multiplied \(2x2x3 and 2x4x5\)"),
             ErrorInput(((2, 2, 3), (3, 3, 4)), RuntimeError,
                        r"size of tensor a \(2\) must match the size of tensor b \(3\) at "
                        r"non-singleton dimension 0"),
             ErrorInput(((), (3,)), RuntimeError, "need to be at least 1D"),
             ErrorInput(((2, 2), _INT), RuntimeError,
                        "expected m1 and m2 to have the same dtype"),
         ]),
    _rec("matmul_operator", lambda lib, a, b: a @ b, np.matmul, [((2, 3), (3, 4)),
                                                                  ((4, 2, 3), (3,))]),
    _rec("mm", lambda lib, a, b: lib.mm(a, b), np.matmul, [((2, 3), (3, 4)), ((1, 5), (5, 1))],
         errors=[ErrorInput(((2, 3), (4, 5)), RuntimeError,
                            r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
                 ErrorInput(((3,), (3, 4)), RuntimeError, "self must be a matrix"),
                 ErrorInput(((2, 2), _INT), RuntimeError, "same dtype")]),
    _rec("bmm", lambda lib, a, b: a.bmm(b), np.matmul, [((4, 2, 3), (4, 3, 5))],
         errors=[ErrorInput(((2, 2, 3), (3, 3, 4)), RuntimeError,
                            r"batch2 tensor to be: \[2, 3\] but got: \[3, 3\]"),
                 ErrorInput(((2, 3), (2, 3, 4)), RuntimeError, "batch1 must be a 3D tensor")]),
    _rec("mv", lambda lib, a, v: lib.mv(a, v), np.matmul, [((2, 3), (3,))],
         errors=[ErrorInput(((2, 3), (4,)), RuntimeError,
                            r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)")]),
    _rec("dot", lambda lib, a, b: lib.dot(a, b), np.dot, [((5,), (5,))],
         errors=[ErrorInput(((3,), (4,)), RuntimeError,
                            r"expected tensor \[3\] and src \[4\].*3 and 4 elements"),
                 ErrorInput(((3, 1), (3,)), RuntimeError, "1D tensors expected, but got 2D "
                                                           "and 1D")]),
    _rec("vdot", lambda lib, a, b: a.vdot(b), np.vdot, [((4,), (4,))]),
    _rec("inner", lambda lib, a, b: lib.inner(a, b), np.inner,
         [((3,), (3,)), ((2, 3), (4, 3)), ((2, 3), (5, 4, 3)), ((3,), (2, 3)), ((), (2, 3))],
         errors=[ErrorInput(((2, 3), (4, 4)), RuntimeError,
                            r"last dimension must match.*\[2, 3\] and \[4, 4\]")]),
    _rec("outer", lambda lib, a, b: lib.outer(a, b), np.outer, [((3,), (4,))],
         errors=[ErrorInput(((2, 2), (3,)), RuntimeError, "Expected 1-D argument self")]),
    _rec("ger", lambda lib, a, b: a.ger(b), np.outer, [((2,), (5,))]),
    # ---------------------------------------------------------------- add* with alpha/beta
    _rec("addmm", lambda lib, c, a, b, beta, alpha: lib.addmm(c, a, b, beta=beta, alpha=alpha),
         lambda c, a, b, beta, alpha: beta * c + alpha * (a @ b),
         [((2, 4), (2, 3), (3, 4), 1, 1), ((2, 4), (2, 3), (3, 4), 0.5, 2.0),
          ((4,), (2, 3), (3, 4), -1.5, 0.25), ((1, 1), (2, 3), (3, 4), 2, 1)]),
    _rec("addmm_beta0_ignores_nan", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0, alpha=3),
         lambda c, a, b: 3 * (a @ b), [(_NAN_2x4, (2, 3), (3, 4))], nondiff_args=(0,)),
    _rec("addmv", lambda lib, c, m, v, beta, alpha: lib.addmv(c, m, v, beta=beta, alpha=alpha),
         lambda c, m, v, beta, alpha: _scaled(beta, c) + alpha * (m @ v),
         [((2,), (2, 3), (3,), 1, 1), ((2,), (2, 3), (3,), 0.5, -2.0),
          (np.full(2, np.nan), (2, 3), (3,), 0, 1.5)], nondiff_args=(0,)),
    _rec("addr", lambda lib, c, u, v, beta, alpha: c.addr(u, v, beta=beta, alpha=alpha),
         lambda c, u, v, beta, alpha: beta * c + alpha * np.outer(u, v),
         [((2, 3), (2,), (3,), 1, 1), ((2, 3), (2,), (3,), 2.0, 0.5)]),
    _rec("baddbmm", lambda lib, c, a, b, beta, alpha: lib.baddbmm(c, a, b, beta=beta,
                                                                 alpha=alpha),
         lambda c, a, b, beta, alpha: _scaled(beta, c) + alpha * (a @ b),
         [((3, 2, 4), (3, 2, 5), (3, 5, 4), 1, 1), ((2, 4), (3, 2, 5), (3, 5, 4), 0.5, 2.0),
          (np.full((3, 2, 4), np.nan), (3, 2, 5), (3, 5, 4), 0, 1)], nondiff_args=(0,)),
    _rec("addbmm", lambda lib, c, a, b, beta, alpha: lib.addbmm(c, a, b, beta=beta,
                                                               alpha=alpha),
         lambda c, a, b, beta, alpha: beta * c + alpha * (a @ b).sum(0),
         [((2, 4), (3, 2, 5), (3, 5, 4), 1, 1), ((2, 4), (3, 2, 5), (3, 5, 4), 0.25, -1.0)]),
    _rec("addmm_shape_error", lambda lib, c, a, b: lib.addmm(c, a, b), None, [],
         errors=[_ADD_ERR]),
    # ---------------------------------------------------------------- einsum
    _einsum("ij,jk->ik", (2, 3), (3, 4)),
    _einsum("ij,jk", (2, 3), (3, 4)),                  # implicit output
    _einsum("ba", (2, 3)),                             # implicit output: alphabetical = transpose
    _einsum("ii->i", (3, 3)),                          # diagonal
    _einsum("ii", (4, 4)),                             # trace
    _einsum("iij->j", (3, 3, 2)),
    _einsum("bii->bi", (2, 3, 3)),
    _einsum("bij,bjk->bik", (2, 3, 4), (2, 4, 5)),     # batched matmul
    _einsum("i,j->ij", (3,), (4,)),                    # outer product
    _einsum("i,i->", (5,), (5,)),                      # dot
    _einsum("ij->", (2, 3)),
    _einsum("ij->ji", (2, 3)),
    _einsum("ij,ij->ij", (2, 3), (2, 3)),              # Hadamard
    _einsum("...ij,...jk->...ik", (2, 3, 4), (4, 5)),  # ellipsis broadcast
    _einsum("...ij->...ji", (2, 3, 4)),
    _einsum("i...->...", (2, 3, 4)),
    # an output without "..." sums the ellipsis dims (numpy refuses this form)
    _einsum("b...,b...->b", (2, 3, 4), (2, 3, 4), ref=lambda a, b: (a * b).sum((1, 2))),
    _einsum("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),   # three operands
    _einsum("Ab,bC->AC", (2, 3), (3, 4)),              # capital letters
    _einsum_list("ij,jk", (2, 3), (3, 4)),
    _rec("einsum_errors", lambda lib, eq, *xs: lib.einsum(eq, *xs), None, [],
         errors=[ErrorInput(("ij,jk", (2, 3)), RuntimeError,
                            "fewer operands were provided than specified"),
                 ErrorInput(("ij", (2, 3), (3, 4)), RuntimeError,
                            "more operands were provided than specified"),
                 ErrorInput(("ijk", (2, 3)), RuntimeError,
                            r"number of subscripts in the equation \(3\) does not match the "
                            r"number of dimensions \(2\) for operand 0"),
                 ErrorInput(("ij,jk", (2, 3), (4, 5)), RuntimeError,
                            "subscript j has size 4 for operand 1 which does not broadcast "
                            "with previously seen size 3"),
                 ErrorInput(("ii", (2, 3)), RuntimeError,
                            "subscript i is repeated for operand 0 but the sizes don't match"),
                 ErrorInput(("ij->k", (2, 3)), RuntimeError,
                            "output subscript k does not appear"),
                 ErrorInput(("ij->ii", (2, 3)), RuntimeError,
                            "output subscript i appears more than once"),
                 ErrorInput(("i1", (2, 3)), RuntimeError, r"subscripts must be in \[a-zA-Z\]")]),
    # ---------------------------------------------------------------- tensordot & co
    _rec("tensordot_int", lambda lib, a, b, d: lib.tensordot(a, b, d),
         lambda a, b, d: np.tensordot(a, b, d),
         [((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4,), 0)],
         errors=[ErrorInput(((2, 3), (4, 5), 1), RuntimeError,
                            "contracted dimensions need to match, but first has size 3"),
                 ErrorInput(((2, 3), (3, 4), -1), RuntimeError, "dims >= 0")]),
    _rec("tensordot_lists", lambda lib, a, b, da, db: lib.tensordot(a, b, dims=(da, db)),
         lambda a, b, da, db: np.tensordot(a, b, (da, db)),
         [((2, 3, 4), (4, 3, 5), [1, 2], [1, 0]), ((2, 3), (2, 5), [0], [0]),
          ((2, 3, 4), (5, 4), [-1], [-1])],
         errors=[ErrorInput(((2, 3), (3, 2), [0, 1], [1]), RuntimeError,
                            "both dimension lists should have same length")]),
    _rec("kron", lambda lib, a, b: lib.kron(a, b), np.kron,
         [((2, 3), (4, 5)), ((2,), (3,)), ((2,), (3, 2)), ((2, 1, 2), (2, 3))]),
    _rec("cross", lambda lib, a, b, dim: lib.cross(a, b, dim=dim),
         lambda a, b, dim: np.cross(a, b, axis=dim),
         [((4, 3), (4, 3), 1), ((3, 5), (3, 5), 0), ((2, 4, 3), (1, 4, 3), -1),
          ((3,), (3,), 0)],
         errors=[ErrorInput(((4, 2), (4, 2), 1), RuntimeError,
                            "dimension 1 must have length 3. Got 2 and 2")]),
    _rec("cross_default_dim", lambda lib, a, b: a.cross(b), lambda a, b: np.cross(a, b, axis=0),
         [((3, 4), (3, 4))]),
    _rec("chain_matmul", lambda lib, *ms: lib.chain_matmul(*ms),
         lambda *ms: np.linalg.multi_dot(ms) if len(ms) > 1 else ms[0],
         [((2, 3), (3, 4), (4, 5)), ((2, 3),), ((3, 1), (1, 3))],
         errors=[ErrorInput((), RuntimeError, "Expected one or more matrices"),
                 ErrorInput(((2, 3), (3,)), RuntimeError, "position 1 must be 2D")]),
]

__all__ = ["RECORDS"]
