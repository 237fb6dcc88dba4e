"""Op records for the linalg family (see :mod:`ember.testing.op_db`)."""

from __future__ import annotations

from ..op_record import ErrorInput, OpRecord  # noqa: F401

RECORDS: list[OpRecord] = []
