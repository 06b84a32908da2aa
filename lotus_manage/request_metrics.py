"""Counts and times every HTTP request by its route template.

The label is the URL pattern that matched (``/rebalance/runs/<str:rebalance_run_id>``),
never the raw path, so run ids and keys cannot multiply the series; requests that
match no route share the label ``unmatched``.
"""
from __future__ import annotations

import time

from . import metrics

UNMATCHED = "unmatched"
# The route of POST /rebalance/simulate, whose whole-request time has its own histogram.
SIMULATE_ROUTE = "/rebalance/simulate"


def route_template(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or match.route is None:
        return UNMATCHED
    return "/" + match.route


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_template(request)
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.HTTP_REQUEST_DURATION.labels(request.method, route).observe(elapsed)
        if route == SIMULATE_ROUTE and request.method == "POST":
            metrics.SIMULATE_DURATION.labels(scope="request").observe(elapsed)
        return response
