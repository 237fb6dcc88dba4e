"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Both are compositions of ember ops (batched ``matmul``, the fused ``softmax``, ``dropout``), so
autograd and double backward come for free. Boolean masks mean *True = take part in attention*
in ``scaled_dot_product_attention`` and *True = masked out* in ``multi_head_attention_forward``
(PyTorch's two conventions); float masks are added to the scores in both.
"""

from __future__ import annotations

import math
import warnings

from ... import _dtype as T
from ..._tensor import Tensor
from ...ops._join import cat
from ...ops.comparison import where
from ...ops.creation import ones, zeros, zeros_like
from ...ops.matmul import matmul
from ._dropout import dropout
from ._linear import linear
from ._padding import pad
from ._softmax import softmax

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_NEG_INF = float("-inf")


def _sdpa_bias(attn_mask, is_causal: bool, L: int, S: int, query):
    """The additive score bias (a float Tensor or None) built from ``attn_mask``/``is_causal``."""
    bias = None
    if attn_mask is not None:
        if attn_mask.dtype == T.bool:
            bias = zeros(attn_mask.shape, dtype=query.dtype, device=query.device)
            bias = bias.masked_fill(attn_mask.logical_not(), _NEG_INF)
        elif attn_mask.dtype.is_floating_point:
            bias = attn_mask
        else:
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                f"attn_mask.dtype: {attn_mask.dtype} and query.dtype: {query.dtype} instead.")
    if is_causal:
        keep = ones((L, S), dtype=T.bool, device=query.device).tril()
        causal = zeros((L, S), dtype=query.dtype, device=query.device)
        causal = causal.masked_fill(keep.logical_not(), _NEG_INF)
        bias = causal if bias is None else bias + causal
    return bias


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    r"""Attention :math:`\mathrm{softmax}(QK^T \cdot s + B)\,V` over the last two dimensions.

    :math:`s` is ``scale`` (default :math:`1/\sqrt{E}`), :math:`B` the additive bias: a bool
    ``attn_mask`` contributes :math:`-\infty` where it is ``False`` (True = attend), a float
    mask is added as is, ``is_causal`` masks the strict upper triangle (combined with any
    ``attn_mask``). Rows whose every score is :math:`-\infty` give zeros (not NaN), like
    PyTorch's math kernel. Dropout with probability ``dropout_p`` is applied to the weights.

    Args:
        query (Tensor): ``(N, ..., Hq, L, E)``.
        key (Tensor): ``(N, ..., H, S, E)``.
        value (Tensor): ``(N, ..., H, S, Ev)``.
        attn_mask (Tensor, optional): bool or float, broadcastable to ``(N, ..., Hq, L, S)``.
            Default: ``None``.
        dropout_p (float): dropout probability on the attention weights. Default: ``0.0``.
        is_causal (bool): apply a lower-triangular (causal) mask. Default: ``False``.
        scale (float, optional): score scale. Default: ``1/sqrt(E)``.
        enable_gqa (bool): grouped-query attention: ``key``/``value`` heads are each repeated
            ``Hq // H`` times along dim ``-3``. Default: ``False``.

    Shape:
        Output ``(N, ..., Hq, L, Ev)``.

    Raises:
        RuntimeError: query, key and value of different dtypes; an integer ``attn_mask``;
            ``enable_gqa`` with a head count that does not divide the query's; masks that do
            not broadcast.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> q = ember.ones(1, 2, 3, 4)
        >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
        ember.Size([1, 2, 3, 4])
    """
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError("scaled_dot_product_attention: expected query, key and value to be "
                           f"at least 2-D, but got {query.dim()}-D, {key.dim()}-D and "
                           f"{value.dim()}-D tensors")
    L, S = query.shape[-2], key.shape[-2]
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    if enable_gqa and query.dim() >= 3 and key.dim() >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk != 0 or hq % hv != 0:
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               f"heads in query, but got {hk}, {hv} and {hq}")
        key = _repeat_heads(key, hq // hk)
        value = _repeat_heads(value, hq // hv)
    scores = matmul(query, key.transpose(-2, -1)) * s
    bias = _sdpa_bias(attn_mask, is_causal, L, S, query)
    if bias is not None:
        scores = scores + bias
    if bias is None:
        weights = softmax(scores, dim=-1)
    else:
        # NOTE: a row masked everywhere is all -inf → softmax NaN; PyTorch's math kernel
        # ("safe softmax") returns zeros there instead. Such rows are zeroed before the softmax
        # too, so their gradient is 0 rather than NaN.
        dead = (scores == _NEG_INF).all(-1, keepdim=True)
        weights = where(dead, 0.0, softmax(where(dead, 0.0, scores), dim=-1))
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return matmul(weights, value)


def _repeat_heads(x, rep: int):
    """``x.repeat_interleave(rep, dim=-3)`` as a broadcast view + reshape."""
    if rep == 1:
        return x
    shape = tuple(x.shape)
    big = x.unsqueeze(-3).expand(*shape[:-2], rep, *shape[-2:])
    return big.reshape(*shape[:-3], shape[-3] * rep, *shape[-2:])


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's input-rank checks; returns whether the input is batched."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be "
                                 f"3-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to "
                                 f"be `None` or 1-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor "
                                     "instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _canonical_mask(mask, name, other_dtype, other_name, target_dtype, check_other=True):
    """Bool masks → float masks with -inf where True; float masks pass through."""
    if mask is None:
        return None
    if mask.dtype != T.bool and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if check_other and other_dtype is not None and mask.dtype != other_dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same "
                      "type for both instead.", UserWarning, stacklevel=4)
    if mask.dtype == T.bool:
        return zeros_like(mask, dtype=target_dtype).masked_fill(mask, _NEG_INF)
    return mask


def _in_projection(query, key, value, w, b, use_separate, wq, wk, wv):
    if not use_separate:
        if w is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        wq, wk, wv = w.chunk(3)
    else:
        for n, t in (("q", wq), ("k", wk), ("v", wv)):
            if t is None:
                raise AssertionError(f"use_separate_proj_weight is True but {n}_proj_weight "
                                     "is None")
    bq = bk = bv = None
    if b is not None:
        bq, bk, bv = b.chunk(3)
    return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v,
                                 add_zero_attn: bool, dropout_p: float, out_proj_weight,
                                 out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False):
    r"""Functional form of :class:`ember.nn.MultiheadAttention` (sequence-first layout).

    :math:`\mathrm{MHA}(Q,K,V) = \mathrm{Concat}(h_1..h_H) W_o^T + b_o` with
    :math:`h_i = \mathrm{softmax}(Q_i K_i^T/\sqrt{d} + M) V_i` on the in-projected inputs.
    Bool masks are True = *ignore*; ``key_padding_mask`` is merged (added) into ``attn_mask``.

    Args:
        query, key, value (Tensor): ``(L, N, E)``, ``(S, N, kdim)``, ``(S, N, vdim)`` (or
            unbatched without ``N``).
        embed_dim_to_check (int): expected ``E``. num_heads (int): number of heads.
        in_proj_weight, in_proj_bias: packed ``(3E, E)`` / ``(3E,)`` projections.
        bias_k, bias_v: ``(1, 1, E)`` biases appended to the key/value sequence, or ``None``.
        add_zero_attn (bool): append a zero key/value. dropout_p (float): weights dropout.
        out_proj_weight, out_proj_bias: output projection.
        training (bool): dropout on when True. Default: ``True``.
        key_padding_mask (Tensor, optional): ``(N, S)``. Default: ``None``.
        need_weights (bool): also return the attention weights. Default: ``True``.
        attn_mask (Tensor, optional): ``(L, S)`` or ``(N*H, L, S)``. Default: ``None``.
        use_separate_proj_weight (bool): use ``q/k/v_proj_weight``. Default: ``False``.
        static_k, static_v: precomputed ``(N*H, S, E/H)`` keys/values. Default: ``None``.
        average_attn_weights (bool): average the returned weights over heads. Default: True.
        is_causal (bool): hint that ``attn_mask`` is causal (requires ``attn_mask``).

    Shape:
        Returns ``(L, N, E)`` and weights ``(N, L, S)`` (or ``(N, H, L, S)`` unaveraged).

    Raises:
        AssertionError: wrong ranks/shapes (PyTorch's messages). RuntimeError: bad mask shapes,
            ``is_causal`` without ``attn_mask``.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> x = ember.ones(3, 1, 4)
        >>> w = ember.ones(12, 4)
        >>> out, wts = F.multi_head_attention_forward(x, x, x, 4, 2, w, None, None, None,
        ...     False, 0.0, ember.ones(4, 4), None)
        >>> out.shape, wts.shape
        (ember.Size([3, 1, 4]), ember.Size([1, 3, 3]))
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       None if attn_mask is None else attn_mask.dtype,
                                       "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias,
                             use_separate_proj_weight, q_proj_weight, k_proj_weight,
                             v_proj_weight)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            want = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != want:
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {want}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz, num_heads, head_dim, "k")
    v = _heads(v, static_v, bsz, num_heads, head_dim, "v")
    if add_zero_attn:
        z = zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k = cat([k, z], dim=1)
        v = cat([v, z.to(v.dtype)], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        scores = matmul(q * math.sqrt(1.0 / float(head_dim)), k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = matmul(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not is_batched:
        out = out.squeeze(1)
    return out, None


def _heads(x, static, bsz, num_heads, head_dim, name):
    """``(S, N, E)`` → ``(N*H, S, E/H)``, or the checked ``static_k``/``static_v``."""
    if static is None:
        return x.reshape(x.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.shape[0] != bsz * num_heads:
        raise AssertionError(f"expecting static_{name}.size(0) of {bsz * num_heads}, but got "
                             f"{static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting static_{name}.size(2) of {head_dim}, but got "
                             f"{static.shape[2]}")
    return static
