"""Request hash of ``POST /rebalance/simulate`` (api.md §2.2, test vector in §9).

The hash identifies the *semantic* request: it is computed from the normalized request
tree of the validated model (``RebalanceRequest.request_tree()``), so coercions
(``"yes"`` -> ``true``, ``"5"`` -> ``5``), filled-in defaults and dropped unknown keys are
already applied: every declared field is present, decimals are their text with the
scale kept (``"10000.00"``, ``"1E+2"``), enums their values, lists in the order sent.
The canonical text is compact JSON with keys sorted recursively and non-ASCII escaped as
lowercase ``\\uXXXX``; the Appendix B test vector pins it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

HASH_PREFIX = "sha256:"


def canonical_json(tree: dict[str, Any]) -> str:
    """The canonical JSON text that is hashed (step 3 of §2.2).

    The definition is the json module's ``json.dumps(tree, sort_keys=True,
    separators=(",", ":"))`` (ASCII escaping on: lowercase \\uXXXX escapes, surrogate
    pairs). orjson writes the same text twenty times faster whenever that text is plain
    ASCII without DEL, which it escapes differently; anything else goes through the
    json module.
    """
    fast = orjson.dumps(tree, option=orjson.OPT_SORT_KEYS)
    if fast.isascii() and b"\x7f" not in fast:
        return fast.decode("ascii")
    return json.dumps(tree, sort_keys=True, separators=(",", ":"))


def hash_of_canonical_json(text: str) -> str:
    """``"sha256:" + hex digest`` of a canonical JSON text (step 4)."""
    return HASH_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_of_tree(tree: dict[str, Any]) -> str:
    """``"sha256:" + hex digest`` of the canonical JSON of a request tree (step 4)."""
    return hash_of_canonical_json(canonical_json(tree))
