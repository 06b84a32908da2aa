"""Time of the request boundary: decode, validate, build the engine objects, hash.

Usage (repository root):

    .venv/bin/python -m benchmarks.boundary_speed                 # N = 10 and 1,000
    .venv/bin/python -m benchmarks.boundary_speed --sizes 10 100 1000 5000

For each size it builds one simulate body with ``tests.factories.scaled_simulate_body``
(held positions with a tax lot for half the instruments, a sector attribute on every
shelf entry), then times what a simulate request does before the engine runs:
``validate_request_body`` on the raw bytes, ``to_engine()`` and the request hash of
``request_tree()``. Prints the median and the minimum over the repetitions. No database,
no network.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: put the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Each repetition is bounded; the whole run takes seconds.
TIME_BUDGET_S = 2.0
MAX_REPETITIONS = 2_000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lotus_manage.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    import django

    django.setup()
    from rebalance.boundary import RebalanceRequest, validate_request_body
    from rebalance.request_hash import hash_of_tree
    from tests.factories import scaled_simulate_body

    def boundary(raw: bytes) -> None:
        request, issues = validate_request_body(raw, RebalanceRequest)
        assert not issues, issues[:3]
        request.to_engine()
        hash_of_tree(request.request_tree())

    print(f"{'instruments':>11}  {'median ms':>10}  {'min ms':>8}  {'reps':>5}")
    for size in args.sizes:
        raw = json.dumps(scaled_simulate_body(size, variant="B", holdings=True)).encode()
        boundary(raw)  # warm-up
        times: list[float] = []
        deadline = time.perf_counter() + TIME_BUDGET_S
        while len(times) < MAX_REPETITIONS and (len(times) < 5 or time.perf_counter() < deadline):
            started = time.perf_counter()
            boundary(raw)
            times.append(time.perf_counter() - started)
        print(f"{size:>11}  {statistics.median(times) * 1000:>10.3f}  "
              f"{min(times) * 1000:>8.3f}  {len(times):>5}")


if __name__ == "__main__":
    main()
