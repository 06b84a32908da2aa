"""Request bodies and helpers shared by the boundary tests.

``simulate_body`` is the request of api.md Appendix A.1 (§8.1), the input of the
Appendix B request-hash test vector.
"""

from __future__ import annotations

import pytest

from tests.factories import spec_analyze_body, spec_simulate_body


@pytest.fixture
def simulate_body() -> dict:
    """A fresh copy of the §8.1 simulate body."""
    return spec_simulate_body()


@pytest.fixture
def analyze_body() -> dict:
    """The §8.1 shared snapshots with one valid scenario instead of ``options``."""
    return spec_analyze_body()


@pytest.fixture
def issues_of():
    """``issues_of(Model, data)``: the 422 issues of a decoded body (``[]`` when valid)."""
    from rebalance.boundary import validate_request

    def _issues(model, data):
        return validate_request(data, model)[1]

    return _issues


def valid(model, data):
    """The validated request of a body that must be valid."""
    from rebalance.boundary import validate_request

    request, issues = validate_request(data, model)
    assert not issues, issues
    return request
