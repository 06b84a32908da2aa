"""OpenAPI description of the run lookups: their bodies and examples.

The bodies are what ``dpm_runs/rendering.py`` writes around a stored result. The stored
``result`` is documented by a reference to the ``RebalanceResult`` component, which the
simulate operation declares; this app does not import the simulation's code for it.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable

from drf_spectacular.utils import OpenApiExample
from pydantic import Field, WithJsonSchema
from typing_extensions import TypedDict

from lotus_manage.openapi_pydantic import component_ref

_TIMESTAMP = {"type": "string", "format": "date-time"}


def _doc(kind: Any, text: str) -> Any:
    return Annotated[kind, Field(description=text)]


class DpmRunLookupResponse(TypedDict):
    """A recorded run with its full result."""

    rebalance_run_id: _doc(str, "Run id, e.g. `rr_c24203fb`.")
    correlation_id: _doc(str, "Correlation id stored with the run.")
    request_hash: _doc(
        str, "`sha256:` + 64 hex (simulate) or `<batch_run_id>:<scenario>` (analyze)."
    )
    idempotency_key: _doc(
        str | None, "Idempotency-Key of a simulate run; null for analyze runs."
    )
    portfolio_id: _doc(str, "From the request's portfolio snapshot.")
    created_at: _doc(
        Annotated[str, WithJsonSchema(_TIMESTAMP)],
        "When the run was recorded: ISO-8601 UTC with `+00:00`, microseconds when non-zero, "
        "e.g. `2026-02-20T12:00:00.123456+00:00`.",
    )
    result: _doc(
        Annotated[dict[str, Any], component_ref("RebalanceResult")],
        "The RebalanceResult exactly as the caller of POST /rebalance/simulate (or the "
        "analyze scenario) received it.",
    )


class DpmRunIdempotencyLookupResponse(TypedDict):
    """The Idempotency-Key -> run mapping of a simulate call."""

    idempotency_key: _doc(str, "The key.")
    request_hash: _doc(str, "Hash of the execution that last wrote the mapping.")
    rebalance_run_id: _doc(str, "Run produced by that execution.")
    created_at: _doc(
        Annotated[str, WithJsonSchema(_TIMESTAMP)],
        "When the mapping was written; equals the run record's `created_at`.",
    )


# What the lookups' examples show: a stored run holds a simulation result, which this app
# neither produces nor imports. The app that simulates supplies them (``provide_example``)
# when its URLs load, so the dependency runs from the simulation to the run store only.
_EXAMPLE_SOURCES: dict[str, Callable[[], Any]] = {}


def provide_example(name: str, source: Callable[[], Any]) -> None:
    """Register ``source`` as the producer of the lookup example called ``name``."""
    _EXAMPLE_SOURCES[name] = source


class LookupExample(OpenApiExample):
    """A lookup's example, produced by its registered source when the document is built."""

    def __init__(self, name: str, what: str) -> None:
        self._what = what
        super().__init__(name)

    @property
    def value(self) -> Any:
        try:
            source = _EXAMPLE_SOURCES[self._what]
        except KeyError:
            raise LookupError(f"no source provides the lookup example {self._what!r}") from None
        return source()

    @value.setter
    def value(self, _ignored: Any) -> None:
        pass
