"""Feature extraction by forward hooks: return intermediate module outputs by name.

torchvision traces the model with torch.fx and can return any graph node (functions such as
``add`` or ``flatten`` too). ember has no tracer: the nodes here are the qualified names of the
model's submodules (``"layer1"``, ``"layer2.0.conv1"``), captured with forward hooks during an
ordinary forward pass. A module called several times in one pass (ResNet's shared ``relu``)
yields its first call under its name and its k-th later call under ``name_k``, as torch.fx
names them.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from ember import nn

__all__ = ["create_feature_extractor", "get_graph_node_names"]

_CALL_SUFFIX = re.compile(r"^(.*)_(\d+)$")


def get_graph_node_names(model: nn.Module, tracer_kwargs=None, suppress_diff_warning: bool = False,
                         concrete_args=None) -> tuple[list[str], list[str]]:
    """The node names usable in :func:`create_feature_extractor`, for train and eval mode.

    Returns every submodule's qualified name (registration order); both lists are equal since
    hooks see the same modules in both modes.

    Example:
        >>> m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        >>> get_graph_node_names(m)
        (['0', '1'], ['0', '1'])
    """
    names = [name for name, _ in model.named_modules() if name]
    return list(names), list(names)


def _normalize(return_nodes) -> dict[str, str]:
    if return_nodes is None:
        return {}
    if isinstance(return_nodes, dict):
        return {str(k): str(v) for k, v in return_nodes.items()}
    if isinstance(return_nodes, (list, tuple)):
        return {str(k): str(k) for k in return_nodes}
    raise TypeError(f"create_feature_extractor(): return_nodes must be a list or a dict, got "
                    f"{type(return_nodes).__name__}")


def _resolve(model: nn.Module, nodes: dict[str, str]) -> dict[str, tuple[str, int]]:
    """Node name -> (module name, call index)."""
    modules = dict(model.named_modules())
    out = {}
    for node in nodes:
        if node in modules and node:
            out[node] = (node, 0)
            continue
        m = _CALL_SUFFIX.match(node)
        if m and m.group(1) in modules:
            out[node] = (m.group(1), int(m.group(2)))
            continue
        valid = [n for n in modules if n]
        raise ValueError(f"node: '{node}' is not present in model. Hint: use "
                         f"get_graph_node_names to see the valid names (e.g. {valid[:8]})")
    return out


class FeatureExtractor(nn.Module):
    """The model, returning ``OrderedDict(output name -> captured output)`` instead of its
    usual output. Shares parameters (and ``state_dict`` keys) with the wrapped model."""

    def __init__(self, model: nn.Module, train_nodes: dict[str, str],
                 eval_nodes: dict[str, str]) -> None:
        super().__init__()
        object.__setattr__(self, "_model", model)
        for name, child in model.named_children():
            self.add_module(name, child)
        for name, p in model.named_parameters(recurse=False):
            self.register_parameter(name, p)
        for name, b in model.named_buffers(recurse=False):
            self.register_buffer(name, b, persistent=name not in model._non_persistent_buffers_set)
        self.train_return_nodes = train_nodes
        self.eval_return_nodes = eval_nodes
        self._train_plan = _resolve(model, train_nodes)
        self._eval_plan = _resolve(model, eval_nodes)
        self.train(model.training)

    def forward(self, *args, **kwargs):
        nodes = self.train_return_nodes if self.training else self.eval_return_nodes
        plan = self._train_plan if self.training else self._eval_plan
        model = self._model
        model.training = self.training  # NOTE: the root's flag is not reached by train()/eval()
        wanted: dict[str, dict[int, str]] = {}
        for node, (mod, k) in plan.items():
            wanted.setdefault(mod, {})[k] = node
        captured: dict[str, object] = {}
        handles = []
        modules = dict(model.named_modules())
        for mod_name, calls in wanted.items():
            counter = [0]

            def hook(module, inputs, output, calls=calls, counter=counter):
                node = calls.get(counter[0])
                if node is not None:
                    captured[node] = output
                counter[0] += 1

            handles.append(modules[mod_name].register_forward_hook(hook))
        try:
            model(*args, **kwargs)
        finally:
            for h in handles:
                h.remove()
        missing = [n for n in nodes if n not in captured]
        if missing:
            raise RuntimeError(f"create_feature_extractor: nodes {missing} were not executed in "
                               "this forward pass")
        return OrderedDict((nodes[n], captured[n]) for n in nodes)


def create_feature_extractor(model: nn.Module, return_nodes=None, train_return_nodes=None,
                             eval_return_nodes=None, tracer_kwargs=None,
                             suppress_diff_warning: bool = False,
                             concrete_args=None) -> FeatureExtractor:
    """Wrap ``model`` so that calling it returns the outputs of the named submodules.

    Args:
        model (nn.Module): the model (shared, not copied).
        return_nodes (list[str] | dict[str, str] | None): node names (see
            :func:`get_graph_node_names`), or a dict node -> output key.
        train_return_nodes, eval_return_nodes: per-mode alternatives to ``return_nodes``
            (give both, and not ``return_nodes``).
        tracer_kwargs, suppress_diff_warning, concrete_args: accepted for signature
            compatibility; unused (no tracing).

    Raises:
        ValueError: for missing or contradictory node arguments and unknown node names.

    Example:
        >>> import ember
        >>> m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> out = create_feature_extractor(m, {"1": "hidden"})(ember.zeros(5, 3))
        >>> list(out), out["hidden"].shape
        (['hidden'], ember.Size([5, 4]))
    """
    if return_nodes is None and (train_return_nodes is None) != (eval_return_nodes is None):
        raise ValueError("If any of train_return_nodes and eval_return_nodes are specified, "
                         "then both should be specified")
    if return_nodes is not None and (train_return_nodes is not None
                                     or eval_return_nodes is not None):
        raise ValueError("If train_return_nodes and eval_return_nodes are specified, then both "
                         "should be specified, and return_nodes should not be")
    if return_nodes is None and train_return_nodes is None:
        raise ValueError("Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` "
                         "together, should be specified")
    if return_nodes is not None:
        train_return_nodes = eval_return_nodes = return_nodes
    return FeatureExtractor(model, _normalize(train_return_nodes), _normalize(eval_return_nodes))
