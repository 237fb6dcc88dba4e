"""Public test helpers shared by every ember package's test suite.

- :func:`assert_close` compares tensors/arrays/numbers with dtype-aware tolerances.
- :func:`make_tensor` builds random test inputs on the device under test.
- :func:`test_device` reads ``EMBER_TEST_DEVICE`` (``cpu`` by default, ``cuda`` on a GPU
  machine) so one suite serves both.
- :class:`OpRecord` / :func:`check_op` drive op tests from a table: forward against an
  independent numpy float64 reference, gradients by ``gradcheck``, second derivatives by
  ``gradgradcheck``, and error inputs with their exception type and message.

Example:
    >>> import numpy as np, ember
    >>> from ember.testing import OpRecord, check_op
    >>> rec = OpRecord("exp", lambda lib, x: lib.exp(x), np.exp, samples=[((2, 3),)])
    >>> check_op(rec, "cpu")
"""

from .asserts import assert_close, make_tensor, test_device, to_numpy
from .op_record import ErrorInput, OpRecord, check_errors, check_op

__all__ = ["assert_close", "make_tensor", "test_device", "to_numpy", "OpRecord", "ErrorInput",
           "check_op", "check_errors"]
