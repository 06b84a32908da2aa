"""One Idempotency-Key, many concurrent requests, two server processes: one run, always.

Usage (repository root, PostgreSQL reachable on 127.0.0.1):

    .venv/bin/python benchmarks/http_concurrency.py
    .venv/bin/python benchmarks/http_concurrency.py --requests 64 --rounds 10 --instruments 400

What it does:

1. Creates the database ``lotus_manage_concurrency`` if it does not exist (server from
   ``--pg``, else the server part of ``$DATABASE_URL``, else
   ``postgres://postgres@127.0.0.1:5432``) and migrates it.
2. Starts two gunicorn processes (1 worker each, ``gthread`` with ``--threads`` threads,
   so each process holds several database connections) on free 127.0.0.1 ports.
3. For each round and each mode, lines up ``--requests`` threads on a barrier and sends
   ``POST /rebalance/simulate`` with one fresh key, alternating between the two servers:
   * ``same``:  every request has the same body;
   * ``mixed``: even requests body A, odd requests body B.
4. Checks every answer and then the database and the lookups of both servers:
   exactly one run row and one COMPLETED mapping for the key; every 200 is the same bytes;
   exactly one 200 is fresh (``Idempotent-Replayed: false``); the other answers are
   replays, 409 ``IDEMPOTENCY_KEY_IN_PROGRESS`` with ``Retry-After`` (same body) or 409
   ``IDEMPOTENCY_KEY_CONFLICT: request hash mismatch`` (the other body); a retry after
   the burst is the replay.
5. Prints the outcome counts per round and in total; exits 1 on any violation, 2 when the
   set-up fails. The servers are stopped on every path.

Requests carry an API key: ``--api-key KEY`` (a key of a client with the simulate role in
that database), or by default a new client with every role, created after migrating. The
servers' throttle rates are raised out of the way unless DPM_THROTTLE_* are set.

Traffic goes to 127.0.0.1 only. Every request has a timeout, the request count is capped
(``MAX_REQUESTS``) and the whole run has a deadline (``--deadline``). The request bodies are
synthetic (``--instruments`` model targets; more instruments = longer engine runs = more
requests overlapping an unfinished first call).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

if __package__:
    from .api_key import UNTHROTTLED, auth_header, create_bench_key
else:  # run as a script: benchmarks/ is on sys.path
    from api_key import UNTHROTTLED, auth_header, create_bench_key

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the request factories live in tests/
    sys.path.insert(0, str(REPO))

from tests.factories import scaled_simulate_body  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432"
DATABASE = "lotus_manage_concurrency"
MAX_REQUESTS = 512
IN_PROGRESS = "IDEMPOTENCY_KEY_IN_PROGRESS"
CONFLICT = "IDEMPOTENCY_KEY_CONFLICT: request hash mismatch"
# Runs this script must never confuse with a real database.
HOST = "127.0.0.1"
# Set once in main(): the API key every request sends.
API_KEY = ""


class Violation(AssertionError):
    """The idempotency guarantee (or the HTTP contract around it) did not hold."""


@dataclass
class Answer:
    index: int
    server: int
    body_label: str
    status: int
    replayed: str | None
    retry_after: str | None
    content_type: str | None
    content: bytes
    seconds: float

    @property
    def detail(self) -> str | None:
        if self.status == 200:
            return None
        try:
            return json.loads(self.content).get("detail")
        except (ValueError, AttributeError):
            return None

    @property
    def label(self) -> str:
        if self.status == 200:
            return "200 replay" if self.replayed == "true" else "200 fresh"
        if self.status == 409 and self.detail == IN_PROGRESS:
            return "409 in progress"
        if self.status == 409 and self.detail == CONFLICT:
            return "409 conflict"
        return f"{self.status} other"


# --- request bodies ---------------------------------------------------------------------


def build_body(instruments: int, variant: str) -> bytes:
    """A READY rebalance into ``instruments`` targets; variants A and B differ in hash."""
    return json.dumps(scaled_simulate_body(instruments, variant=variant)).encode()


# --- HTTP ---------------------------------------------------------------------------------


def request(url: str, body: bytes | None, key: str | None, timeout: float):
    """(status, headers, content) of one request; HTTP errors are answers, not exceptions."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    headers.update(auth_header(API_KEY))
    if key is not None:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                 headers=headers)
    assert urllib.parse.urlsplit(url).hostname == HOST
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def burst(
    bases: list[str], bodies: list[tuple[str, bytes]], key: str, timeout: float
) -> list[Answer]:
    """Send every body at once (one thread each, released by a barrier), split over the servers."""
    barrier = threading.Barrier(len(bodies))
    answers: list[Answer | None] = [None] * len(bodies)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        label, body = bodies[i]
        # Pairs alternate between servers (0, 0, 1, 1, ...), so that with alternating
        # bodies (A, B, A, B, ...) each server gets both bodies.
        server = (i // 2) % len(bases)
        try:
            barrier.wait(timeout=timeout)
            start = time.perf_counter()
            url = f"{bases[server]}/rebalance/simulate"
            status, headers, content = request(url, body, key, timeout)
            answers[i] = Answer(
                i, server, label, status,
                headers.get("Idempotent-Replayed"), headers.get("Retry-After"),
                headers.get("Content-Type"), content, time.perf_counter() - start,
            )
        except BaseException as exc:  # noqa: BLE001 - reported as a violation below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout * 2)
    if errors:
        raise Violation(f"{len(errors)} requests failed without an HTTP answer: {errors[0]!r}")
    missing = [i for i, a in enumerate(answers) if a is None]
    if missing:
        raise Violation(f"requests {missing} did not finish within {timeout * 2:.0f} s")
    return answers  # type: ignore[return-value]


# --- checks ---------------------------------------------------------------------------------


def check_answers(answers: list[Answer]) -> Answer:
    """The HTTP side: one fresh 200, identical 200 bytes, only the allowed 409s. Returns the
    fresh answer."""
    fresh = [a for a in answers if a.label == "200 fresh"]
    if len(fresh) != 1:
        raise Violation(f"{len(fresh)} fresh executions answered 200 (expected exactly 1)")
    winner = fresh[0]
    for a in answers:
        if a.status == 200:
            if a.content != winner.content:
                raise Violation(f"request {a.index} got a 200 body different from the fresh one")
            continue
        if a.status != 409 or a.content_type != "application/problem+json":
            raise Violation(f"request {a.index}: unexpected {a.status} {a.content[:300]!r}")
        if a.body_label == winner.body_label:
            if a.detail != IN_PROGRESS:
                raise Violation(f"request {a.index} (same body): 409 {a.detail!r}")
            if not (a.retry_after or "").isdigit() or int(a.retry_after) < 1:
                raise Violation(f"request {a.index}: 409 in progress without a valid Retry-After")
        elif a.detail != CONFLICT:
            raise Violation(f"request {a.index} (other body): 409 {a.detail!r}, not a conflict")
    return winner


def check_database(dsn: str, key: str, run_id: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        runs = conn.execute(
            "SELECT rebalance_run_id FROM dpm_runs_rebalancerun WHERE idempotency_key = %s", (key,)
        ).fetchall()
        records = conn.execute(
            "SELECT r.state, run.rebalance_run_id FROM dpm_runs_idempotencyrecord r "
            "LEFT JOIN dpm_runs_rebalancerun run ON run.id = r.run_id WHERE r.key = %s", (key,)
        ).fetchall()
    run_ids = [r[0] for r in runs]
    if run_ids != [run_id]:
        raise Violation(f"database holds runs {run_ids} for the key, expected [{run_id}]")
    if records != [("COMPLETED", run_id)]:
        raise Violation(f"idempotency record {records}, expected [('COMPLETED', {run_id!r})]")


def check_lookups(bases: list[str], key: str, run_id: str, timeout: float) -> None:
    quoted = urllib.parse.quote(key, safe="")
    for base in bases:
        url = f"{base}/rebalance/runs/idempotency/{quoted}"
        status, _, content = request(url, None, None, timeout)
        if status != 200 or json.loads(content)["rebalance_run_id"] != run_id:
            raise Violation(f"{base}: idempotency lookup answered {status} {content[:200]!r}")


def check_retry(
    bases: list[str], key: str, winner: Answer, bodies: dict[str, bytes], timeout: float
) -> None:
    """After the burst, the same body is a replay on either server (Retry-After not honoured:
    the first call is known to have finished)."""
    for base in bases:
        url = f"{base}/rebalance/simulate"
        status, headers, content = request(url, bodies[winner.body_label], key, timeout)
        replayed = headers.get("Idempotent-Replayed")
        if status != 200 or replayed != "true" or content != winner.content:
            raise Violation(f"{base}: retry after the burst: {status}, replayed={replayed}")


# --- servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def pg_server(args) -> str:
    if args.pg:
        return args.pg.rstrip("/")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", "")).rstrip("/")
    return DEFAULT_PG


def ensure_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def start_server(port: int, threads: int, env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "lotus_manage.wsgi:application",
         "--bind", f"{HOST}:{port}", "--workers", "1",
         "--worker-class", "gthread" if threads > 1 else "sync", "--threads", str(threads),
         "--timeout", "120", "--log-level", "warning"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with its worker below
    )


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def wait_until_up(base: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server {base} exited with {proc.returncode}")
        try:
            status, _, _ = request(f"{base}/rebalance/runs/rr_ping", None, None, 2)
            if status == 404:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server {base} did not come up within {seconds:.0f} s")


# --- main -----------------------------------------------------------------------------------

COLUMNS = ("200 fresh", "200 replay", "409 in progress", "409 conflict")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--requests", type=int, default=64, help="concurrent requests per burst (32-512)")
    add("--rounds", type=int, default=5, help="bursts per mode, each with a fresh key")
    add("--modes", nargs="+", choices=["same", "mixed"], default=["same", "mixed"])
    add("--threads", type=int, default=16, help="gunicorn threads per server (1 = sync)")
    add("--instruments", type=int, default=200, help="model targets in the request body")
    add("--pg", default=None, help="PostgreSQL server URL without database name "
                                   f"(default: from $DATABASE_URL, else {DEFAULT_PG})")
    add("--database", default=DATABASE)
    add("--timeout", type=float, default=60.0, help="seconds per request")
    add("--deadline", type=float, default=600.0, help="seconds for all bursts")
    add("--api-key", default=None, help="API key to send (default: create a client for this run)")
    add("--negative-control", action="store_true",
        help="start the servers with replay disabled: every burst must then be reported as a "
             "violation (checks the checker); exits 0 only if all were caught")
    args = parser.parse_args(argv)
    if not 32 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be between 32 and {MAX_REQUESTS}")
    if min(args.rounds, args.instruments, args.threads) < 1:
        parser.error("--rounds, --instruments and --threads must be positive")
    args.dsn = f"{pg_server(args)}/{args.database}"
    if urllib.parse.urlsplit(args.dsn).hostname not in (HOST, "localhost"):
        parser.error("this script only talks to a local PostgreSQL (127.0.0.1)")
    return args


def run_round(bases, bodies, mode: str, args) -> tuple[list[Answer], str]:
    """One burst with a fresh key and every check; (answers, "ok" or the violation)."""
    key = f"conc-{mode}-{uuid.uuid4().hex}"
    labels = ["A" if mode == "same" or i % 2 == 0 else "B" for i in range(args.requests)]
    answers: list[Answer] = []
    try:
        answers = burst(bases, [(label, bodies[label]) for label in labels], key, args.timeout)
        winner = check_answers(answers)
        run_id = json.loads(winner.content)["rebalance_run_id"]
        check_database(args.dsn, key, run_id)
        check_lookups(bases, key, run_id, args.timeout)
        check_retry(bases, key, winner, bodies, args.timeout)
    except Violation as exc:
        return answers, f"VIOLATION: {exc}"
    return answers, "ok"


def run_bursts(bases, bodies, args, started: float) -> int:
    """All rounds of all modes; prints one line per burst and the totals. Returns failures."""
    totals: Counter[str] = Counter()
    per_server: Counter[tuple[int, str]] = Counter()
    retry_afters: list[int] = []
    failures = 0
    print(f"{'mode':<6} {'round':>5} {'fresh':>5} {'replay':>6} {'409 prog':>8} "
          f"{'409 confl':>9} {'other':>5} {'max s':>6}  result")
    for mode in args.modes:
        for rnd in range(1, args.rounds + 1):
            if time.monotonic() - started > args.deadline:
                print(f"deadline of {args.deadline:.0f} s reached", file=sys.stderr)
                return failures + 1
            answers, result = run_round(bases, bodies, mode, args)
            failures += result != "ok"
            counts = Counter(a.label for a in answers)
            totals.update(counts)
            per_server.update((a.server, a.label) for a in answers)
            retry_afters += [int(a.retry_after) for a in answers
                             if a.label == "409 in progress" and (a.retry_after or "").isdigit()]
            other = sum(n for label, n in counts.items() if label not in COLUMNS)
            slowest = max((a.seconds for a in answers), default=float("nan"))
            print(f"{mode:<6} {rnd:>5} {counts['200 fresh']:>5} {counts['200 replay']:>6} "
                  f"{counts['409 in progress']:>8} {counts['409 conflict']:>9} {other:>5} "
                  f"{slowest:>6.2f}  {result}")
    print("totals: " + ", ".join(f"{label}: {n}" for label, n in sorted(totals.items())))
    for index, base in enumerate(bases):
        mine = [f"{label}: {n}" for (s, label), n in sorted(per_server.items()) if s == index]
        print(f"server {index + 1} ({base}): " + ", ".join(mine))
    if retry_afters:
        print(f"Retry-After on 409 in progress: {min(retry_afters)}-{max(retry_afters)} s")
    return failures


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    env = {
        **os.environ,
        "DATABASE_URL": args.dsn,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "concurrency-check-only-secret-key"),
        "ALLOWED_HOSTS": HOST,
        "DPM_IDEMPOTENCY_REPLAY_ENABLED": "false" if args.negative_control else "true",
        "DPM_SUPPORT_APIS_ENABLED": "true",
        **{name: os.environ.get(name, rate) for name, rate in UNTHROTTLED.items()},
    }
    global API_KEY
    try:
        ensure_database(pg_server(args), args.database)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                       cwd=REPO, env=env, check=True, timeout=300)
        API_KEY = args.api_key or create_bench_key(env, "bench-concurrency")
    except Exception as exc:  # noqa: BLE001
        print(f"set-up failed: {exc}", file=sys.stderr)
        return 2

    bodies = {"A": build_body(args.instruments, "A"), "B": build_body(args.instruments, "B")}
    ports = [free_port()]
    while len(ports) < 2:
        port = free_port()
        if port not in ports:
            ports.append(port)
    bases = [f"http://{HOST}:{port}" for port in ports]
    log = tempfile.NamedTemporaryFile("w+", prefix="http_concurrency_", suffix=".log", delete=False)
    procs = [start_server(port, args.threads, env, log) for port in ports]
    try:
        try:
            for base, proc in zip(bases, procs):
                wait_until_up(base, proc, 60)
            for base in bases:  # load the engine in both workers before the first burst
                key = f"warm-{uuid.uuid4().hex}"
                status, _, content = request(f"{base}/rebalance/simulate", bodies["A"], key,
                                             args.timeout)
                if status != 200:
                    raise RuntimeError(f"warm-up on {base} answered {status}: {content[:200]!r}")
        except Exception as exc:  # noqa: BLE001
            print(f"set-up failed: {exc}", file=sys.stderr)
            failures = -1
        else:
            workers = f"gthread, {args.threads} threads" if args.threads > 1 else "sync"
            print(f"2 gunicorn processes (1 worker each, {workers}) on ports {ports[0]} and "
                  f"{ports[1]}; PostgreSQL database {args.database}; {args.requests} concurrent "
                  f"requests per burst; {args.instruments} instruments per body "
                  f"({len(bodies['A']) // 1024} KiB)")
            failures = run_bursts(bases, bodies, args, started)
    finally:
        for proc in procs:
            stop_server(proc)
        log.seek(0)
        server_log = log.read()
        log.close()
        os.unlink(log.name)

    print(f"elapsed {time.monotonic() - started:.1f} s")
    if args.negative_control and failures >= 0:
        bursts = args.rounds * len(args.modes)
        caught = failures == bursts
        print(f"negative control: {failures} of {bursts} bursts reported as violations "
              f"({'as expected' if caught else 'CHECKER MISSED SOME'})")
        return 0 if caught else 1
    if failures and server_log.strip():
        print("--- server log (tail) ---\n" + server_log[-5000:], file=sys.stderr)
    if failures < 0:
        return 2
    if failures:
        print(f"FAILED: {failures} burst(s) broke the one-run-per-key guarantee", file=sys.stderr)
        return 1
    print("OK: every key mapped to exactly one run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
