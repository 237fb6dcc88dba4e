"""``MultiheadAttention`` (and the ``NonDynamicallyQuantizableLinear`` it projects out with)."""

from __future__ import annotations

from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..functional._attention import _canonical_mask
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """A plain ``Linear`` (PyTorch's marker subclass for the attention output projection)."""


class MultiheadAttention(Module):
    r"""Multi-head attention :math:`\mathrm{Concat}(h_1,\dots,h_H)W^O`,
    :math:`h_i = \mathrm{softmax}(QW_i^Q (KW_i^K)^T/\sqrt{d_h} + M)\,VW_i^V`.

    Parameters (PyTorch's names and init): ``in_proj_weight`` ``(3E, E)`` (xavier_uniform_)
    when ``kdim == vdim == embed_dim``, else ``q_proj_weight`` ``(E, E)``, ``k_proj_weight``
    ``(E, kdim)``, ``v_proj_weight`` ``(E, vdim)``; ``in_proj_bias`` ``(3E,)`` zeros;
    ``out_proj`` a Linear with zero bias; ``bias_k``/``bias_v`` ``(1, 1, E)`` (xavier_normal_)
    with ``add_bias_kv``.

    Args:
        embed_dim (int): model width ``E``. num_heads (int): heads (must divide ``E``).
        dropout (float): dropout on the attention weights. Default: ``0.0``.
        bias (bool): in/out projection biases. Default: ``True``.
        add_bias_kv (bool): append learnt ``bias_k``/``bias_v`` to key/value. Default: False.
        add_zero_attn (bool): append a zero key/value. Default: ``False``.
        kdim, vdim (int, optional): key/value widths. Default: ``embed_dim``.
        batch_first (bool): inputs are ``(N, L, E)``. Default: ``False`` (``(L, N, E)``).
        device, dtype: of the parameters.

    Shape:
        query ``(L, N, E)``, key ``(S, N, kdim)``, value ``(S, N, vdim)`` → output
        ``(L, N, E)`` and weights ``(N, L, S)`` (``(N, H, L, S)`` unaveraged).

    Raises:
        AssertionError: ``embed_dim must be divisible by num_heads``.

    Example:
        >>> import ember
        >>> mha = ember.nn.MultiheadAttention(8, 2)
        >>> x = ember.randn(5, 3, 8)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (ember.Size([5, 3, 8]), ember.Size([3, 5, 5]))
    """

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **factory_kwargs))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **factory_kwargs))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **factory_kwargs))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **factory_kwargs))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **factory_kwargs))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        **factory_kwargs)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **factory_kwargs))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **factory_kwargs))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's init (see the class docstring)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        """Attention of ``query`` over ``key``/``value``; returns ``(output, weights or None)``.

        Bool masks are True = *not allowed to attend*; float masks are added to the scores.
        ``key_padding_mask`` ``(N, S)`` and ``attn_mask`` ``(L, S)`` or ``(N*H, L, S)`` are
        merged; a dtype mismatch between them warns (deprecated, as in PyTorch).
        """
        is_batched = query.dim() == 3
        key_padding_mask = _canonical_mask(
            key_padding_mask, "key_padding_mask",
            None if attn_mask is None else attn_mask.dtype, "attn_mask", query.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if self.batch_first and is_batched:
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and is_batched:
            return out.transpose(1, 0), weights
        return out, weights
