"""Every role and every kind of bad credential against all five endpoints."""
from __future__ import annotations

import pytest

from access_control.models import ApiKey

from callers import Caller, events, expire_keys_of

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"

ENDPOINTS = {
    "simulate": lambda c: c.simulate(),
    "analyze": lambda c: c.analyze(),
    "run": lambda c: c.get("/rebalance/runs/rr_00000000"),
    "by-correlation": lambda c: c.get("/rebalance/runs/by-correlation/corr-unknown"),
    "idempotency": lambda c: c.get("/rebalance/runs/idempotency/key-unknown"),
}
# What an authenticated caller gets from each endpoint when the role allows it.
ALLOWED = {"simulate": 200, "analyze": 200, "run": 404, "by-correlation": 404, "idempotency": 404}
ROLE_ALLOWS = {
    ("simulate",): {"simulate", "analyze", "run", "by-correlation", "idempotency"},
    ("support",): {"run", "by-correlation", "idempotency"},
    ("simulate", "support"): set(ENDPOINTS),
}


def _assert_problem(response, status: int, detail: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["detail"] == detail
    assert body["correlation_id"] == response["X-Correlation-Id"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("roles", list(ROLE_ALLOWS), ids=lambda r: "+".join(r))
def test_roles(endpoint, roles, caller):
    response = ENDPOINTS[endpoint](caller(*roles))
    if endpoint in ROLE_ALLOWS[roles]:
        assert response.status_code == ALLOWED[endpoint], response.content
        assert not events(outcome=403)
    else:
        _assert_problem(response, 403, "DPM_ROLE_REQUIRED: simulate")
        assert "WWW-Authenticate" not in response
        [event] = events(outcome=403)
        assert event.action == "authorization.failed"


def _refused_callers(issue_key):
    """(label, caller, expected detail, expected actor) for every unusable credential."""
    good = issue_key(("simulate", "support"), name="holder")
    prefix = good.partition(".")[0]
    expired = issue_key(("simulate", "support"), name="expired-client")
    expire_keys_of("expired-client")
    revoked = issue_key(("simulate", "support"), name="revoked-key")
    ApiKey.objects.filter(client__name="revoked-key").update(revoked=True)
    return [
        ("no header", Caller(), "DPM_AUTHENTICATION_REQUIRED", "api:anonymous"),
        ("other scheme", Caller(authorization=f"Bearer {good}"), "DPM_API_KEY_MALFORMED", "api:anonymous"),
        ("keyword only", Caller(authorization="Api-Key"), "DPM_API_KEY_MALFORMED", "api:anonymous"),
        ("no prefix separator", Caller(authorization="Api-Key abcdef"), "DPM_API_KEY_MALFORMED", "api:anonymous"),
        ("unknown prefix", Caller(authorization="Api-Key zzzzzzzz.secret"), "DPM_API_KEY_INVALID", "api:anonymous"),
        ("wrong secret", Caller(authorization=f"Api-Key {prefix}.not-the-secret"), "DPM_API_KEY_INVALID",
         "api:anonymous"),
        ("expired", Caller(expired), "DPM_API_KEY_EXPIRED", "api:expired-client"),
        ("revoked", Caller(revoked), "DPM_API_KEY_REVOKED", "api:revoked-key"),
    ]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unusable_credentials_are_401_with_www_authenticate(endpoint, issue_key):
    for label, refused, detail, actor in _refused_callers(issue_key):
        response = ENDPOINTS[endpoint](refused)
        _assert_problem(response, 401, detail)
        assert response["WWW-Authenticate"] == "Api-Key", label
        event = events(outcome=401)[-1]
        assert (event.action, event.actor) == ("authentication.failed", actor), label
        assert event.correlation_id == response["X-Correlation-Id"]
        assert event.source_address == "127.0.0.1"
    assert len(events(outcome=401)) == 8


def test_revoking_a_client_revokes_every_key(issue_key):
    from access_control.clients import issue_key as rotate, revoke_client

    from callers import client_named

    first = issue_key(("simulate",), name="rotating")
    second = rotate(client_named("rotating")).key
    for key in (first, second):
        assert Caller(key).get("/rebalance/runs/rr_00000000").status_code == 404
    revoke_client(client_named("rotating"))
    for key in (first, second):
        _assert_problem(Caller(key).get("/rebalance/runs/rr_00000000"), 401, "DPM_API_KEY_REVOKED")


def test_a_valid_key_is_stored_only_as_a_hash(issue_key):
    key = issue_key(("simulate",), name="hashed")
    stored = ApiKey.objects.get(client__name="hashed")
    assert key.partition(".")[2] not in stored.hashed_key
    assert stored.hashed_key.startswith("sha512$$")


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_openapi_pages_need_no_key_and_ignore_a_bad_one(path):
    assert Caller().get(path).status_code == 200
    assert Caller(authorization="Api-Key nonsense").get(path).status_code == 200
