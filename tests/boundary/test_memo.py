"""The per-worker memo of validated simulate bodies (rebalance/boundary/memo.py)."""
from __future__ import annotations

import json

from rebalance.boundary import RebalanceRequest, validate_request_body
from rebalance.boundary.memo import ValidatedBodies
from tests.factories import small_simulate_body

RAW = json.dumps(small_simulate_body()).encode()


class Counting:
    """validate_request_body for the simulate body, counting its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, raw: bytes):
        self.calls += 1
        return validate_request_body(raw, RebalanceRequest)


def test_the_same_client_and_bytes_get_the_remembered_request():
    memo, validate = ValidatedBodies(), Counting()
    first, issues = memo.validated(1, RAW, validate)
    assert not issues
    again, issues = memo.validated(1, RAW, validate)
    assert again is first and issues == [] and validate.calls == 1
    assert again.canonical.digest == validate_request_body(RAW, RebalanceRequest)[0].canonical.digest


def test_other_clients_and_other_bytes_are_validated_again():
    memo, validate = ValidatedBodies(), Counting()
    memo.validated(1, RAW, validate)
    memo.validated(2, RAW, validate)
    memo.validated(1, RAW + b" ", validate)  # the same JSON, other bytes
    assert validate.calls == 3


def test_an_invalid_body_is_not_remembered():
    memo, validate = ValidatedBodies(), Counting()
    bad = json.dumps({**small_simulate_body(), "options": {"max_turnover_pct": "many"}}).encode()
    for _ in range(2):
        model, issues = memo.validated(1, bad, validate)
        assert model is None and issues
    assert validate.calls == 2


def test_it_is_bounded_in_entries_and_body_size():
    memo, validate = ValidatedBodies(max_entries=2, max_body_bytes=len(RAW)), Counting()
    for client_id in (1, 2, 3, 2, 3):
        memo.validated(client_id, RAW, validate)
    assert validate.calls == 3  # 2 and 3 were still remembered
    memo.validated(1, RAW, validate)  # 1 was evicted first
    assert validate.calls == 4
    for _ in range(2):
        memo.validated(4, RAW + b"\n", validate)  # one byte over the size limit
    assert validate.calls == 6
