"""Heuristic group constraints: cap the summed weight of attribute groups (spec §4.2)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from .lookups import ShelfIndex
from .models import GroupConstraint
from .results import BLOCKED, READY, Diagnostics

GROUP_TOLERANCE = Decimal("0.0001")


def split_constraint_key(key: str) -> tuple[str, str] | None:
    """Split ``"attr:value"`` at the first colon; None when there is no colon."""
    if ":" not in key:
        return None
    attr, value = key.split(":", 1)
    return attr, value


def constraint_groups(
    constraints: dict[str, GroupConstraint],
    shelf: ShelfIndex,
    eligible: dict[str, Decimal],
    diag: Diagnostics,
    *,
    warn_invalid_key: bool,
) -> Iterator[tuple[str, list[str], Decimal]]:
    """Yield ``(key, members, max_weight)`` per constraint key in sorted order.

    Lazily, so that callers' own warnings interleave in key order. A key whose attribute
    no shelf entry carries is skipped with ``UNKNOWN_CONSTRAINT_ATTRIBUTE_<attr>``; a key
    without a colon (unreachable through validated options) is skipped, with
    ``INVALID_CONSTRAINT_KEY_<key>`` when ``warn_invalid_key``. Members are computed when
    the key's turn comes, so earlier keys' changes to ``eligible`` are seen.
    """
    for key in sorted(constraints):
        parts = split_constraint_key(key)
        if parts is None:
            if warn_invalid_key:
                diag.warnings.append(f"INVALID_CONSTRAINT_KEY_{key}")
            continue
        attr, value = parts
        if attr not in shelf.attribute_keys:
            diag.warnings.append(f"UNKNOWN_CONSTRAINT_ATTRIBUTE_{attr}")
            continue
        yield key, group_members(eligible, shelf, attr, value), constraints[key].max_weight


def group_members(eligible: dict[str, Decimal], shelf: ShelfIndex, attr: str, value: str) -> list[str]:
    """Eligible ids (eligible order) whose first shelf entry has ``attributes[attr] == value``.

    Locked holdings and sell-only entries are members too.
    """
    members = []
    for iid in eligible:
        entry = shelf.get(iid)
        if entry is not None and entry.attributes.get(attr) == value:
            members.append(iid)
    return members


def apply_group_constraints(
    eligible: dict[str, Decimal],
    buy_set: set[str],
    constraints: dict[str, GroupConstraint],
    shelf: ShelfIndex,
    diag: Diagnostics,
) -> str:
    """Scale over-weight groups down and hand the excess pro rata to buyable non-members.

    Single pass in sorted key order. Returns BLOCKED (and stops) when a capped group has
    no recipient with positive weight, else READY.
    """
    for key, members, max_weight in constraint_groups(
        constraints, shelf, eligible, diag, warn_invalid_key=True
    ):
        if not members:
            continue
        group_weight = sum(eligible[m] for m in members)
        if group_weight <= max_weight + GROUP_TOLERANCE:
            continue
        scale = max_weight / group_weight
        excess = group_weight - max_weight
        for member in members:
            eligible[member] = eligible[member] * scale
        member_set = set(members)
        candidates = [i for i in eligible if i in buy_set and i not in member_set]
        candidate_total = sum(eligible[c] for c in candidates)
        event = {
            "constraint_key": key,
            "group_weight_before": group_weight,
            "max_weight": max_weight,
            "released_weight": excess,
            "recipients": {},
            "status": "CAPPED",
        }
        diag.warnings.append(f"CAPPED_BY_GROUP_LIMIT_{key}")
        if candidate_total > 0:
            for cand in candidates:
                weight = eligible[cand]
                share = excess * (weight / candidate_total)
                eligible[cand] = weight + share
                event["recipients"][cand] = share
            diag.group_constraint_events.append(event)
        else:
            diag.warnings.append("NO_ELIGIBLE_REDISTRIBUTION_DESTINATION")
            event["status"] = "BLOCKED"
            diag.group_constraint_events.append(event)
            return BLOCKED
    return READY
