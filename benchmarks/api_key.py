"""The API key the HTTP benchmarks send (``Authorization: Api-Key <key>``).

Either the caller passes one (``--api-key``), or a throwaway API client holding
every role is created in the benchmark's own database, after its migrations,
through ``access_control.clients.create_client``. Each run creates a new client
(names are unique); the benchmark databases are scratch databases.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Run by `manage.py shell -c` (Django set up); the key is printed alone on the last line.
_CREATE = """
import os
from access_control.clients import create_client
print(create_client(os.environ["BENCH_CLIENT_NAME"], ["simulate", "support"]).key)
"""

# Benchmark servers are not throttled unless the caller sets the rates itself.
UNTHROTTLED = {"DPM_THROTTLE_SIMULATE": "100000000/min", "DPM_THROTTLE_SUPPORT": "100000000/min"}


def create_bench_key(env: dict[str, str], prefix: str = "bench") -> str:
    """A new client's key, created in the database that ``env`` (DATABASE_URL) names."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    proc = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-startup", "-c", _CREATE],
        cwd=REPO, env={**env, "BENCH_CLIENT_NAME": name},
        capture_output=True, text=True, timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"creating API client {name} failed: {proc.stderr.strip()[-2000:]}")
    return proc.stdout.strip().splitlines()[-1]


def auth_header(key: str) -> dict[str, str]:
    return {"Authorization": f"Api-Key {key}"}
