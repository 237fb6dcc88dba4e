"""``ember.nn.utils.spectral_norm``: the older hook-based spectral normalization.

``spectral_norm(module)`` moves ``weight`` to ``weight_orig``, adds power-iteration buffers
``weight_u``/``weight_v`` and recomputes ``module.weight = weight_orig / sigma`` in a forward
pre-hook. Prefer :func:`ember.nn.utils.parametrizations.spectral_norm`.
"""

from __future__ import annotations

from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.module import Module
from ..parameter import Parameter, UninitializedParameter

__all__ = ["SpectralNorm", "remove_spectral_norm", "spectral_norm"]


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_orig``."""

    _version = 1

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        mat = weight
        if self.dim != 0:
            mat = mat.permute(self.dim, *(d for d in range(mat.ndim) if d != self.dim))
        return mat.reshape(mat.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool):
        import ember
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    # in place, so replicas sharing the buffers see the update
                    v.copy_(F.normalize(ember.mv(weight_mat.t(), u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(ember.mv(weight_mat, v), dim=0, eps=self.eps))
            # clones: a second forward's in-place update must not break the first backward
            u = u.clone()
            v = v.clone()
        sigma = ember.dot(u, ember.mv(weight_mat, v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name,
                self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int,
              eps: float) -> SpectralNorm:
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "spectral normalization")
        with no_grad():
            weight_mat = fn.reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # a plain attribute (not a parameter/buffer), recomputed by the hook
        object.__setattr__(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def _is_conv_transpose(module) -> bool:
    from ..modules import conv
    kinds = tuple(getattr(conv, n) for n in ("ConvTranspose1d", "ConvTranspose2d",
                                             "ConvTranspose3d") if hasattr(conv, n))
    return isinstance(module, kinds)


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    r"""Apply (hook-based) spectral normalization: :math:`W_{SN} = W / \sigma(W)`.

    Moves the parameter to ``<name>_orig`` and adds buffers ``<name>_u``/``<name>_v``; before
    every forward, in training mode ``n_power_iterations`` power-iteration steps refine
    ``u``, ``v`` in place, then :math:`\sigma = u^T W v` with ``W`` the weight reshaped to a
    matrix (``dim`` first). In eval mode the stored vectors are used unchanged.

    Args:
        module (Module): module holding the parameter.
        name (str): parameter name. Default: ``"weight"``.
        n_power_iterations (int): power iterations per training forward. Default: ``1``.
        eps (float): epsilon of the vector normalizations. Default: ``1e-12``.
        dim (int, optional): the output dimension. Default: ``1`` for ``ConvTranspose*``,
            ``0`` otherwise.

    Returns:
        Module: ``module`` with the hook registered.

    Raises:
        RuntimeError: spectral norm already applied to ``name``.
        ValueError: ``n_power_iterations <= 0`` or the parameter is ``None``/uninitialized.

    Example:
        >>> import ember
        >>> m = ember.nn.utils.spectral_norm(ember.nn.Linear(20, 40))
        >>> sorted(m.state_dict())
        ['bias', 'weight_orig', 'weight_u', 'weight_v']
        >>> m.weight_u.shape
        ember.Size([40])
    """
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Remove the hook-based spectral normalization of ``name``, leaving a plain parameter
    with the current normalized value (no power iteration).

    Args:
        module (Module): the module.
        name (str): parameter name. Default: ``"weight"``.

    Returns:
        Module: ``module``.

    Raises:
        ValueError: no spectral norm on ``name``.

    Example:
        >>> import ember
        >>> m = ember.nn.utils.spectral_norm(ember.nn.Linear(2, 3))
        >>> sorted(ember.nn.utils.remove_spectral_norm(m).state_dict())
        ['bias', 'weight']
    """
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
