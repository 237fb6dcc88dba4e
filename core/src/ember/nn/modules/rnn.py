"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and the single-step ``RNNCell``,
``LSTMCell``, ``GRUCell``."""

from __future__ import annotations

import math
import numbers
import warnings

from ...ops.creation import empty, zeros
from .. import init
from ..functional._rnn import cell_step, rnn_packed
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _legacy(dtype) -> str:
    """PyTorch's legacy scalar-type name (``Float``) used in its RNN messages."""
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}
    name = str(dtype).rsplit(".", 1)[-1]
    return names.get(name, name)


def _shape_str(t) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


class RNNBase(Module):
    r"""Base class of :class:`RNN`, :class:`LSTM` and :class:`GRU` (PyTorch's parameters,
    options and checks).

    Parameters per layer ``k`` and direction (suffix ``_reverse`` for the backward one):
    ``weight_ih_l{k}`` ``(G*hidden, in)``, ``weight_hh_l{k}`` ``(G*hidden, h_out)``,
    ``bias_ih_l{k}``/``bias_hh_l{k}`` ``(G*hidden,)`` and, for an LSTM with ``proj_size``,
    ``weight_hr_l{k}`` ``(proj_size, hidden)``; ``G`` = 4 (LSTM), 3 (GRU), 1 (RNN), ``in`` =
    ``input_size`` for layer 0 else ``num_directions * h_out``. All are initialised from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    Raises:
        ValueError: bad ``dropout``, ``hidden_size``, ``num_layers`` or ``proj_size``.
    """

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]
    _name = "RNN"

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        gate_size = _GATES[mode] * hidden_size
        h_out = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_in = input_size if layer == 0 else h_out * num_directions
                sfx = "_reverse" if direction == 1 else ""
                params = [("weight_ih", (gate_size, layer_in)), ("weight_hh", (gate_size, h_out))]
                if bias:
                    params += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    params.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in params:
                    name = f"{base}_l{layer}{sfx}"
                    setattr(self, name, Parameter(empty(shape, **factory_kwargs)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """No-op (there is no cuDNN weight buffer to compact)."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """Parameters grouped per layer and direction."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def _layer_weights(self) -> list:
        out = []
        for names in self._all_weights:
            d = {n.split("_l")[0]: getattr(self, n) for n in names}
            out.append((d["weight_ih"], d["weight_hh"], d.get("bias_ih"), d.get("bias_hh"),
                        d.get("weight_hr")))
        return out

    def _expected_hidden(self, batch: int, cell: bool = False) -> tuple:
        num_directions = 2 if self.bidirectional else 1
        size = self.hidden_size if (cell or self.proj_size == 0) else self.proj_size
        return (self.num_layers * num_directions, batch, size)

    @staticmethod
    def _check_hidden(hx, expected: tuple, msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, _shape_str(hx)))

    def _run(self, input, hx_in: tuple | None, msgs: tuple):
        """Shared forward: validation, unbatched/batch_first/packed handling."""
        is_lstm = self.mode == "LSTM"
        n_states = 2 if is_lstm else 1
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes_t, sorted_idx, unsorted_idx = input
            batch_sizes = [int(v) for v in batch_sizes_t.cpu().numpy()]
            batch = batch_sizes[0] if batch_sizes else 0
            batched = True
            if data.dim() != 2:
                raise ValueError(f"{self._name}: Expected packed input data to be 2D, got "
                                 f"{data.dim()}D tensor instead")
        else:
            sorted_idx = unsorted_idx = None
            if input.dim() not in (2, 3):
                raise ValueError(f"{self._name}: Expected input to be 2D or 3D, got "
                                 f"{input.dim()}D tensor instead")
            batched = input.dim() == 3
            x = input if batched else input.unsqueeze(1)
            if self.batch_first and batched:
                x = x.transpose(0, 1)
            steps, batch = x.shape[0], x.shape[1]
            data = x.reshape(steps * batch, x.shape[2])
            batch_sizes = [batch] * steps
            data_in = x
        w0 = getattr(self, self._flat_weights_names[0])
        if data.dtype != w0.dtype:
            raise ValueError(f"RNN input dtype ({data.dtype}) does not match weight dtype "
                             f"({w0.dtype}). Convert input: input.to({w0.dtype}), or convert "
                             f"model: model.to({data.dtype})")
        if not packed and data_in.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {data.shape[-1]}")
        if hx_in is None:
            dt, dev = data.dtype, data.device
            hx = tuple(zeros(self._expected_hidden(batch, cell=k == 1), dtype=dt, device=dev)
                       for k in range(n_states))
        else:
            hx = tuple(hx_in)
            if not packed:
                want = 3 if batched else 2
                if any(h.dim() != want for h in hx):
                    dims = ", ".join(f"{h.dim()}-D" for h in hx)
                    if batched:
                        raise RuntimeError(msgs[0].format(dims))
                    raise RuntimeError(msgs[1].format(dims))
                if not batched:
                    hx = tuple(h.unsqueeze(1) for h in hx)
            for k, h in enumerate(hx):
                if h.dtype != data.dtype:
                    raise RuntimeError("Input and hidden tensors are not the same dtype, found "
                                       f"input tensor with {_legacy(data.dtype)} and hidden "
                                       f"tensor with {_legacy(h.dtype)}")
                exp = self._expected_hidden(batch, cell=k == 1)
                if tuple(h.shape) != exp:
                    tag = f"hidden[{k}]" if is_lstm else "hidden"
                    raise RuntimeError(f"Expected {tag} size {exp}, got {_shape_str(h)}")
            if sorted_idx is not None:
                hx = tuple(h.index_select(1, sorted_idx) for h in hx)
        out, finals = rnn_packed(self.mode, data, batch_sizes, hx, self._layer_weights(),
                                 self.num_layers, self.bidirectional, self.dropout,
                                 self.training)
        if unsorted_idx is not None:
            finals = tuple(h.index_select(1, unsorted_idx) for h in finals)
        if packed:
            output = PackedSequence(out, batch_sizes_t, sorted_idx, unsorted_idx)
        else:
            output = out.reshape(data_in.shape[0], batch, out.shape[-1])
            if not batched:
                output = output.squeeze(1)
                finals = tuple(h.squeeze(1) for h in finals)
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, finals

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


_MSG_H = ("For batched 3-D input, hx should also be 3-D but got {} tensor",
          "For unbatched 2-D input, hx should also be 2-D but got {} tensor")


class RNN(RNNBase):
    r"""Elman RNN: :math:`h_t = \phi(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})` with
    :math:`\phi` = tanh or ReLU, stacked ``num_layers`` times.

    Args:
        input_size (int), hidden_size (int).
        num_layers (int): Default: 1.
        nonlinearity (str): ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.
        bias (bool): Default: ``True``.
        batch_first (bool): ``(B, T, H)`` input/output. Default: ``False``.
        dropout (float): dropout on the outputs of all layers but the last (training only).
            Default: 0.
        bidirectional (bool): Default: ``False``.
        device, dtype: of the parameters.

    Shape:
        input ``(T, B, input_size)`` / ``(B, T, input_size)`` / unbatched ``(T, input_size)``
        or a :class:`PackedSequence`; ``h_0`` ``(D*num_layers, B, hidden_size)`` (zeros if
        omitted). Returns ``(output (T, B, D*hidden_size), h_n)``.

    Raises:
        ValueError: unknown ``nonlinearity``; input not 2-D or 3-D.
        RuntimeError: wrong ``input_size`` or hidden shape
            (``Expected hidden size (1, 3, 20), got [1, 2, 20]``).

    Example:
        >>> import ember
        >>> rnn = ember.nn.RNN(10, 20, 2)
        >>> out, hn = rnn(ember.randn(5, 3, 10), ember.randn(2, 3, 20))
        >>> out.shape, hn.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
    """

    _name = "RNN"

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        out, finals = self._run(input, None if hx is None else (hx,), _MSG_H)
        return out, finals[0]


class LSTM(RNNBase):
    r"""Long short-term memory, PyTorch's gate order (i, f, g, o):

    .. math::
        i, f, g, o = \sigma, \sigma, \tanh, \sigma(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh}),
        \quad c' = f c + i g, \quad h' = o \tanh(c')

    and, with ``proj_size > 0``, :math:`h' \leftarrow h' W_{hr}^T`.

    Args:
        input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        bidirectional=False, proj_size=0, device=None, dtype=None (as :class:`RNN`).

    Shape:
        input as :class:`RNN`; ``(h_0, c_0)`` of shapes ``(D*num_layers, B, H_out)`` and
        ``(D*num_layers, B, hidden_size)`` (``H_out`` = ``proj_size`` or ``hidden_size``).
        Returns ``(output, (h_n, c_n))``.

    Raises:
        RuntimeError: ``Expected hidden[0] size (1, 3, 20), got [1, 2, 20]`` and the like.

    Example:
        >>> import ember
        >>> lstm = ember.nn.LSTM(10, 20, num_layers=2, batch_first=True)
        >>> lstm
        LSTM(10, 20, num_layers=2, batch_first=True)
        >>> out, (hn, cn) = lstm(ember.randn(3, 5, 10))
        >>> out.shape, cn.shape
        (ember.Size([3, 5, 20]), ember.Size([2, 3, 20]))
    """

    _name = "LSTM"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors")
        msgs = ("For batched 3-D input, hx and cx should also be 3-D but got ({}) tensors",
                "For unbatched 2-D input, hx and cx should also be 2-D but got ({}) tensors")
        out, finals = self._run(input, hx, msgs)
        return out, finals


class GRU(RNNBase):
    r"""Gated recurrent unit, PyTorch's gate order (r, z, n):

    .. math::
        r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}),\;
        z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}),\;
        n = \tanh(W_{in} x + b_{in} + r (W_{hn} h + b_{hn})),\;
        h' = (1 - z) n + z h

    Args, Shape: as :class:`RNN` (no ``nonlinearity``).

    Example:
        >>> import ember
        >>> gru = ember.nn.GRU(10, 20, bidirectional=True)
        >>> out, hn = gru(ember.randn(5, 3, 10))
        >>> out.shape, hn.shape
        (ember.Size([5, 3, 40]), ember.Size([2, 3, 20]))
    """

    _name = "GRU"

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        out, finals = self._run(input, None if hx is None else (hx,), _MSG_H)
        return out, finals[0]


class RNNCellBase(Module):
    """Base class of the single-step cells: ``weight_ih`` ``(G*hidden, input_size)``,
    ``weight_hh`` ``(G*hidden, hidden)``, ``bias_ih``/``bias_hh`` ``(G*hidden,)``, all from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    __constants__ = ["input_size", "hidden_size", "bias"]
    _name = "RNNCell"
    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **factory_kwargs))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size),
                                         **factory_kwargs))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s

    def _step(self, input, states: tuple | None, n_states: int):
        from ..functional._linear import linear
        if input.dim() not in (1, 2):
            raise ValueError(f"{self._name}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        if states is not None:
            for h in states:
                if h.dim() not in (1, 2):
                    raise ValueError(f"{self._name}: Expected hidden to be 1D or 2D, got "
                                     f"{h.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected "
                               f"{self.input_size}")
        if states is None:
            states = tuple(zeros((x.shape[0], self.hidden_size), dtype=x.dtype,
                                 device=x.device) for _ in range(n_states))
        else:
            states = tuple(h if batched else h.unsqueeze(0) for h in states)
            for k, h in enumerate(states):
                if h.shape[0] != x.shape[0]:
                    raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{k} "
                                       f"batch size {h.shape[0]}")
                if h.shape[1] != self.hidden_size:
                    raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got "
                                       f"{h.shape[1]}, expected {self.hidden_size}")
        mode = self._mode
        if mode == "RNN":
            nl = self.nonlinearity
            if nl not in ("tanh", "relu"):
                raise RuntimeError(f"Unknown nonlinearity: {nl}")
            mode = "RNN_TANH" if nl == "tanh" else "RNN_RELU"
        gi = linear(x, self.weight_ih, self.bias_ih)
        out = cell_step(mode, gi, states, self.weight_hh, self.bias_hh)
        if not batched:
            out = tuple(h.squeeze(0) for h in out)
        return out


class RNNCell(RNNCellBase):
    r"""One Elman RNN step :math:`h' = \phi(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})`.

    Args:
        input_size (int), hidden_size (int), bias (bool) = ``True``,
        nonlinearity (str): ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.

    Shape:
        input ``(B, input_size)`` or ``(input_size,)``; hx ``(B, hidden_size)`` (zeros if
        omitted) → ``(B, hidden_size)``.

    Raises:
        RuntimeError: ``input has inconsistent input_size: got 5 expected 3``; batch mismatch;
            unknown nonlinearity (at call time, like PyTorch).
        ValueError: input not 1-D or 2-D.

    Example:
        >>> import ember
        >>> ember.nn.RNNCell(10, 20)(ember.randn(3, 10)).shape
        ember.Size([3, 20])
    """

    _name = "RNNCell"
    _mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._step(input, None if hx is None else (hx,), 1)[0]


class LSTMCell(RNNCellBase):
    r"""One LSTM step (gate order i, f, g, o); returns ``(h', c')``.

    Args:
        input_size (int), hidden_size (int), bias (bool) = ``True``.

    Shape:
        input ``(B, input_size)`` or ``(input_size,)``; ``hx = (h, c)`` each
        ``(B, hidden_size)`` (zeros if omitted).

    Raises:
        RuntimeError: ``lstm_cell expects two hidden states`` and the checks of
            :class:`RNNCell`.

    Example:
        >>> import ember
        >>> h, c = ember.nn.LSTMCell(10, 20)(ember.randn(3, 10))
        >>> h.shape, c.shape
        (ember.Size([3, 20]), ember.Size([3, 20]))
    """

    _name = "LSTMCell"
    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError("lstm_cell expects two hidden states")
        return self._step(input, None if hx is None else tuple(hx), 2)


class GRUCell(RNNCellBase):
    r"""One GRU step (gate order r, z, n, with :math:`n = \tanh(W_{in} x + b_{in} +
    r (W_{hn} h + b_{hn}))` and :math:`h' = (1 - z) n + z h`).

    Args:
        input_size (int), hidden_size (int), bias (bool) = ``True``.

    Example:
        >>> import ember
        >>> ember.nn.GRUCell(10, 20)(ember.randn(3, 10), ember.randn(3, 20)).shape
        ember.Size([3, 20])
    """

    _name = "GRUCell"
    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(input, None if hx is None else (hx,), 1)[0]

