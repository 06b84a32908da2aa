"""gunicorn config used only by benchmarks/lookup_access_log.py: the baseline server.

Its workers write no access events, so the benchmark can set the cost of writing one
against the rest of a lookup, side by side in one run. Never use it to serve.
"""


def post_worker_init(worker):
    from access_control import audit

    audit.record = lambda **event: None
