"""The op table against PyTorch (runs in the ``parity`` nox session, where torch exists)."""

from __future__ import annotations

import os

import pytest

from ember.testing.op_db import FAMILIES, records
from ember.testing.parity import check_parity

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

pytestmark = [pytest.mark.parity,
              pytest.mark.skipif(torch is None,
                                 reason="parity tests run in the parity session (EMBER_PARITY=1 "
                                        "with PyTorch installed)")]


@pytest.mark.parametrize("rec", [r for f in FAMILIES for r in records(f)],
                         ids=lambda r: r.name)
def test_op_matches_pytorch(rec, device):
    if device != "cpu":
        pytest.skip("the PyTorch oracle is the CPU build")
    check_parity(rec, torch, device)
