"""Retry-After of 409 IDEMPOTENCY_KEY_IN_PROGRESS where the holder's liveness cannot
be seen: the real remaining wait is the time left on the claim's lease.

Definition (docs/idempotency.md): whole seconds until the lease ends, rounded up, at
least 1. Here the holder never finishes (its lease is the only thing that frees the
key, as for a dead worker on SQLite), so the advertised wait must be enough and less
than a second too long. The claim is made on the test's own connection, so on
PostgreSQL too the lease decides (a session holding the key's lock cannot tell
itself apart from the claimer). A holder known alive answers 1: test_claim_takeover.py.
"""
from __future__ import annotations

import json
import math
import time

import pytest
from django.test import Client
from django.utils import timezone

from dpm_runs.models import IdempotencyRecord
from dpm_runs.repository import Claimed, RunRepository
from rebalance.boundary import RebalanceRequest
from rebalance.request_hash import hash_of_tree
from tests.api.conftest import simulate_body

pytestmark = pytest.mark.django_db

LEASE_SECONDS = 3


def _post(client: Client, key: str):
    return client.post("/rebalance/simulate", json.dumps(simulate_body()), content_type="application/json",
                       headers={"Idempotency-Key": key})


def _body_hash() -> str:
    return hash_of_tree(RebalanceRequest.model_validate(simulate_body()).request_tree())


def test_retry_after_is_the_remaining_lease_and_waiting_that_long_is_enough(client, settings):
    from access_control.models import ApiClient

    settings.DPM_IDEMPOTENCY_LEASE_SECONDS = LEASE_SECONDS
    owner = ApiClient.objects.get(name="test-all-roles")
    # A claimer that never finishes.
    assert isinstance(RunRepository().claim(owner.pk, "ra-1", _body_hash()), Claimed)
    expires = IdempotencyRecord.objects.get(client=owner, key="ra-1").lease_expires_at

    answers = []
    for pause in (0.0, 1.2):
        time.sleep(pause)
        sent = timezone.now()
        response = _post(client, "ra-1")
        received = timezone.now()
        assert response.status_code == 409
        assert response.json()["detail"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
        answer = int(response["Retry-After"])
        # The server read its clock between ``sent`` and ``received``: the answer is the
        # time then left on the lease, rounded up to whole seconds, nothing else.
        assert math.ceil((expires - received).total_seconds()) <= answer
        assert answer <= math.ceil((expires - sent).total_seconds())
        answers.append(answer)
    assert answers[1] < answers[0] <= LEASE_SECONDS

    # A client that waits exactly Retry-After after the last 409 gets the key: the
    # engine runs for it. (The two 409s above, sent before that, are the negative control.)
    time.sleep(max(0.0, answers[-1] - (timezone.now() - received).total_seconds()))
    retried = _post(client, "ra-1")
    assert retried.status_code == 200 and retried["Idempotent-Replayed"] == "false"
