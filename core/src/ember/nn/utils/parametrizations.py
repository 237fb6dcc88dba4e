"""``ember.nn.utils.parametrizations``: ``orthogonal``, ``weight_norm``, ``spectral_norm``.

Each registers a parametrization module with :func:`~ember.nn.utils.parametrize.
register_parametrization`, so state dict keys are PyTorch's
(``parametrizations.weight.original``, ``original0``/``original1`` for weight norm,
``parametrizations.weight.0._u``/``_v`` for spectral norm).
"""

from __future__ import annotations

from ... import _tensor as _t
from ... import linalg
from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.module import Module
from . import parametrize
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

_ORTH_MAPS = ("matrix_exp", "cayley", "householder")


def _eye_like(x):
    import ember
    n, k = x.shape[-2], x.shape[-1]
    return ember.eye(n, k, dtype=x.dtype, device=x.device).expand(*x.shape)


def _is_orthogonal(q) -> bool:
    import ember
    n, k = q.shape[-2], q.shape[-1]
    eye = ember.eye(k, dtype=q.dtype, device=q.device)
    eps = 10.0 * n * ember.finfo(q.dtype).eps
    return bool(ember.allclose(q.mH @ q, eye.expand(*q.mH.shape[:-2], k, k), atol=eps))


def _make_orthogonal(a):
    """The Q of a QR decomposition with ``R``'s diagonal made positive (unique)."""
    q, r = linalg.qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _householder_product(a, tau):
    """``H_0 H_1 ... H_{k-1}`` (first ``k`` columns), ``H_i = I - tau_i v_i v_i^H``."""
    import ember
    n, k = a.shape[-2], a.shape[-1]
    v = a.tril(-1) + _eye_like(a)
    q = ember.eye(n, dtype=a.dtype, device=a.device).expand(*a.shape[:-2], n, n)
    for i in range(k):  # one rank-1 update per column (k is a matrix size, not a batch)
        vi = v[..., :, i:i + 1]
        q = q - (q @ vi) * tau[..., i:i + 1].unsqueeze(-1) @ vi.mH
    return q[..., :k]


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == "householder":
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        import ember
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:
                pad = X.new_zeros(n, n - k).expand(*X.shape[:-2], n, n - k)
                X = ember.cat([X, pad], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == "matrix_exp":
                Q = ember.matrix_exp(A)
            else:
                eye = ember.eye(n, dtype=A.dtype, device=A.device)
                Q = linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if getattr(self, "base", None) is not None:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        import ember
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.shape[-2], Q.shape[-1]
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map in ("matrix_exp", "cayley"):
                raise NotImplementedError("It is not possible to assign to the matrix "
                                          "exponential or the Cayley parametrizations when "
                                          "use_trivialization=False.")
            # householder without trivialization: A = the QR reflectors; not implemented here
            raise NotImplementedError("Assigning to the householder parametrization with "
                                      "use_trivialization=False is not supported in ember.")
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            N = ember.randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
            Q = _make_orthogonal(ember.cat([Q, N], dim=-1))
        self.base = Q
        neg_id = ember.zeros_like(Q_init)
        neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_id


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    r"""Apply an orthogonal (or unitary) parametrization to a matrix or batch of matrices.

    The parametrized tensor :math:`Q \in \mathbb{R}^{m \times n}` satisfies
    :math:`Q^H Q = I_n` if :math:`m \ge n` and :math:`Q Q^H = I_m` otherwise. The maps:
    ``"matrix_exp"`` (:math:`Q = \exp(A)`, :math:`A = X - X^H` skew-symmetric, from the lower
    triangle of the original), ``"cayley"`` (:math:`Q = (I - A/2)^{-1}(I + A/2)`) and
    ``"householder"`` (a product of Householder reflectors). With ``use_trivialization``
    (default) the value is ``base @ map(original)``, where ``base`` is the orthogonal matrix
    set on registration/assignment and the original starts as ``-I`` (so the map is ``I``).
    A non-orthogonal initial weight is replaced by the Q of its QR decomposition.

    Args:
        module (Module): module holding the tensor.
        name (str): tensor name. Default: ``"weight"``.
        orthogonal_map (str, optional): ``"matrix_exp"``, ``"cayley"`` or ``"householder"``.
            Default: ``"matrix_exp"`` for square or complex matrices, ``"householder"``
            otherwise.
        use_trivialization (bool): use the dynamic-trivialization ``base``. Default: ``True``.

    Returns:
        Module: ``module`` with the parametrization registered.

    Raises:
        ValueError: no such tensor, fewer than 2 dimensions, or an unknown map.

    Example:
        >>> import ember
        >>> from ember.nn.utils.parametrizations import orthogonal
        >>> m = orthogonal(ember.nn.Linear(4, 4))
        >>> w = m.weight
        >>> bool(ember.allclose(w.T @ w, ember.eye(4), atol=1e-5))
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, _t.Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. Got a tensor of "
                         f"{weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    if orthogonal_map not in _ORTH_MAPS:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    r"""Apply weight normalization: :math:`w = g \frac{v}{\|v\|}`.

    The tensor is split into a magnitude ``g`` (``parametrizations.weight.original0``, the
    2-norm of ``v`` over every dim except ``dim``, keeping that dim) and a direction ``v``
    (``original1``). ``dim=None`` (or ``-1``) uses one norm over the whole tensor.

    Args:
        module (Module): module holding the tensor.
        name (str): tensor name. Default: ``"weight"``.
        dim (int, optional): the dimension kept by the norm. Default: ``0``.

    Returns:
        Module: ``module`` with the parametrization registered.

    Example:
        >>> import ember
        >>> from ember.nn.utils.parametrizations import weight_norm
        >>> m = weight_norm(ember.nn.Linear(20, 40), name="weight")
        >>> m.parametrizations.weight.original0.shape, m.parametrizations.weight.original1.shape
        (ember.Size([40, 1]), ember.Size([40, 20]))
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            perm = (self.dim, *(d for d in range(weight.ndim) if d != self.dim))
            weight = weight.permute(*perm)
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations: int) -> None:
        import ember
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(ember.mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(ember.mv(weight_mat.mH, self._u), dim=0,
                                          eps=self.eps))

    def forward(self, weight):
        import ember
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = ember.vdot(u, ember.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def _is_conv_transpose(module) -> bool:
    from ..modules import conv
    kinds = tuple(getattr(conv, n) for n in ("ConvTranspose1d", "ConvTranspose2d",
                                             "ConvTranspose3d") if hasattr(conv, n))
    return isinstance(module, kinds)


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    r"""Apply spectral normalization: :math:`W_{SN} = W / \sigma(W)`.

    :math:`\sigma(W)` is the largest singular value of the weight reshaped to a matrix (dim
    ``dim`` first, the rest flattened), estimated by power iteration with vectors ``_u`` and
    ``_v`` (buffers of ``parametrizations.weight[0]``, refined by ``n_power_iterations``
    steps at each access in training mode only; 15 steps on registration):
    :math:`\sigma \approx u^H W v`. A 1-D tensor is simply divided by its 2-norm.

    Args:
        module (Module): module holding the tensor.
        name (str): tensor name. Default: ``"weight"``.
        n_power_iterations (int): power iterations per access in training. Default: ``1``.
        eps (float): epsilon of the vector normalizations. Default: ``1e-12``.
        dim (int, optional): the output dimension. Default: ``1`` for ``ConvTranspose*``,
            ``0`` otherwise.

    Returns:
        Module: ``module`` with the parametrization registered.

    Raises:
        ValueError: no such tensor, or ``n_power_iterations <= 0``.
        IndexError: ``dim`` out of range.

    Example:
        >>> import ember
        >>> from ember.nn.utils.parametrizations import spectral_norm
        >>> m = spectral_norm(ember.nn.Linear(20, 40))
        >>> print(*m.state_dict(), sep="\n")
        bias
        parametrizations.weight.original
        parametrizations.weight.0._u
        parametrizations.weight.0._v
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, _t.Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
