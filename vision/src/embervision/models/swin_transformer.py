"""Swin Transformer T/S/B (Liu et al. 2021) and Swin Transformer V2 T/S/B (Liu et al. 2022)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

import ember
from ember import nn
from ember.nn import functional as F

from ..ops.misc import MLP, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from ._utils import _load_weights, _ovewrite_named_param
from .vision_transformer import _rename_old_mlp_keys

__all__ = ["SwinTransformer", "Swin_T_Weights", "Swin_S_Weights", "Swin_B_Weights",
           "Swin_V2_T_Weights", "Swin_V2_S_Weights", "Swin_V2_B_Weights", "swin_t", "swin_s",
           "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"]


def _patch_merging_pad(x):
    h, w = x.shape[-3], x.shape[-2]
    x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
    return ember.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :],
                      x[..., 1::2, 1::2, :]], -1)


class PatchMerging(nn.Module):
    """Concatenate each 2x2 neighbourhood (4C), LayerNorm, project to 2C."""

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm) -> None:
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x):
        return self.reduction(self.norm(_patch_merging_pad(x)))


class PatchMergingV2(nn.Module):
    """Swin V2 patch merging: project to 2C first, then LayerNorm."""

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm) -> None:
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x):
        return self.norm(self.reduction(_patch_merging_pad(x)))


def _shift_mask(pad_h: int, pad_w: int, window_size: list[int], shift_size: list[int]):
    """(num_windows, N, N) additive mask: -100 between tokens of different shifted regions."""
    mask = np.zeros((pad_h, pad_w), dtype=np.float32)
    count = 0
    for h in ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None)):
        for w in ((0, -window_size[1]), (-window_size[1], -shift_size[1]),
                  (-shift_size[1], None)):
            mask[h[0]:h[1], w[0]:w[1]] = count
            count += 1
    num_windows = (pad_h // window_size[0]) * (pad_w // window_size[1])
    mask = mask.reshape(pad_h // window_size[0], window_size[0], pad_w // window_size[1],
                        window_size[1]).transpose(0, 2, 1, 3)
    mask = mask.reshape(num_windows, window_size[0] * window_size[1])
    diff = mask[:, None, :] - mask[:, :, None]
    return np.where(diff != 0, np.float32(-100.0), np.float32(0.0))


def shifted_window_attention(input, qkv_weight, proj_weight, relative_position_bias,
                             window_size: list[int], num_heads: int, shift_size: list[int],
                             attention_dropout: float = 0.0, dropout: float = 0.0,
                             qkv_bias=None, proj_bias=None, logit_scale=None,
                             training: bool = True):
    """Multi-head self-attention inside (shifted) non-overlapping windows.

    The (B, H, W, C) input is padded to whole windows, rolled by ``-shift_size``, split into
    windows of ``window_size`` tokens, attended within each window (plus the relative position
    bias; a -100 mask separates regions that the roll made adjacent), and put back.
    With ``logit_scale`` (Swin V2) attention is cosine similarity times ``exp(min(scale, log
    100))``, and the key bias is zeroed.

    Args:
        input (Tensor): (B, H, W, C).
        qkv_weight, proj_weight (Tensor): (3C, C) and (C, C).
        relative_position_bias (Tensor): (1, heads, N, N) with N = window area.
        window_size, shift_size (list[int]): two entries each.
        num_heads (int): heads (divides C).
        attention_dropout, dropout (float): Default: 0.0.
        qkv_bias, proj_bias, logit_scale (Tensor | None): Default: None.
        training (bool): Default: True.

    Shape:
        (B, H, W, C) -> (B, H, W, C).
    """
    b, h, w, c = input.shape
    pad_r = (window_size[1] - w % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - h % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_h, pad_w, _ = x.shape
    shift_size = list(shift_size)
    if window_size[0] >= pad_h:
        shift_size[0] = 0
    if window_size[1] >= pad_w:
        shift_size[1] = 0
    shifted = sum(shift_size) > 0
    if shifted:
        x = ember.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    nh, nw = pad_h // window_size[0], pad_w // window_size[1]
    num_windows = nh * nw
    area = window_size[0] * window_size[1]
    x = x.reshape(b, nh, window_size[0], nw, window_size[1], c).permute(0, 1, 3, 2, 4, 5)
    x = x.reshape(b * num_windows, area, c)
    if logit_scale is not None and qkv_bias is not None:
        length = qkv_bias.numel() // 3
        keep = ember.ones(3 * length, dtype=qkv_bias.dtype, device=qkv_bias.device)
        keep[length:2 * length] = 0.0
        qkv_bias = qkv_bias * keep
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.shape[0], area, 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * ember.clamp(logit_scale, max=math.log(100.0)).exp()
    else:
        q = q * (c // num_heads) ** -0.5
        attn = q.matmul(k.transpose(-2, -1))
    attn = attn + relative_position_bias
    if shifted:
        mask = _shift_mask(pad_h, pad_w, window_size, shift_size)
        mask = ember.as_tensor(mask.astype(np.dtype(str(attn.dtype).replace("ember.", ""))),
                               device=attn.device)
        attn = attn.reshape(x.shape[0] // num_windows, num_windows, num_heads, area, area)
        attn = (attn + mask.unsqueeze(1).unsqueeze(0)).reshape(-1, num_heads, area, area)
    attn = F.softmax(attn, dim=-1)
    attn = F.dropout(attn, p=attention_dropout, training=training)
    x = attn.matmul(v).transpose(1, 2).reshape(x.shape[0], area, c)
    x = F.linear(x, proj_weight, proj_bias)
    x = F.dropout(x, p=dropout, training=training)
    x = x.reshape(b, nh, nw, window_size[0], window_size[1], c).permute(0, 1, 3, 2, 4, 5)
    x = x.reshape(b, pad_h, pad_w, c)
    if shifted:
        x = ember.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :h, :w, :].contiguous()


def _relative_position_index(window_size: list[int]):
    coords = np.stack(np.meshgrid(np.arange(window_size[0]), np.arange(window_size[1]),
                                  indexing="ij")).reshape(2, -1)
    rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0)
    rel[:, :, 0] += window_size[0] - 1
    rel[:, :, 1] += window_size[1] - 1
    rel[:, :, 0] *= 2 * window_size[1] - 1
    return ember.as_tensor(rel.sum(-1).reshape(-1).astype(np.int64))


class ShiftedWindowAttention(nn.Module):
    """Window attention with a learned relative position bias table (Swin V1)."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self) -> None:
        ws = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            ember.zeros((2 * ws[0] - 1) * (2 * ws[1] - 1), self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self) -> None:
        self.register_buffer("relative_position_index", _relative_position_index(self.window_size))

    def _bias_from_table(self, table):
        n = self.window_size[0] * self.window_size[1]
        bias = table[self.relative_position_index].reshape(n, n, -1)
        return bias.permute(2, 0, 1).contiguous().unsqueeze(0)

    def get_relative_position_bias(self):
        return self._bias_from_table(self.relative_position_bias_table)

    def forward(self, x):
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """Swin V2 window attention: cosine attention with a learned per-head logit scale and a
    continuous position bias from a small MLP over log-spaced relative coordinates."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0) -> None:
        super().__init__(dim, window_size, shift_size, num_heads, qkv_bias=qkv_bias,
                         proj_bias=proj_bias, attention_dropout=attention_dropout,
                         dropout=dropout)
        self.logit_scale = nn.Parameter(ember.log(10 * ember.ones(num_heads, 1, 1)))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True),
                                     nn.Linear(512, num_heads, bias=False))
        if qkv_bias:
            length = self.qkv.bias.numel() // 3
            with ember.no_grad():
                self.qkv.bias[length:2 * length] = 0.0

    def define_relative_position_bias_table(self) -> None:
        ws = self.window_size
        h = np.arange(-(ws[0] - 1), ws[0], dtype=np.float32)
        w = np.arange(-(ws[1] - 1), ws[1], dtype=np.float32)
        table = np.stack(np.meshgrid(h, w, indexing="ij")).transpose(1, 2, 0)[None].copy()
        table[:, :, :, 0] /= ws[0] - 1
        table[:, :, :, 1] /= ws[1] - 1
        table *= 8  # NOTE: normalise to [-8, 8], then log-space as in the paper
        table = np.sign(table) * np.log2(np.abs(table) + 1.0) / 3.0
        self.register_buffer("relative_coords_table", ember.as_tensor(table.astype(np.float32)))

    def get_relative_position_bias(self):
        table = self.cpb_mlp(self.relative_coords_table).reshape(-1, self.num_heads)
        return 16 * ember.sigmoid(self._bias_from_table(table))

    def forward(self, x):
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, logit_scale=self.logit_scale,
            training=self.training)


class SwinTransformerBlock(nn.Module):
    """Pre-norm Swin block: ``x + sd(attn(norm1(x)))``, ``x + sd(mlp(norm2(x)))``."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int], shift_size: list[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttention) -> None:
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads,
                               attention_dropout=attention_dropout, dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None,
                       dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        _rename_old_mlp_keys(state_dict, prefix + "mlp.")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, x):
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """Res-post-norm Swin V2 block: ``x + sd(norm1(attn(x)))``, ``x + sd(norm2(mlp(x)))``."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int], shift_size: list[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttentionV2) -> None:
        super().__init__(dim, num_heads, window_size, shift_size, mlp_ratio=mlp_ratio,
                         dropout=dropout, attention_dropout=attention_dropout,
                         stochastic_depth_prob=stochastic_depth_prob, norm_layer=norm_layer,
                         attn_layer=attn_layer)

    def forward(self, x):
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


class SwinTransformer(nn.Module):
    """Swin Transformer: patch embedding, stages of (shifted) window blocks with patch merging,
    LayerNorm, global average pool, linear head.

    Args:
        patch_size (list[int]), embed_dim (int), depths (list[int]), num_heads (list[int]),
        window_size (list[int]): the architecture.
        mlp_ratio (float): Default: 4.0. dropout, attention_dropout (float): Default: 0.0.
        stochastic_depth_prob (float): Default: 0.1.
        num_classes (int): Default: 1000.
        norm_layer (callable | None): Default: ``LayerNorm(eps=1e-5)``.
        block (callable | None): Default: ``SwinTransformerBlock``.
        downsample_layer (callable): Default: ``PatchMerging``.

    Shape:
        (N, 3, H, W) -> (N, num_classes).
    """

    def __init__(self, patch_size: list[int], embed_dim: int, depths: list[int],
                 num_heads: list[int], window_size: list[int], mlp_ratio: float = 4.0,
                 dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.1, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 block: Callable[..., nn.Module] | None = None,
                 downsample_layer: Callable[..., nn.Module] = PatchMerging) -> None:
        super().__init__()
        self.num_classes = num_classes
        block = SwinTransformerBlock if block is None else block
        norm_layer = partial(nn.LayerNorm, eps=1e-5) if norm_layer is None else norm_layer
        layers: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=(patch_size[0], patch_size[1]),
                      stride=(patch_size[0], patch_size[1])),
            Permute([0, 2, 3, 1]), norm_layer(embed_dim))]
        total = sum(depths)
        block_id = 0
        for i_stage, depth in enumerate(depths):
            stage: list[nn.Module] = []
            dim = embed_dim * 2 ** i_stage
            for i_layer in range(depth):
                sd_prob = stochastic_depth_prob * float(block_id) / (total - 1)
                stage.append(block(dim, num_heads[i_stage], window_size=window_size,
                                   shift_size=[0 if i_layer % 2 == 0 else w // 2
                                               for w in window_size],
                                   mlp_ratio=mlp_ratio, dropout=dropout,
                                   attention_dropout=attention_dropout,
                                   stochastic_depth_prob=sd_prob, norm_layer=norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)
        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.permute(self.norm(self.features(x)))
        return self.head(self.flatten(self.avgpool(x)))


def _swin_transformer(patch_size: list[int], embed_dim: int, depths: list[int],
                      num_heads: list[int], window_size: list[int],
                      stochastic_depth_prob: float, weights, progress: bool,
                      **kwargs: Any) -> SwinTransformer:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = SwinTransformer(patch_size=patch_size, embed_dim=embed_dim, depths=depths,
                            num_heads=num_heads, window_size=window_size,
                            stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


class Swin_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("Swin_T_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class Swin_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("Swin_S_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class Swin_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("Swin_B_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class Swin_V2_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("Swin_V2_T_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class Swin_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("Swin_V2_S_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class Swin_V2_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("Swin_V2_B_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


@register_model(weights=Swin_T_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: Swin_T_Weights.IMAGENET1K_V1))
def swin_t(*, weights: Swin_T_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    """Swin-T (embed 96, depths [2,2,6,2], heads [3,6,12,24], window 7).

    Args:
        weights (Swin_T_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`SwinTransformer`.
    """
    return _swin_transformer([4, 4], 96, [2, 2, 6, 2], [3, 6, 12, 24], [7, 7], 0.2,
                             Swin_T_Weights.verify(weights), progress, **kwargs)


@register_model(weights=Swin_S_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: Swin_S_Weights.IMAGENET1K_V1))
def swin_s(*, weights: Swin_S_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    """Swin-S (embed 96, depths [2,2,18,2], heads [3,6,12,24], window 7).

    Args:
        weights (Swin_S_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`SwinTransformer`.
    """
    return _swin_transformer([4, 4], 96, [2, 2, 18, 2], [3, 6, 12, 24], [7, 7], 0.3,
                             Swin_S_Weights.verify(weights), progress, **kwargs)


@register_model(weights=Swin_B_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: Swin_B_Weights.IMAGENET1K_V1))
def swin_b(*, weights: Swin_B_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    """Swin-B (embed 128, depths [2,2,18,2], heads [4,8,16,32], window 7).

    Args:
        weights (Swin_B_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`SwinTransformer`.
    """
    return _swin_transformer([4, 4], 128, [2, 2, 18, 2], [4, 8, 16, 32], [7, 7], 0.5,
                             Swin_B_Weights.verify(weights), progress, **kwargs)


@register_model(weights=Swin_V2_T_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: Swin_V2_T_Weights.IMAGENET1K_V1))
def swin_v2_t(*, weights: Swin_V2_T_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    """Swin-V2 T (embed 96, depths [2,2,6,2], heads [3,6,12,24], window 8).

    Args:
        weights (Swin_V2_T_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`SwinTransformer`.
    """
    kwargs.setdefault("block", SwinTransformerBlockV2)
    kwargs.setdefault("downsample_layer", PatchMergingV2)
    return _swin_transformer([4, 4], 96, [2, 2, 6, 2], [3, 6, 12, 24], [8, 8], 0.2,
                             Swin_V2_T_Weights.verify(weights), progress, **kwargs)


@register_model(weights=Swin_V2_S_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: Swin_V2_S_Weights.IMAGENET1K_V1))
def swin_v2_s(*, weights: Swin_V2_S_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    """Swin-V2 S (embed 96, depths [2,2,18,2], heads [3,6,12,24], window 8).

    Args:
        weights (Swin_V2_S_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`SwinTransformer`.
    """
    kwargs.setdefault("block", SwinTransformerBlockV2)
    kwargs.setdefault("downsample_layer", PatchMergingV2)
    return _swin_transformer([4, 4], 96, [2, 2, 18, 2], [3, 6, 12, 24], [8, 8], 0.3,
                             Swin_V2_S_Weights.verify(weights), progress, **kwargs)


@register_model(weights=Swin_V2_B_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: Swin_V2_B_Weights.IMAGENET1K_V1))
def swin_v2_b(*, weights: Swin_V2_B_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    """Swin-V2 B (embed 128, depths [2,2,18,2], heads [4,8,16,32], window 8).

    Args:
        weights (Swin_V2_B_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`SwinTransformer`.
    """
    kwargs.setdefault("block", SwinTransformerBlockV2)
    kwargs.setdefault("downsample_layer", PatchMergingV2)
    return _swin_transformer([4, 4], 128, [2, 2, 18, 2], [4, 8, 16, 32], [8, 8], 0.5,
                             Swin_V2_B_Weights.verify(weights), progress, **kwargs)
