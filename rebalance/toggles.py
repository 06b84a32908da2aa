"""The replay toggle of POST /rebalance/simulate, read from the environment on every call.

It lives with the code that replays (rebalance/services.py). The contract (api spec
§1.10) wants changes to take effect without a restart, so it reads ``os.environ``
each time rather than a start-up setting.
"""
from __future__ import annotations

from lotus_manage.env_flags import env_flag


def idempotency_replay_enabled() -> bool:
    """DPM_IDEMPOTENCY_REPLAY_ENABLED (default true): claim/replay on POST /rebalance/simulate."""
    return env_flag("DPM_IDEMPOTENCY_REPLAY_ENABLED", default=True)
