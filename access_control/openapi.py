"""How the OpenAPI document declares ``Authorization: Api-Key <key>``, and the
401/403/429 answers of every operation that needs a key, and its 503 (checking a
key needs the database).

Swagger UI's "Authorize" dialog sends the value as typed, so the description
asks for the whole header value, keyword included. The answers are added by a
postprocessing hook (settings: SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])
rather than repeated on each view.
"""
from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from lotus_manage.database_outage import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from lotus_manage.problems import PROBLEM_CONTENT_TYPE

from .authentication import API_KEY_INVALID, AUTHENTICATION_REQUIRED, KEYWORD
from .permissions import ROLE_REQUIRED

SECURITY_SCHEME_NAME = "ApiKeyAuth"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "access_control.authentication.ApiKeyAuthentication"
    name = SECURITY_SCHEME_NAME

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                f"An API key issued to your client, sent as `Authorization: {KEYWORD} <key>`. "
                f"In Swagger UI's Authorize dialog, enter `{KEYWORD} <key>` (keyword, space, key). "
                "Keys carry roles: `simulate` (run simulations, read your own runs) and "
                "`support` (read any run)."
            ),
        }


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
CORRELATION_HEADER = {
    "schema": {"type": "string"},
    "required": True,
    "description": "The request's correlation id: the X-Correlation-Id it sent, or a generated "
    "`corr_<32 hex>`. Sent on every response, errors included.",
}


def _problem_example(status: int, title: str, detail: str, path: str) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": path,
        "correlation_id": "corr_0f8e0c6b2f4a4c1e9d3b7a5c1e2f3a4b",
    }


def _response(description: str, example: dict[str, Any], headers: dict[str, Any] | None = None):
    return {
        "description": description,
        "headers": {"X-Correlation-Id": CORRELATION_HEADER, **(headers or {})},
        "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF, "examples": {"Example": {"value": example}}}},
    }


def _access_responses(path: str) -> dict[str, Any]:
    return {
        "401": _response(
            "No usable API key: missing, malformed, unknown, expired or revoked. `detail` is one "
            f"of `{AUTHENTICATION_REQUIRED}`, `DPM_API_KEY_MALFORMED`, `{API_KEY_INVALID}`, "
            "`DPM_API_KEY_EXPIRED`, `DPM_API_KEY_REVOKED`.",
            _problem_example(401, "Unauthorized", AUTHENTICATION_REQUIRED, path),
            {"WWW-Authenticate": {"schema": {"type": "string", "enum": [KEYWORD]}, "required": True,
                                  "description": "The authentication scheme to use."}},
        ),
        "403": _response(
            f"The key's client lacks the role this operation needs (`{ROLE_REQUIRED}: <roles>`).",
            _problem_example(403, "Forbidden", f"{ROLE_REQUIRED}: support", path),
        ),
        "429": _response(
            "Too many requests from this client in the current window; retry after `Retry-After` seconds.",
            _problem_example(429, "Too Many Requests", "Request was throttled. Expected available in 12 seconds.", path),
            {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "required": True,
                             "description": "Seconds until the client's window resets."}},
        ),
    }


def add_access_control_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """Add the 401/403/429 answers to every operation secured by an API key."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            secured = any(SECURITY_SCHEME_NAME in scheme for scheme in operation.get("security", []))
            if not secured:
                continue
            responses = operation.setdefault("responses", {})
            for status, response in _access_responses(path).items():
                responses.setdefault(status, response)
            operation["responses"] = dict(sorted(responses.items()))
    return result


_DATABASE_RETRY_AFTER = {
    "schema": {"type": "integer", "minimum": 1},
    "required": True,
    "description": f"Seconds to wait before retrying ({RETRY_AFTER_SECONDS}).",
}


def add_database_unavailable_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """Add the 503 ``DATABASE_UNAVAILABLE`` answer to every operation secured by an API
    key (checking the key needs the database), and ``Retry-After`` to every 503."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if any(SECURITY_SCHEME_NAME in scheme for scheme in operation.get("security", [])):
                responses.setdefault("503", _response(
                    "The database cannot be reached (or was lost during the request); nothing "
                    "was recorded. Retry after `Retry-After` seconds.",
                    _problem_example(503, "Service Unavailable", DATABASE_UNAVAILABLE, path),
                ))
                operation["responses"] = dict(sorted(responses.items()))
            if "503" in responses:
                responses["503"].setdefault("headers", {}).setdefault("Retry-After", _DATABASE_RETRY_AFTER)
    return result
