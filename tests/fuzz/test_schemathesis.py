"""schemathesis over every operation of the OpenAPI document, against gunicorn.

The document is the promise to clients; this holds the service to it both ways. With an
API key holding every role, generated requests (valid ones and ones that break the
document) must meet: no 5xx, no valid request rejected, no invalid request accepted,
no status code, header or body the document does not declare. The seed is fixed, so a
failure reproduces; the report names the failing case and how to replay it.

Operations are read from the document, not listed here: a new endpoint is fuzzed as
soon as it is documented.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.fuzz import served_app

SEED = 20261130
# Per operation and generation mode of the fuzzing phase; with the examples and coverage
# phases this gives about 2,400 requests on today's operations (about a minute).
MAX_EXAMPLES = 100
MIN_GENERATED_CASES = 2_000
RUN_TIMEOUT_SECONDS = 600
ROLES = ["simulate", "support"]


def _operations(base_url: str) -> set[str]:
    request = urllib.request.Request(
        f"{base_url}/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        document = json.load(response)
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in methods
    }


def _cases_per_operation(ndjson_report: Path) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    for line in ndjson_report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if finished:
            counts[finished["recorder"]["label"]] += len(finished["recorder"].get("cases", {}))
    return counts


def _run_schemathesis(base_url: str, key: str, report_dir: Path) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{base_url}/api/schema/",
        "--url", base_url,
        "--checks", "all",
        "--mode", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--workers", "4",
        "--request-timeout", "30",
        "--header", f"Authorization: Api-Key {key}",
        "--report", "json,ndjson",
        "--report-dir", str(report_dir),
        "--report-json-path", str(report_dir / "run.json"),
        "--report-ndjson-path", str(report_dir / "events.ndjson"),
        "--output-truncate", "false",
        "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.schemathesis_hooks",
           "PYTHONPATH": str(served_app.REPO_ROOT)}
    return subprocess.run(
        command, cwd=served_app.REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=RUN_TIMEOUT_SECONDS, check=False,
    )


def test_the_service_keeps_every_promise_of_its_openapi_document(tmp_path):
    with served_app.scratch_database_url(tmp_path) as database_url:
        env = served_app.server_environment(database_url)
        key = served_app.prepare(env, "fuzz-every-role", ROLES)
        with served_app.gunicorn(env, tmp_path / "gunicorn.log") as base_url:
            documented = _operations(base_url)
            run = _run_schemathesis(base_url, key, tmp_path / "report")

    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    report = json.loads((tmp_path / "report" / "run.json").read_text())
    assert report["complete"] is True
    assert report["failures"] == []
    assert report["test_cases"]["generated"] >= MIN_GENERATED_CASES
    assert report["operations"]["selected"] == len(documented)
    assert report["operations"]["tested"] == len(documented)
    per_operation = _cases_per_operation(tmp_path / "report" / "events.ndjson")
    assert set(per_operation) == documented, "an operation of the document was not tested"
    print(f"schemathesis: {report['test_cases']['generated']} generated in "
          f"{report['running_time']:.0f} s; per operation: {dict(sorted(per_operation.items()))}")
