"""Runtime toggles of the run store, read from the environment on every call.

The contract (api spec §1.10) wants changes to take effect without a restart,
so these read ``os.environ`` each time rather than the start-up values in
settings.
"""
from __future__ import annotations

from lotus_manage.env_flags import env_flag


def support_apis_enabled() -> bool:
    """DPM_SUPPORT_APIS_ENABLED (default true): the GET /rebalance/runs/... lookups."""
    return env_flag("DPM_SUPPORT_APIS_ENABLED", default=True)


def idempotency_replay_enabled() -> bool:
    """DPM_IDEMPOTENCY_REPLAY_ENABLED (default true): claim/replay on POST /rebalance/simulate."""
    return env_flag("DPM_IDEMPOTENCY_REPLAY_ENABLED", default=True)
