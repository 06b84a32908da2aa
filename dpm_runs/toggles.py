"""The support-lookup toggle, read from the environment on every call.

The contract (api spec §1.10) wants changes to take effect without a restart,
so it reads ``os.environ`` each time rather than a start-up setting.
"""
from __future__ import annotations

from lotus_manage.env_flags import env_flag


def support_apis_enabled() -> bool:
    """DPM_SUPPORT_APIS_ENABLED (default true): the GET /rebalance/runs/... lookups."""
    return env_flag("DPM_SUPPORT_APIS_ENABLED", default=True)

