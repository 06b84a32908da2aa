"""Exceptions shared by the engine and the HTTP boundary.

Kept free of Django/DRF imports so that the engine (and the batch runner) can import
them in plain Python.
"""

from __future__ import annotations


class InvalidOptions(ValueError):
    """A scenario's ``options`` object failed ``EngineOptions`` validation.

    ``message`` is the ``msg`` of the *first* validation issue (declaration order, see
    api.md §3.18 "Order of issues"); the batch reports it as
    ``"INVALID_OPTIONS: " + message``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RunIdTaken(Exception):
    """The run id of a fresh result is already recorded; run again under a new id."""
