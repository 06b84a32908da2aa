"""Simulate bodies this worker validated recently, for the retries that resend them.

An idempotent retry resends the same bytes, and validating them again (JSON parsing,
pydantic, the canonical text and its hash) was most of what answering a replay cost.
A worker keeps the validated request of its last ``MAX_ENTRIES`` small bodies, keyed
by the client and the SHA-256 of the raw bytes, and hands the same request back for
the same bytes. Keyed per client, so that no client can tell from a response time
whether another sent a body. Validation is deterministic, so a remembered request is
exactly what validating again would give; only valid bodies are remembered.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from pydantic import BaseModel

# Small bodies only (a 10-instrument simulate is about 9 KB): bounds the memory, and
# larger bodies spend their time in the engine, not in validation.
MAX_BODY_BYTES = 32 * 1024
MAX_ENTRIES = 64


class ValidatedBodies:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_body_bytes: int = MAX_BODY_BYTES):
        self._max_entries, self._max_body_bytes = max_entries, max_body_bytes
        self._entries: OrderedDict[tuple[int, bytes], BaseModel] = OrderedDict()
        self._lock = threading.Lock()  # the development server is threaded

    def _key(self, client_id: int, raw: bytes) -> tuple[int, bytes] | None:
        if len(raw) > self._max_body_bytes:
            return None
        return client_id, hashlib.sha256(raw).digest()

    def validated(
        self, client_id: int, raw: bytes, validate: Callable[[bytes], tuple[BaseModel | None, list]]
    ) -> tuple[BaseModel | None, list]:
        """The request remembered for these bytes of this client, else ``validate(raw)``
        (``(model, issues)``), remembered when valid."""
        key = self._key(client_id, raw)
        if key is not None:
            with self._lock:
                model = self._entries.get(key)
                if model is not None:
                    self._entries.move_to_end(key)
                    return model, []
        model, issues = validate(raw)
        if key is not None and model is not None:
            with self._lock:
                self._entries[key] = model
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
        return model, issues


simulate_bodies = ValidatedBodies()
