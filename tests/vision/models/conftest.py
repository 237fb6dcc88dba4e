"""Fixtures for the model tests."""

import pytest

import ember


@pytest.fixture
def fast_init(monkeypatch):
    """Architecture tests do not need truncated-normal draws; ember's erfinv is slow, so
    ``trunc_normal_`` becomes ``normal_`` for the duration of a test."""
    def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
        return ember.nn.init.normal_(tensor, mean, std)
    monkeypatch.setattr(ember.nn.init, "trunc_normal_", trunc_normal_)
