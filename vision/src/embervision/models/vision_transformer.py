"""Vision Transformer B/16, B/32, L/16, L/32, H/14 (Dosovitskiy et al. 2020)."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

import ember
from ember import nn

from ..ops.misc import MLP
from ._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from ._utils import _load_weights, _ovewrite_named_param

__all__ = ["VisionTransformer", "ViT_B_16_Weights", "ViT_B_32_Weights", "ViT_L_16_Weights",
           "ViT_L_32_Weights", "ViT_H_14_Weights", "vit_b_16", "vit_b_32", "vit_l_16",
           "vit_l_32", "vit_h_14"]

_LAYER_NORM_1E6 = partial(nn.LayerNorm, eps=1e-6)


def _rename_old_mlp_keys(state_dict, prefix: str) -> None:
    # NOTE: files saved before the MLP refactor name the two linears linear_1/linear_2; they are
    # children 0 and 3 of the MLP Sequential now.
    for old, new in (("linear_1", "0"), ("linear_2", "3")):
        for kind in ("weight", "bias"):
            key = f"{prefix}{old}.{kind}"
            if key in state_dict:
                state_dict[f"{prefix}{new}.{kind}"] = state_dict.pop(key)


class MLPBlock(MLP):
    """Transformer MLP: Linear, GELU, Dropout, Linear, Dropout."""

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float) -> None:
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None,
                         dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        _rename_old_mlp_keys(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class EncoderBlock(nn.Module):
    """Pre-norm transformer layer: ``x + attn(ln_1(x))`` then ``+ mlp(ln_2(.))``."""

    def __init__(self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float,
                 attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM_1E6) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input):
        if input.dim() != 3:
            raise ValueError(f"EncoderBlock: expected (batch_size, seq_length, hidden_dim) got "
                             f"{tuple(input.shape)}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Learned position embedding, ``num_layers`` EncoderBlocks, final LayerNorm."""

    def __init__(self, seq_length: int, num_layers: int, num_heads: int, hidden_dim: int,
                 mlp_dim: int, dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM_1E6) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        for i in range(num_layers):
            layers[f"encoder_layer_{i}"] = EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                        attention_dropout, norm_layer)
        self.layers = nn.Sequential(layers)
        self.ln = norm_layer(hidden_dim)

    def forward(self, input):
        if input.dim() != 3:
            raise ValueError(f"Encoder: expected (batch_size, seq_length, hidden_dim) got "
                             f"{tuple(input.shape)}")
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """ViT: patchify conv, class token, transformer encoder, linear head on the class token.

    Args:
        image_size (int): square input size (a multiple of ``patch_size``).
        patch_size (int), num_layers (int), num_heads (int), hidden_dim (int), mlp_dim (int).
        dropout (float): Default: 0.0. attention_dropout (float): Default: 0.0.
        num_classes (int): Default: 1000.
        representation_size (int | None): adds a tanh pre-logits layer. Default: None.
        norm_layer (callable): Default: ``LayerNorm(eps=1e-6)``.

    Raises:
        ValueError: when ``image_size`` is not a multiple of ``patch_size``, or (forward) when
            the input is not ``image_size`` square.

    Shape:
        (N, 3, image_size, image_size) -> (N, num_classes).
    """

    def __init__(self, image_size: int, patch_size: int, num_layers: int, num_heads: int,
                 hidden_dim: int, mlp_dim: int, dropout: float = 0.0,
                 attention_dropout: float = 0.0, num_classes: int = 1000,
                 representation_size: int | None = None,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM_1E6,
                 conv_stem_configs=None) -> None:
        super().__init__()
        if image_size % patch_size != 0:
            raise ValueError(f"Input shape indivisible by patch size! (image_size={image_size}, "
                             f"patch_size={patch_size})")
        if conv_stem_configs is not None:
            raise NotImplementedError("VisionTransformer: conv_stem_configs is not supported")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer
        self.conv_proj = nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size)
        seq_length = (image_size // patch_size) ** 2
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        seq_length += 1
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout, norm_layer)
        self.seq_length = seq_length
        heads: OrderedDict[str, nn.Module] = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)
        fan_in = self.conv_proj.in_channels * patch_size * patch_size
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        if representation_size is not None:
            fan_in = self.heads.pre_logits.in_features
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.heads.pre_logits.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x):
        n, _, h, w = x.shape
        p = self.patch_size
        if h != self.image_size or w != self.image_size:
            raise ValueError(f"VisionTransformer: wrong image size, expected "
                             f"{self.image_size}x{self.image_size} but got {h}x{w}")
        x = self.conv_proj(x)
        return x.reshape(n, self.hidden_dim, (h // p) * (w // p)).permute(0, 2, 1)

    def forward(self, x):
        x = self._process_input(x)
        n = x.shape[0]
        x = ember.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        x = self.encoder(x)
        return self.heads(x[:, 0])


def _vision_transformer(patch_size: int, num_layers: int, num_heads: int, hidden_dim: int,
                        mlp_dim: int, weights, progress: bool,
                        **kwargs: Any) -> VisionTransformer:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
        _ovewrite_named_param(kwargs, "image_size", weights.meta["min_size"][0])
    image_size = kwargs.pop("image_size", 224)
    model = VisionTransformer(image_size=image_size, patch_size=patch_size,
                              num_layers=num_layers, num_heads=num_heads, hidden_dim=hidden_dim,
                              mlp_dim=mlp_dim, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


class ViT_B_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ViT_B_16_Weights", "IMAGENET1K_V1")
    IMAGENET1K_SWAG_E2E_V1 = weights_from_meta("ViT_B_16_Weights", "IMAGENET1K_SWAG_E2E_V1")
    IMAGENET1K_SWAG_LINEAR_V1 = weights_from_meta("ViT_B_16_Weights", "IMAGENET1K_SWAG_LINEAR_V1")
    DEFAULT = IMAGENET1K_V1


class ViT_B_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ViT_B_32_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class ViT_L_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ViT_L_16_Weights", "IMAGENET1K_V1")
    IMAGENET1K_SWAG_E2E_V1 = weights_from_meta("ViT_L_16_Weights", "IMAGENET1K_SWAG_E2E_V1")
    IMAGENET1K_SWAG_LINEAR_V1 = weights_from_meta("ViT_L_16_Weights", "IMAGENET1K_SWAG_LINEAR_V1")
    DEFAULT = IMAGENET1K_V1


class ViT_L_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ViT_L_32_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class ViT_H_14_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = weights_from_meta("ViT_H_14_Weights", "IMAGENET1K_SWAG_E2E_V1")
    IMAGENET1K_SWAG_LINEAR_V1 = weights_from_meta("ViT_H_14_Weights", "IMAGENET1K_SWAG_LINEAR_V1")
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


@register_model(weights=ViT_B_16_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: ViT_B_16_Weights.IMAGENET1K_V1))
def vit_b_16(*, weights: ViT_B_16_Weights | None = None, progress: bool = True,
            **kwargs: Any) -> VisionTransformer:
    """ViT-B/16 (patch 16, 12 layers, 12 heads, width 768, MLP 3072).

    Args:
        weights (ViT_B_16_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VisionTransformer` (``image_size`` default 224).
    """
    return _vision_transformer(16, 12, 12, 768, 3072, ViT_B_16_Weights.verify(weights), progress,
                               **kwargs)


@register_model(weights=ViT_B_32_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: ViT_B_32_Weights.IMAGENET1K_V1))
def vit_b_32(*, weights: ViT_B_32_Weights | None = None, progress: bool = True,
            **kwargs: Any) -> VisionTransformer:
    """ViT-B/32 (patch 32, 12 layers, 12 heads, width 768, MLP 3072).

    Args:
        weights (ViT_B_32_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VisionTransformer` (``image_size`` default 224).
    """
    return _vision_transformer(32, 12, 12, 768, 3072, ViT_B_32_Weights.verify(weights), progress,
                               **kwargs)


@register_model(weights=ViT_L_16_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: ViT_L_16_Weights.IMAGENET1K_V1))
def vit_l_16(*, weights: ViT_L_16_Weights | None = None, progress: bool = True,
            **kwargs: Any) -> VisionTransformer:
    """ViT-L/16 (patch 16, 24 layers, 16 heads, width 1024, MLP 4096).

    Args:
        weights (ViT_L_16_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VisionTransformer` (``image_size`` default 224).
    """
    return _vision_transformer(16, 24, 16, 1024, 4096, ViT_L_16_Weights.verify(weights), progress,
                               **kwargs)


@register_model(weights=ViT_L_32_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: ViT_L_32_Weights.IMAGENET1K_V1))
def vit_l_32(*, weights: ViT_L_32_Weights | None = None, progress: bool = True,
            **kwargs: Any) -> VisionTransformer:
    """ViT-L/32 (patch 32, 24 layers, 16 heads, width 1024, MLP 4096).

    Args:
        weights (ViT_L_32_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VisionTransformer` (``image_size`` default 224).
    """
    return _vision_transformer(32, 24, 16, 1024, 4096, ViT_L_32_Weights.verify(weights), progress,
                               **kwargs)


@register_model(weights=ViT_H_14_Weights)
def vit_h_14(*, weights: ViT_H_14_Weights | None = None, progress: bool = True,
            **kwargs: Any) -> VisionTransformer:
    """ViT-H/14 (patch 14, 32 layers, 16 heads, width 1280, MLP 5120).

    Args:
        weights (ViT_H_14_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VisionTransformer` (``image_size`` default 224).
    """
    return _vision_transformer(14, 32, 16, 1280, 5120, ViT_H_14_Weights.verify(weights), progress,
                               **kwargs)
