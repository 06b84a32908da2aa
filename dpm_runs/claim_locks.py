"""Is the worker holding an idempotency claim still alive? (PostgreSQL advisory locks)

While it computes, the claimer holds a session-level advisory lock named after
(client, key). PostgreSQL drops a session's locks the moment its connection
ends, so when a worker process dies (SIGKILL, OOM, gunicorn's timeout) its lock
goes with it, long before its lease would run out. A duplicate request that
finds the claim IN_PROGRESS tries the lock:

* it gets it: no live session holds the key, so the claimer is dead and the
  duplicate takes the claim over at once;
* it does not: the claimer is alive, however long it has run, and the
  duplicate must wait (409), so a long computation is never run twice.

The claim's INSERT takes the lock in the same statement (``RETURNING
pg_try_advisory_lock(...)``, before the row is committed), and the statement
that completes or deletes the claim drops it (``RETURNING
pg_advisory_unlock(...)``), so a live claim is never seen without its lock and
the lock costs no round trip of its own on the fresh path. The unlock runs just
before that statement's commit: a duplicate that slips into the gap takes the
lock but not the claim, because its compare-and-set waits for the row and then
finds it completed (or gone). See dpm_runs/repository.py.

Session locks need a session of their own for as long as the computation
runs: a pooler in transaction mode (PgBouncer ``pool_mode=transaction``) would
hand the session to other clients and must not sit between the service and
PostgreSQL; session mode, or no pooler, is required (docs/operations.md).

SQLite has no such locks: there, ``acquire`` answers None and the claim
protocol falls back to the lease alone.

Session locks are re-entrant: a session that already holds the key's lock
would get it again and conclude that the (its own) claimer is dead. Each
connection therefore remembers the locks it took; for those ``acquire``
answers None as well (the lease decides), which only happens when one
connection claims the same key twice, as single-connection tests do.
"""
from __future__ import annotations

import hashlib
import logging

from django.db import connections

logger = logging.getLogger("dpm_runs.claim_locks")

# Keeps these lock ids apart from any other user of advisory locks.
_NAMESPACE = b"lotus-manage/idempotency-claim/"


def lock_id(client_id: int, key: str) -> int:
    """A signed 64-bit lock id for (client, key); a collision only makes a
    duplicate wait for an unrelated live claim, it never allows a take-over."""
    digest = hashlib.blake2b(_NAMESPACE + f"{client_id}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _held(using: str) -> set[int] | None:
    """Lock ids this connection's current session holds; None without advisory locks."""
    wrapper = connections[using]
    if wrapper.vendor != "postgresql":
        return None
    wrapper.ensure_connection()
    raw = wrapper.connection
    remembered = getattr(wrapper, "_lotus_claim_locks", None)
    if remembered is None or remembered[0] is not raw:
        # A new session (reconnect): whatever the old one held died with it.
        remembered = (raw, set())
        wrapper._lotus_claim_locks = remembered
    return remembered[1]


def supported(using: str) -> bool:
    """Whether this database has session advisory locks (PostgreSQL)."""
    return connections[using].vendor == "postgresql"


def taken(using: str, client_id: int, key: str, got_it: bool) -> None:
    """Record the outcome of the lock the claim's INSERT tried to take.

    ``got_it`` is False only in a narrow race: the key's previous holder deleted or
    completed its claim and has not yet dropped its lock. Wait for it (briefly),
    since a claim must not stand without its holder's lock.
    """
    held = _held(using)
    ident = lock_id(client_id, key)
    if not got_it:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ident])
    held.add(ident)


def holds(using: str, client_id: int, key: str) -> bool:
    """Whether this connection's session holds the key's lock."""
    held = _held_without_connecting(using)
    return bool(held) and lock_id(client_id, key) in held


def forget(using: str, client_id: int, key: str) -> None:
    """The lock was dropped by a statement of the caller's (``RETURNING pg_advisory_unlock``)."""
    held = _held_without_connecting(using)
    if held:
        held.discard(lock_id(client_id, key))


def acquire(using: str, client_id: int, key: str) -> bool | None:
    """Try to take the key's lock. Returns whether a live claimer may hold the key:

    * False: we now hold the lock, so no other live session does;
    * True: another live session holds it;
    * None: unknown (SQLite, or this session already holds it): use the lease.
    """
    held = _held(using)
    if held is None:
        return None
    ident = lock_id(client_id, key)
    if ident in held:
        return None
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ident])
        got_it = cursor.fetchone()[0]
    if got_it:
        held.add(ident)
    return not got_it


def release(using: str, client_id: int, key: str) -> None:
    """Drop the key's lock if this session holds it.

    If the unlock itself fails, the connection is closed instead (which ends
    the session and its locks): a lock left behind on a persistent connection
    would make every duplicate of the key wait forever.
    """
    held = _held_without_connecting(using)
    ident = lock_id(client_id, key)
    if not held or ident not in held:
        return
    held.discard(ident)
    try:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ident])
    except Exception:
        logger.warning("could not unlock an idempotency claim; closing the connection", exc_info=True)
        try:
            connections[using].close()
        except Exception:
            pass  # a broken connection is gone either way


def _held_without_connecting(using: str) -> set[int] | None:
    """Like ``_held`` but never opens a connection (a closed one holds no locks)."""
    wrapper = connections[using]
    remembered = getattr(wrapper, "_lotus_claim_locks", None)
    if remembered is None or wrapper.connection is None or remembered[0] is not wrapper.connection:
        return None
    return remembered[1]
