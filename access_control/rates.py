"""Throttle rates as written in the environment: ``"<count>/<period>"``.

No Django imports, so settings can check the rates at start-up.
"""
from __future__ import annotations

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"6000/min"`` -> (6000, 60). The period's first letter counts (s, m, h, d)."""
    try:
        count_text, period = rate.strip().split("/")
        count = int(count_text)
        seconds = _PERIODS[period.strip()[0].lower()]
    except (ValueError, KeyError, IndexError):
        raise ValueError(f"rate {rate!r} is not '<count>/<s|min|hour|day>'") from None
    if count < 1:
        raise ValueError(f"rate {rate!r} must allow at least one request")
    return count, seconds
