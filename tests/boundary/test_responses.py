"""The renderer returns exactly the declared response shape, and its JSON text is the
text the service always sent.

``rebalance/boundary/responses.py`` declares the response bodies once; the OpenAPI
components are generated from it. These tests hold the renderer to it on every golden
case and on the shapes the cases miss: the same keys in the same order at every level,
values of the declared types, decimals as ``str(Decimal)`` text.
"""

from __future__ import annotations

import json
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

import pytest
from pydantic import TypeAdapter
from typing_extensions import NotRequired, TypeAliasType, is_typeddict

from rebalance.boundary import (
    BatchRebalanceRequest,
    RebalanceRequest,
    validate_engine_options,
    validate_request,
)
from rebalance.boundary.responses import DECIMAL_PATTERN, BatchRebalanceResult, RebalanceResult
from rebalance.engine import render_batch, render_result, run_batch, simulate
from rebalance.services import to_json_text

GOLDEN = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "golden"
CASES = sorted(GOLDEN.glob("*.json")) if GOLDEN.is_dir() else []
ABSENT = "../shared/conformance is absent (plain clone outside CI): conformance cases skipped"


def _render(case: dict) -> tuple[type, dict]:
    request = json.loads(json.dumps(case["request"]))
    correlation = (case.get("headers") or {}).get("X-Correlation-Id")
    if case["kind"] == "simulate":
        body, issues = validate_request(request, RebalanceRequest)
        assert not issues
        return RebalanceResult, render_result(simulate(*body.to_engine(), correlation_id=correlation or "c"))
    body, issues = validate_request(request, BatchRebalanceRequest)
    assert not issues
    inputs, scenarios = body.to_engine()
    return BatchRebalanceResult, render_batch(
        run_batch(inputs, scenarios, validate_engine_options, correlation_prefix=correlation)
    )


def _unwrap(kind: Any) -> Any:
    """The type inside aliases and ``Annotated``."""
    while True:
        if isinstance(kind, TypeAliasType):
            kind = kind.__value__
        elif typing.get_origin(kind) is typing.Annotated:
            kind = typing.get_args(kind)[0]
        else:
            return kind


def shape_errors(value: Any, kind: Any, path: str = "$") -> list[str]:
    """Where ``value`` departs from the declared ``kind``: keys, key order, types."""
    if typing.get_origin(kind) is NotRequired:
        (kind,) = typing.get_args(kind)
    metadata = typing.get_args(kind)[1:] if typing.get_origin(kind) is typing.Annotated else ()
    kind = _unwrap(kind)
    origin = typing.get_origin(kind)
    if origin in (Union, types.UnionType):
        options = [o for o in typing.get_args(kind) if o is not type(None)]
        if value is None:
            return [] if type(None) in typing.get_args(kind) else [f"{path}: null"]
        if len(options) > 1:  # the discriminated intent union
            tag = value.get("intent_type")
            options = [o for o in options if typing.get_type_hints(o)["intent_type"] == Literal[tag]]
            if not options:
                return [f"{path}: no variant for {tag!r}"]
        return shape_errors(value, options[0], path)
    if is_typeddict(kind):
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        hints = typing.get_type_hints(kind, include_extras=True)
        optional = {k for k, h in hints.items() if typing.get_origin(h) is NotRequired}
        declared = [k for k in hints if k in value or k not in optional]
        if list(value) != declared:
            return [f"{path}: keys {list(value)} != declared {declared}"]
        errors = []
        for key in value:
            errors += shape_errors(value[key], hints[key], f"{path}.{key}")
        return errors
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        (item,) = typing.get_args(kind)
        return [e for i, v in enumerate(value) for e in shape_errors(v, item, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        _, item = typing.get_args(kind)
        return [e for k, v in value.items() for e in shape_errors(v, item, f"{path}.{k}")]
    if origin is Literal:
        return [] if value in typing.get_args(kind) else [f"{path}: {value!r} not allowed"]
    if kind is str:
        if not isinstance(value, str):
            return [f"{path}: not a string"]
        decimal = any("pattern" in getattr(m, "json_schema", {}) for m in metadata)
        if decimal and not re.fullmatch(DECIMAL_PATTERN, value):
            return [f"{path}: {value!r} is not decimal text"]
        return []
    if kind is int:
        return [] if type(value) is int else [f"{path}: not an integer"]
    if kind is Any or kind is dict:
        return []
    return [f"{path}: cannot check {kind!r}"]


def test_the_check_finds_departures():
    _, rendered = _render({
        "kind": "simulate",
        "request": {
            "portfolio_snapshot": {"portfolio_id": "p", "base_currency": "USD",
                                   "cash_balances": [{"currency": "USD", "amount": "100"}]},
            "market_data_snapshot": {"prices": [{"instrument_id": "A", "price": "10",
                                                 "currency": "USD"}]},
            "model_portfolio": {"targets": [{"instrument_id": "A", "weight": "0.5"}]},
            "shelf_entries": [{"instrument_id": "A", "status": "APPROVED"}],
            "options": {},
        },
    })
    assert shape_errors(rendered, RebalanceResult) == []
    rendered["lineage"] = dict(reversed(list(rendered["lineage"].items())))
    rendered["before"]["total_value"]["amount"] = "1,000"
    rendered["intents"][0]["side"] = "HOLD"
    rendered["status"] = 1
    errors = "\n".join(shape_errors(rendered, RebalanceResult))
    for fragment in ("$.lineage: keys", "total_value.amount", "side: 'HOLD'", "$.status"):
        assert fragment in errors


@pytest.mark.parametrize("path", CASES or [None], ids=lambda p: p.stem if p else "absent")
def test_rendered_golden_results_are_the_declared_shape(path):
    if path is None:
        pytest.skip(ABSENT)
    declaration, rendered = _render(json.loads(path.read_text()))
    assert shape_errors(rendered, declaration) == []
    TypeAdapter(declaration).validate_python(rendered, strict=True)


@pytest.mark.parametrize("path", CASES or [None], ids=lambda p: p.stem if p else "absent")
def test_json_text_is_the_text_the_json_module_wrote(path):
    if path is None:
        pytest.skip(ABSENT)
    _, rendered = _render(json.loads(path.read_text()))
    assert to_json_text(rendered) == json.dumps(rendered, ensure_ascii=False, separators=(",", ":"))


def test_json_text_escapes_like_the_json_module():
    text = "".join(chr(i) for i in range(0x80)) + "é✓\u2028\u2029\U0001f600\ufeff\\\"/"
    payload = {"k": text, text: [1, None, True, False, -5, {"": ""}], "nested": {"a": [[]]}}
    assert to_json_text(payload) == json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
