"""ember-geometric: the `torch_geometric` API for ember (skeleton)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
