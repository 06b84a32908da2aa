"""Request hash of ``POST /rebalance/simulate`` (api.md §2.2, test vector in §9).

The hash identifies the *semantic* request: it is computed from the validated engine
objects, so coercions (``"yes"`` → ``true``, ``"5"`` → ``5``), filled-in defaults and
dropped unknown keys are already applied. The dump rules:

* every declared field is present, including ``null`` optionals and empty ``[]``/``{}``;
* decimals are ``str(Decimal)`` (scale preserved: ``"10000.00"``, ``"1E+2"``);
* enums are their values; list order is kept as sent;
* compact JSON, keys sorted recursively, non-ASCII escaped as ``\\uXXXX``.

The engine dataclasses mirror the request objects field for field (same names, no extra
fields), which is what makes them a faithful source for the dump; the Appendix B test
vector pins that.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from decimal import Decimal
from enum import Enum
from typing import Any

from rebalance.engine.models import EngineOptions, RebalanceInputs

HASH_PREFIX = "sha256:"


def request_tree(inputs: RebalanceInputs, options: EngineOptions) -> dict[str, Any]:
    """The normalized simulate request as a JSON-compatible tree (step 2 of §2.2)."""
    return {
        "portfolio_snapshot": _dump(inputs.portfolio),
        "market_data_snapshot": _dump(inputs.market_data),
        "model_portfolio": _dump(inputs.model),
        "shelf_entries": _dump(inputs.shelf),
        "options": _dump(options),
    }


def canonical_request_json(inputs: RebalanceInputs, options: EngineOptions) -> str:
    """The canonical JSON text that is hashed (step 3 of §2.2).

    Takes the output of ``RebalanceRequestSerializer.to_engine()``.
    """
    # ensure_ascii stays at its default (on): lowercase \\uXXXX escapes, surrogate pairs.
    return json.dumps(request_tree(inputs, options), sort_keys=True, separators=(",", ":"))


def request_hash(inputs: RebalanceInputs, options: EngineOptions) -> str:
    """``"sha256:" + hex digest`` of the canonical JSON (step 4 of §2.2)."""
    return hash_of_tree(request_tree(inputs, options))


def hash_of_tree(tree: dict[str, Any]) -> str:
    """The request hash of a tree built by ``request_tree`` (lets callers that also
    store the tree build it once)."""
    canonical = json.dumps(tree, sort_keys=True, separators=(",", ":"))
    return HASH_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):  # before str: our enums are str subclasses
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_dump(item) for item in value]
    if isinstance(value, dict):
        return {key: _dump(item) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    raise TypeError(f"cannot dump {type(value).__name__} into the request hash")
