"""Helpers of the access-control tests: a caller holding one client's key, event queries."""
from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from access_control.models import AccessEvent, ApiClient, ApiKey
from tests.api.conftest import analyze_body, simulate_body


SIMULATE = "/rebalance/simulate"


def key_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Api-Key {key}"}

ANALYZE = "/rebalance/analyze"


class Caller:
    """One API client's view of the service."""

    def __init__(self, key: str | None = None, authorization: str | None = None):
        self.key = key
        headers = {}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif key is not None:
            headers.update(key_headers(key))
        self.http = Client(headers=headers)

    def simulate(self, key="k-1", body=None, correlation=None):
        headers = {"Idempotency-Key": key}
        if correlation:
            headers["X-Correlation-Id"] = correlation
        return self.http.post(SIMULATE, json.dumps(body or simulate_body()), content_type="application/json",
                              headers=headers)

    def analyze(self, body=None, correlation=None):
        headers = {"X-Correlation-Id": correlation} if correlation else {}
        body = body or analyze_body({"base": {"options": {}}})
        return self.http.post(ANALYZE, json.dumps(body), content_type="application/json", headers=headers)

    def get(self, path):
        return self.http.get(path)


def expire_keys_of(name: str) -> None:
    ApiKey.objects.filter(client__name=name).update(expiry_date=timezone.now() - timedelta(seconds=1))


def events(**filters) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(**filters).order_by("id"))


def client_named(name: str) -> ApiClient:
    return ApiClient.objects.get(name=name)


def other_body() -> dict:
    """A body whose request hash differs from ``simulate_body()``'s."""
    body = simulate_body()
    body["portfolio_snapshot"]["portfolio_id"] = "pf_other"
    return body
