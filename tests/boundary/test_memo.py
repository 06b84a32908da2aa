"""The per-worker memo of validated simulate bodies (rebalance/boundary/memo.py)."""
from __future__ import annotations

import json

from rebalance.boundary import RebalanceRequest, validate_request_body
from rebalance.boundary.memo import ValidatedBodies
from tests.factories import small_simulate_body

RAW = json.dumps(small_simulate_body()).encode()


def _valid(raw: bytes = RAW) -> RebalanceRequest:
    body, issues = validate_request_body(raw, RebalanceRequest)
    assert not issues
    return body


def test_the_same_client_and_bytes_get_the_remembered_request():
    memo = ValidatedBodies()
    body = _valid()
    memo.remember(1, RAW, body)
    assert memo.get(1, RAW) is body
    assert memo.get(1, RAW).canonical.digest == _valid().canonical.digest


def test_other_clients_and_other_bytes_are_not_served_from_it():
    memo = ValidatedBodies()
    memo.remember(1, RAW, _valid())
    assert memo.get(2, RAW) is None
    assert memo.get(1, RAW + b" ") is None  # the same JSON, other bytes: validated again


def test_it_is_bounded_in_entries_and_body_size():
    memo = ValidatedBodies(max_entries=2, max_body_bytes=len(RAW))
    for client_id in (1, 2, 3):
        memo.remember(client_id, RAW, _valid())
    assert memo.get(1, RAW) is None and memo.get(2, RAW) is not None and memo.get(3, RAW) is not None
    memo.remember(4, RAW + b"\n", _valid())  # one byte over the size limit
    assert memo.get(4, RAW + b"\n") is None
