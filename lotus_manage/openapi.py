"""OpenAPI pieces every app shares: problem-details bodies, their examples, headers.

The bodies are the ones ``lotus_manage/problems.py`` sends; they are declared here once
as typed dicts and rendered into the document by ``lotus_manage/openapi_pydantic.py``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from pydantic import Field, WithJsonSchema
from typing_extensions import NotRequired, TypedDict

from lotus_manage import openapi_pydantic  # noqa: F401  (registers the schema extensions)
from lotus_manage.problems import INTERNAL_ERROR_DETAIL, TOO_LARGE_DETAIL

_CORRELATION_ID_TEXT = (
    "The request's correlation id (also in the X-Correlation-Id header); `null` only for "
    "errors raised before the id was assigned (e.g. a disallowed Host)."
)

CORRELATION_ID_RESPONSE_HEADER = OpenApiParameter(
    "X-Correlation-Id", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, response=True,
    description="The request's correlation id: the X-Correlation-Id it sent, or a generated "
    "`corr_<32 hex>`. Sent on every response, errors included.",
)


def _doc(kind: Any, text: str) -> Any:
    return Annotated[kind, Field(description=text)]


class Problem(TypedDict):
    """RFC 9457 problem details; `detail` is a stable code or message."""

    type: _doc(str, 'Always `"about:blank"`.')
    title: _doc(str, "HTTP reason phrase of `status`.")
    status: _doc(int, "HTTP status code.")
    detail: _doc(
        str,
        "`IDEMPOTENCY_KEY_CONFLICT: request hash mismatch`, `IDEMPOTENCY_KEY_IN_PROGRESS`, "
        "`DPM_RUN_NOT_FOUND`, `DPM_IDEMPOTENCY_KEY_NOT_FOUND`, `DPM_SUPPORT_APIS_DISABLED`, "
        "`Not Found`, `Method Not Allowed`, `Request body exceeds the configured size limit.` "
        "or `An unexpected error occurred.`",
    )
    instance: _doc(str, "Path of the request.")
    correlation_id: _doc(str | None, _CORRELATION_ID_TEXT)


_EMPTY_OBJECT = WithJsonSchema({"type": "object", "properties": {}, "additionalProperties": False})


class ValidationIssueContext(TypedDict, total=False):
    """Extra facts of some issue types; every key is optional."""

    error: _doc(
        str | Annotated[dict[str, Any], _EMPTY_OBJECT],
        "`{}` for `value_error`; the parser message for `json_invalid`.",
    )
    expected: _doc(str, "`literal_error`/`enum`: the allowed values, e.g. `'A', 'B' or 'C'`.")
    ge: _doc(int | str, "`greater_than_equal`: the lower bound.")
    le: _doc(int | str, "`less_than_equal`: the upper bound.")
    max_length: _doc(int, "`too_long`, `string_too_long`: the maximum length.")
    field_type: _doc(str, "`too_long`: `List`, `Dictionary` or `Body` (too many commas).")
    actual_length: _doc(int, "`too_long`: the length sent.")
    max_digits: _doc(int, "`decimal_max_digits`: the most significant digits a decimal may have.")
    min_exponent: _doc(int, "`decimal_out_of_range`: the smallest adjusted exponent.")
    max_exponent: _doc(int, "`decimal_out_of_range`: the largest adjusted exponent.")


class ValidationIssue(TypedDict):
    """One validation failure, in pydantic's vocabulary."""

    type: _doc(
        str,
        "Machine code: `missing`, `value_error`, `literal_error`, `enum`, `string_type`, "
        "`string_too_long`, `decimal_parsing`, `decimal_max_digits`, `too_long`, "
        "`json_invalid`, ...",
    )
    loc: _doc(
        list[str | int],
        'Path to the problem: `"header"` or `"body"`, then keys and array indexes.',
    )
    msg: _doc(str, "Human-readable message.")
    input: NotRequired[_doc(
        Annotated[Any, WithJsonSchema({"nullable": True})],
        "The offending input (any JSON value; `null` for a missing header; the enclosing "
        "object for a missing body field). When its JSON text is longer than 2,000 "
        "characters it is replaced by a string of its first 2,000 characters followed by `…`.",
    )]
    ctx: NotRequired[ValidationIssueContext]


class ValidationProblem(TypedDict):
    """Problem details of a 422: `detail` lists the issues, header issues first (at most 100)."""

    type: _doc(str, 'Always `"about:blank"`.')
    title: _doc(str, "HTTP reason phrase of `status`.")
    status: _doc(int, "Always 422.")
    detail: list[ValidationIssue]
    instance: _doc(str, "Path of the request.")
    correlation_id: _doc(str | None, _CORRELATION_ID_TEXT)


EXAMPLE_CORRELATION_ID = "corr_3f2a9c1d5e7b4a60b8d2e4f6a1c3b5d7"


def problem_body(status: int, detail: Any, instance: str) -> dict[str, Any]:
    """A problem-details body as ``lotus_manage/problems.py`` sends it."""
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "correlation_id": EXAMPLE_CORRELATION_ID,
    }


def problem_example(
    name: str, status: int, detail: Any, instance: str, description: str | None = None
) -> OpenApiExample:
    return OpenApiExample(
        name, value=problem_body(status, detail, instance), description=description,
        response_only=True,
    )


def not_found_response(*codes: str, instance: str) -> OpenApiResponse:
    """The 404 of a lookup, with one example per ``detail`` code."""
    return OpenApiResponse(
        Problem,
        description="Problem details; `detail` says which: no such record, or the support "
        "lookups are switched off (`DPM_SUPPORT_APIS_ENABLED`).",
        examples=[problem_example(code, 404, code, instance) for code in codes],
    )


def too_large_response(path: str) -> OpenApiResponse:
    return OpenApiResponse(
        Problem,
        description="The body is larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` (20 MB by default).",
        examples=[problem_example("Too large", 413, TOO_LARGE_DETAIL, path)],
    )


def server_error_response(path: str) -> OpenApiResponse:
    return OpenApiResponse(
        Problem,
        description="Unexpected failure; the body reveals nothing about it.",
        examples=[problem_example("Internal error", 500, INTERNAL_ERROR_DETAIL, path)],
    )


def validation_response(examples: list[OpenApiExample], what: str) -> OpenApiResponse:
    return OpenApiResponse(
        ValidationProblem,
        description="Validation failed; `detail` lists the issues of the request, header "
        f"issues first. {what}",
        examples=examples,
    )
