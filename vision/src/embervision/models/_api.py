"""Pretrained-weight descriptions (``Weights``/``WeightsEnum``) and the model registry.

Every builder is registered under its function name in ``BUILTIN_MODELS`` (a plain dict) with
its weights enum in ``_MODEL_WEIGHTS``. Weight files load through
``ember.hub.load_state_dict_from_url(..., check_hash=True)``: the hex digits after the last
``-`` in the file name are the first digits of the file's sha256.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from types import ModuleType
from typing import Any

from . import _meta
from ._weights_meta import WEIGHTS

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models", "register_model"]

_CATEGORIES = {"imagenet": _meta._IMAGENET_CATEGORIES, "coco": _meta._COCO_CATEGORIES,
               "voc": _meta._VOC_CATEGORIES}


@dataclass(eq=True, frozen=True)
class Weights:
    """One published weight file: where it lives, how to preprocess inputs, and its metadata.

    Args:
        url (str): download URL.
        transforms (callable): builds the preprocessing preset (call it with no arguments).
        meta (dict): ``categories``, ``num_params``, ``min_size``, ``recipe``, ``_metrics``, ...
    """

    url: str
    transforms: Callable
    meta: dict[str, Any] = field(hash=False, compare=False)


def _preset(name: str, **kwargs):
    # NOTE: imported at call time: the presets use embervision.transforms, which models must not
    # need merely to be built.
    from ..transforms import _presets
    return getattr(_presets, name)(**kwargs)


def weights_from_meta(enum_name: str, member: str) -> Weights:
    """The ``Weights`` of ``enum_name.member`` from the recorded facts in ``_weights_meta``."""
    entry = WEIGHTS[enum_name][member]
    meta = dict(entry["meta"])
    if "categories" in meta and meta["categories"] is not None:
        meta["categories"] = list(_CATEGORIES[meta["categories"]])
    tr = dict(entry["transforms"])
    return Weights(url=entry["url"], transforms=functools.partial(_preset, tr.pop("name"), **tr),
                   meta=meta)


class WeightsEnum(Enum):
    """Base of the per-model weight enums (``ResNet50_Weights.IMAGENET1K_V2`` ...).

    Example:
        >>> from embervision.models import ResNet18_Weights
        >>> ResNet18_Weights.verify("IMAGENET1K_V1") is ResNet18_Weights.IMAGENET1K_V1
        True
    """

    @classmethod
    def verify(cls, obj):
        """Turn ``obj`` (None, a member, ``"NAME"`` or ``"Enum.NAME"``) into a member of ``cls``.

        Raises:
            ValueError: for an unknown member name.
            TypeError: for a member of another enum or an object of another type.
        """
        if obj is None:
            return None
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            if name not in cls.__members__:
                raise ValueError(f"Unknown weights '{obj}' for {cls.__name__}; choose one of "
                                 f"{sorted(cls.__members__)}")
            return cls[name]
        if not isinstance(obj, cls):
            raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                            f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args: Any, **kwargs: Any):
        """Download (or read from the hub cache) and return this weight file's state_dict.

        Keyword arguments go to ``ember.hub.load_state_dict_from_url`` (``progress``,
        ``check_hash``, ``model_dir``, ``map_location``, ``file_name``).
        """
        from ember import hub  # NOTE: lazy, the hub is only needed when weights are requested
        return hub.load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> dict[str, Any]:
        return self.value.meta


BUILTIN_MODELS: dict[str, Callable] = {}
_MODEL_WEIGHTS: dict[str, type[WeightsEnum]] = {}


def register_model(name: str | None = None, weights: type[WeightsEnum] | None = None):
    """Decorator: record a builder in ``BUILTIN_MODELS`` under ``name`` (default: its name).

    Raises:
        ValueError: when the name is already taken.
    """
    def wrapper(fn: Callable) -> Callable:
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        if weights is not None:
            _MODEL_WEIGHTS[key] = weights
        return fn
    return wrapper


def list_models(module: ModuleType | None = None, include=None, exclude=None) -> list[str]:
    """Sorted names of the registered builders, optionally only those defined in ``module``.

    ``include``/``exclude`` are fnmatch patterns (a string or a list of them).

    Example:
        >>> import embervision.models as M
        >>> "resnet18" in M.list_models()
        True
    """
    import fnmatch
    models = {k for k, v in BUILTIN_MODELS.items()
              if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__
              or v.__module__ == module.__name__}
    if include:
        pats = [include] if isinstance(include, str) else include
        models = {m for m in models if any(fnmatch.fnmatch(m, p) for p in pats)}
    if exclude:
        pats = [exclude] if isinstance(exclude, str) else exclude
        models = {m for m in models if not any(fnmatch.fnmatch(m, p) for p in pats)}
    return sorted(models)


def get_model_builder(name: str) -> Callable:
    """The builder function registered as ``name``.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
    """
    name = name.lower()
    if name not in BUILTIN_MODELS:
        raise ValueError(f"Unknown model {name}; valid names: {sorted(BUILTIN_MODELS)}")
    return BUILTIN_MODELS[name]


def get_model(name: str, **config: Any):
    """Build the model registered as ``name`` with builder keyword arguments ``config``.

    Example:
        >>> m = get_model("alexnet", num_classes=10)
        >>> m.classifier[-1].out_features
        10
    """
    return get_model_builder(name)(**config)


def get_model_weights(name) -> type[WeightsEnum]:
    """The weights enum of a model given by name or builder function.

    Raises:
        ValueError: for an unknown model.
    """
    key = name if isinstance(name, str) else name.__name__
    get_model_builder(key)
    if key not in _MODEL_WEIGHTS:
        raise ValueError(f"The model {key} has no weights enum")
    return _MODEL_WEIGHTS[key]


def get_weight(name: str) -> WeightsEnum:
    """The weights member called ``"EnumName.MEMBER"`` (e.g. ``"ResNet50_Weights.IMAGENET1K_V2"``).

    Raises:
        ValueError: when the name is not of that form or names no registered enum/member.

    Example:
        >>> get_weight("ResNet18_Weights.IMAGENET1K_V1").meta["num_params"]
        11689512
    """
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    for enum in set(_MODEL_WEIGHTS.values()):
        if enum.__name__ == enum_name:
            return enum.verify(value_name)
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                     f"retrieved.")


def handle_legacy_interface(**mapping: tuple[str, Callable[[dict], Any]]):
    """Decorator: accept the deprecated ``pretrained=True`` style keywords of old builders.

    ``mapping`` maps a new keyword (``weights``) to (old keyword, function of the call's keyword
    arguments returning the member to use when the old keyword is True).
    """
    def outer(builder: Callable) -> Callable:
        @functools.wraps(builder)
        def inner(*args: Any, **kwargs: Any):
            for new, (old, default) in mapping.items():
                if old not in kwargs:
                    continue
                if new in kwargs and kwargs[new] is not None:
                    raise ValueError(f"{builder.__name__}(): pass only one of '{old}' (deprecated) "
                                     f"and '{new}'")
                used = kwargs.pop(old)
                value = default(kwargs) if used else None
                warnings.warn(f"The parameter '{old}' is deprecated, please use '{new}' instead "
                              f"(equivalent: {new}={value!r}).", UserWarning, stacklevel=2)
                kwargs[new] = value
            return builder(*args, **kwargs)
        return inner
    return outer
