"""embervision: torchvision's API on ember — datasets, transforms, models, ops, io, utils.

``import ember as torch, embervision as torchvision`` runs torchvision code::

    >>> import embervision as torchvision
    >>> torchvision.models.resnet18().fc.out_features
    1000
"""

from . import (  # noqa: F401  (subpackages, as torchvision exposes them)
    datasets,
    feature_extraction,
    io,
    models,
    ops,
    transforms,
    tv_tensors,
    utils,
)

__version__ = "0.1.0"

__all__ = ["__version__", "datasets", "feature_extraction", "io", "models", "ops", "transforms",
           "tv_tensors", "utils"]
