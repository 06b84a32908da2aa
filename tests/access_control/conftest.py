"""Fixtures of the access-control tests."""
from __future__ import annotations

import pytest

from callers import Caller


@pytest.fixture
def caller(issue_key):
    """``caller(roles, name=None)``: a Caller holding a fresh client's key."""

    def _make(*roles: str, name: str | None = None) -> Caller:
        return Caller(issue_key(roles, name=name))

    return _make
