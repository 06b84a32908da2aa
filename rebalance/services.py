"""Write-side services of the simulation endpoints: run the engine, record every run.

Views stay thin: they validate and call these functions; these talk to the engine and
to the run store (``dpm_runs.repository.RunRepository``), never to models directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson

from dpm_runs.models import KeyOutcome
from dpm_runs.repository import Claimed, Conflict, InProgress, NewRun, Replay, RunIdCollision, RunRepository
from lotus_manage import metrics
from lotus_manage.problems import ServiceError
from rebalance.boundary import BatchRebalanceRequest, RebalanceRequest, validate_engine_options
from rebalance.engine import render_batch, render_result, run_batch, simulate
from rebalance.engine.batch import new_batch_id
from rebalance.engine.errors import RunIdTaken
from rebalance.engine.models import EngineOptions
from rebalance.engine.results import RebalanceResult
from rebalance.engine.version import ENGINE_VERSION
from rebalance.toggles import idempotency_replay_enabled

logger = logging.getLogger("rebalance.services")

IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_KEY_CONFLICT: request hash mismatch"
IDEMPOTENCY_IN_PROGRESS = "IDEMPOTENCY_KEY_IN_PROGRESS"
# A 32-bit run id can collide with a recorded one; a fresh run gets a fresh id.
RUN_ID_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class SimulateOutcome:
    """What the simulate view sends: the exact JSON text and whether it is a replay."""

    body: str
    replayed: bool
    rebalance_run_id: str


def to_json_text(payload: Any) -> str:
    """The one JSON encoding of response bodies (kept byte-for-byte for replays).

    orjson writes exactly what ``json.dumps(payload, ensure_ascii=False,
    separators=(",", ":"))`` wrote before (compact, UTF-8 text, the same escapes), about
    ten times faster; tests pin the equality on every golden result.
    """
    return orjson.dumps(payload).decode("utf-8")


def _new_run(result: RebalanceResult, body: str, request: dict, request_json: str | None = None) -> NewRun:
    return NewRun(
        rebalance_run_id=result.rebalance_run_id,
        correlation_id=result.correlation_id,
        request_hash=result.request_hash,
        portfolio_id=result.portfolio_id,
        status=result.status,
        response_body=body,
        request=request,
        engine_version=ENGINE_VERSION,
        request_json=request_json,
    )


def _execute_and_record(validated: RebalanceRequest, correlation_id, record) -> tuple[str, str]:
    """Run the engine and record the run with ``record(new_run)``; on a run-id collision
    run again under a fresh id. Returns (response text, run id)."""
    inputs, options = validated.to_engine()  # only here: a replay never needs them
    # The canonical text is hashed, and stored as the run's request.
    request, request_json, digest = validated.canonical
    for _ in range(RUN_ID_ATTEMPTS):
        with metrics.SIMULATE_DURATION.labels(scope="engine").time():
            result = simulate(inputs, options, request_hash=digest, correlation_id=correlation_id)
        rendered = render_result(result)
        body = to_json_text(rendered)
        try:
            stored = record(_new_run(result, body, request, request_json))
        except RunIdCollision:
            logger.warning("run id collision on %s; retrying with a new id", result.rebalance_run_id)
            continue
        logger.info(
            "simulate recorded rebalance_run_id=%s portfolio_id=%s status=%s",
            stored.rebalance_run_id, result.portfolio_id, result.status,
            extra={"rebalance_run_id": stored.rebalance_run_id},
        )
        return stored.response_body, stored.rebalance_run_id
    raise RuntimeError("could not allocate a unique rebalance_run_id")


def simulate_idempotently(
    validated: RebalanceRequest,
    idempotency_key: str,
    correlation_id: str,
    *,
    client_id: int,
    repository: RunRepository | None = None,
) -> SimulateOutcome:
    """Simulate once per (client, idempotency key, request hash), durably.

    Keys live in the calling client's key space: another client's identical key
    and body is an independent run.

    Replay enabled: the key is claimed in the database first. A completed key with the
    same hash replays the stored body; a different hash is 409
    ``IDEMPOTENCY_KEY_CONFLICT``; a key still being computed elsewhere is 409
    ``IDEMPOTENCY_KEY_IN_PROGRESS`` with ``Retry-After``. Replay disabled: every call
    runs and the key's mapping is overwritten with the newest run.
    """
    repository = repository or RunRepository()
    digest = validated.canonical.digest

    def count(outcome: KeyOutcome) -> None:
        # A run re-executed with replay off counts as executed. The key's history
        # entry is written by the run store, with the statements that decided it.
        metrics.IDEMPOTENCY_OUTCOMES.labels(
            outcome=KeyOutcome.EXECUTED if outcome == KeyOutcome.RE_EXECUTED else outcome
        ).inc()

    if not idempotency_replay_enabled():
        body, run_id = _execute_and_record(
            validated, correlation_id,
            lambda run: repository.record_simulate_run(
                client_id, idempotency_key, run, correlation_id=correlation_id
            ),
        )
        count(KeyOutcome.RE_EXECUTED)
        return SimulateOutcome(body, False, run_id)

    outcome = repository.claim(client_id, idempotency_key, digest, correlation_id=correlation_id)
    if isinstance(outcome, Replay):
        logger.info("simulate replayed rebalance_run_id=%s", outcome.run.rebalance_run_id,
                    extra={"rebalance_run_id": outcome.run.rebalance_run_id})
        count(KeyOutcome.REPLAYED)
        return SimulateOutcome(outcome.run.response_body, True, outcome.run.rebalance_run_id)
    if isinstance(outcome, Conflict):
        count(KeyOutcome.CONFLICT)
        raise ServiceError(409, IDEMPOTENCY_CONFLICT)
    if isinstance(outcome, InProgress):
        count(KeyOutcome.IN_PROGRESS)
        # The real remaining wait: whole seconds until the holder's lease ends (repository).
        raise ServiceError(409, IDEMPOTENCY_IN_PROGRESS, headers={"Retry-After": str(outcome.retry_after)})
    assert isinstance(outcome, Claimed)
    try:
        body, run_id = _execute_and_record(
            validated, correlation_id,
            lambda run: repository.complete(outcome, run),
        )
    except BaseException:
        repository.release(outcome)
        raise
    # ``complete`` may hand back a run another worker finished first for this key:
    # then this request was in effect a replay of it.
    count(KeyOutcome.EXECUTED)
    return SimulateOutcome(body, False, run_id)


def analyze_and_record(
    validated: BatchRebalanceRequest,
    correlation_prefix: str | None,
    batch_id: str | None = None,
    *,
    client_id: int,
    repository: RunRepository | None = None,
) -> str:
    """Run a what-if batch, record every successful scenario run, return the JSON text."""
    repository = repository or RunRepository()
    batch_id = batch_id or new_batch_id()
    inputs, scenarios = validated.to_engine()

    rendered_results: dict[str, dict[str, Any]] = {}

    def record(name: str, options: EngineOptions, result: RebalanceResult) -> None:
        rendered = render_result(result)
        run = _new_run(result, to_json_text(rendered), validated.scenario_request_tree(name))
        try:
            repository.record_analyze_run(client_id, run, batch_run_id=batch_id)
        except RunIdCollision as exc:
            raise RunIdTaken(str(exc)) from exc
        rendered_results[name] = rendered

    batch = run_batch(
        inputs, scenarios, validate_engine_options,
        correlation_prefix=correlation_prefix, batch_id=batch_id, on_result=record,
    )
    return to_json_text(render_batch(batch, rendered_results))
