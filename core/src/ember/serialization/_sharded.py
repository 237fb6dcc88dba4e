"""Hugging Face sharded checkpoints: an ``*.index.json`` naming the shard of every tensor.

The index is ``{"metadata": {...}, "weight_map": {tensor name: shard file name}}``, shard
files sitting beside it (``model-00001-of-00002.safetensors`` or ``pytorch_model-….bin``).
Each shard is loaded once and the named tensors are merged into one dict, in index order.
"""

from __future__ import annotations

import json
import os

from ._unpickler import CorruptCheckpointError


def load_sharded(index_path, load_one) -> dict:
    """Merge the shards listed by the index at ``index_path``; ``load_one(path)`` loads one.

    Raises:
        CorruptCheckpointError: invalid JSON, no ``weight_map``, a shard outside the index's
            directory, or a shard missing a tensor the index assigns to it.
        FileNotFoundError: a missing shard (named in the message).
    """
    where = repr(os.fspath(index_path))
    try:
        with open(index_path, encoding="utf-8") as f:
            index = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CorruptCheckpointError(f"{where}: not a checkpoint or sharded index ({e})") from e
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items()):
        raise CorruptCheckpointError(f"{where}: a sharded index needs a 'weight_map' of tensor "
                                     "names to shard files")
    root = os.path.dirname(os.path.abspath(os.fspath(index_path)))
    shards: dict[str, dict] = {}
    out = {}
    for name, shard in weight_map.items():
        if shard not in shards:
            path = os.path.normpath(os.path.join(root, shard))
            if os.path.dirname(path) != root:
                raise CorruptCheckpointError(f"{where}: shard {shard!r} is not a file beside the "
                                             "index")
            if not os.path.exists(path):
                raise FileNotFoundError(f"{where}: shard {shard!r} is missing (expected at "
                                        f"{path})")
            loaded = load_one(path)
            if not isinstance(loaded, dict):
                raise CorruptCheckpointError(f"{where}: shard {shard!r} is not a state dict")
            shards[shard] = loaded
        if name not in shards[shard]:
            raise CorruptCheckpointError(f"{where}: shard {shard!r} has no tensor {name!r}")
        out[name] = shards[shard][name]
    return out
