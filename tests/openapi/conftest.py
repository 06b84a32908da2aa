"""The OpenAPI document of the project, generated once per session.

``openapi`` is what ``manage.py spectacular --validate --fail-on-warn`` writes: the command
fails on any warning or validation error, so every test using it also proves that.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def openapi(tmp_path_factory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("openapi") / "schema.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
        "--file", str(out),
    )
    return json.loads(out.read_text())


@pytest.fixture(scope="session")
def components(openapi) -> dict[str, Any]:
    return openapi["components"]["schemas"]
