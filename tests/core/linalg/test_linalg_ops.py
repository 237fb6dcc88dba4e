"""The linalg op table: forward against numpy float64 references (reconstructions and
sign-free quantities for decompositions), gradcheck and gradgradcheck in float64, and the
error inputs with their exception types and messages."""

from __future__ import annotations

import pytest

from ember.testing import check_errors, check_op
from ember.testing.op_db import records

RECS = records("linalg")


@pytest.mark.parametrize("rec", RECS, ids=lambda r: r.name)
def test_op(rec, device):
    check_op(rec, device)


@pytest.mark.parametrize("rec", [r for r in RECS if r.errors], ids=lambda r: r.name)
def test_errors(rec, device):
    check_errors(rec, device)
