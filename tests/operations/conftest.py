"""Fixtures of the operations tests: a served database, gunicorn servers, a PostgreSQL-only mark."""
from __future__ import annotations

import os

import pytest

from .served import Server, create_served_database, drop_served_database

POSTGRESQL_ONLY = (
    "needs PostgreSQL (DATABASE_URL=postgres://...): a database outage and a dead worker's "
    "claim are PostgreSQL situations (SQLite is a local file; its claims use the lease alone)"
)


@pytest.fixture(scope="session")
def served_database(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    served = create_served_database(url, tmp_path_factory.mktemp("served"))
    yield served
    drop_served_database(served, url)


@pytest.fixture
def postgresql_served(served_database):
    if served_database.vendor != "postgresql":
        pytest.skip(POSTGRESQL_ONLY)
    return served_database


@pytest.fixture
def start_servers(tmp_path):
    """``start_servers((database_url, workers, env), ...)``: servers booted in parallel."""
    started: list[Server] = []

    def _start(*specs):
        servers = []
        for i, (url, workers, env) in enumerate(specs):
            server = Server(url, tmp_path / f"gunicorn-{len(started)}.log", workers=workers, **env)
            started.append(server)
            servers.append(server)
        for server in servers:
            server.wait_until_serving()
        return servers

    yield _start
    for server in started:
        server.stop()
