"""Cache locations: ``$EMBER_HOME`` and the hub / dataset directories under it (private)."""

from __future__ import annotations

import os

__all__ = ["get_home", "get_hub_dir", "set_hub_dir", "get_data_root"]

_hub_dir = None  # set by ember.hub.set_dir for this process


def get_home() -> str:
    """``$EMBER_HOME``, else ``$XDG_CACHE_HOME/ember``, else ``~/.cache/ember``."""
    home = os.environ.get("EMBER_HOME")
    if home:
        return os.path.expanduser(home)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return os.path.expanduser(os.path.join(cache, "ember"))


def get_hub_dir() -> str:
    """The hub directory: the ``set_hub_dir`` value, else ``get_home()/hub``."""
    return _hub_dir if _hub_dir is not None else os.path.join(get_home(), "hub")


def set_hub_dir(d) -> None:
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def get_data_root() -> str:
    """Default root of registered datasets: ``$EMBER_DATA``, else ``get_home()/datasets``."""
    root = os.environ.get("EMBER_DATA")
    return os.path.expanduser(root) if root else os.path.join(get_home(), "datasets")
