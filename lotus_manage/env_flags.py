"""Boolean feature flags parsed by the API contract's flag rule.

The contract (section 1.10, "Runtime configuration") is stricter than
django-environ's ``env.bool``: when the variable is set, the flag is true only
if the value, trimmed and lower-cased, is one of ``1``, ``true``, ``yes``,
``on``. Everything else, including ``""``, ``y``, ``ok`` and ``2``, is false.
``env.bool`` would accept ``y``, ``ok`` and any non-zero integer, so these
flags use this helper instead.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})


def parse_flag(raw: str | None, default: bool) -> bool:
    """Return ``default`` when ``raw`` is None (unset), else apply the flag rule."""
    if raw is None:
        return default
    return raw.strip().lower() in TRUE_VALUES


def env_flag(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Read flag ``name`` from ``environ`` (the process environment by default)."""
    source = os.environ if environ is None else environ
    return parse_flag(source.get(name), default)
