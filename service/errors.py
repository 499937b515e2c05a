"""HTTP errors: every failure leaves as ``{"error": {"code", "message"}}`` with a fitting status.

Library code (the index, the corpus writes, the LLM client) raises
:class:`~ragqa.index.errors.RagqaError` subclasses; this module alone chooses their HTTP status
(:data:`RAGQA_STATUS`). User mistakes are 4xx with a message that says what to fix.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ragqa.index.errors import (
    ConfigError,
    DocumentError,
    EmptyCorpusError,
    IndexBusyError,
    IndexCorruptError,
    IndexMissingError,
    IndexWriteError,
    ModelMismatchError,
    ModelUnavailableError,
    QueryError,
    RagqaError,
    UnknownDocumentError,
)
from ragqa.index.pg.errors import DatabaseUnavailableError, StoreError
from ragqa.index.documents.ids import (
    CorpusConflictError,
    InvalidDocumentIdError,
    LastDocumentError,
    UnsupportedFileTypeError,
)
from ragqa.service.llm.errors import LLMError, LLMTimeoutError

logger = logging.getLogger(__name__)

# (status, code) for each of our error types; the first matching entry wins. A code of
# None is the error's own ``code`` (the LLM errors name theirs).
RAGQA_STATUS: list[tuple[type[RagqaError], int, str | None]] = [
    (InvalidDocumentIdError, 400, "invalid_document_id"),
    (UnknownDocumentError, 404, "unknown_document"),
    (UnsupportedFileTypeError, 415, "unsupported_file_type"),
    (LastDocumentError, 409, "last_document"),
    (CorpusConflictError, 409, "conflict"),
    (LLMTimeoutError, 504, None),
    (LLMError, 502, None),
    (QueryError, 422, "invalid_question"),
    (DocumentError, 422, "invalid_document"),
    (EmptyCorpusError, 409, "empty_corpus"),
    (IndexBusyError, 503, "index_busy"),
    (IndexMissingError, 503, "index_missing"),
    (IndexWriteError, 507, "insufficient_storage"),
    (IndexCorruptError, 500, "index_corrupt"),
    (ModelMismatchError, 500, "model_mismatch"),
    (ModelUnavailableError, 503, "model_unavailable"),
    (ConfigError, 500, "configuration_error"),
    (DatabaseUnavailableError, 503, "database_unavailable"),
    (StoreError, 500, "store_error"),
]

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
}


# The body of every error response, for the OpenAPI schema. Written out (not a model
# reference) so that it stays application/json even on routes whose success is text/plain.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    }},
}


def error_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI ``responses`` documenting ``statuses`` with the common error body, so a
    client (or a schema fuzzer) finds every status the API may answer in the schema."""
    return {status: {"description": _DESCRIPTIONS.get(status, "Error"),
                     "content": {"application/json": {"schema": ERROR_SCHEMA}}}
            for status in statuses}


_DESCRIPTIONS = {
    400: "Malformed request (bad JSON, bad document id)",
    401: "Missing or invalid API key",
    403: "Write from a non-loopback client without API keys configured",
    404: "Unknown document",
    409: "Conflict (deleting the last document, a folder under that id)",
    413: "Request body too large",
    415: "Unsupported content type or file type",
    422: "Invalid field values or unreadable document",
    429: "Rate limit exceeded; retry after `Retry-After` seconds",
    503: "Index busy or not available, or the database (RAGQA_STORE=postgres) unreachable",
    507: "No space left to write the corpus or the index; nothing served changed",
}
# What any route may answer besides its success (write routes add 403 and 409).
COMMON_ERRORS = (400, 401, 404, 413, 415, 422, 429, 503)


class ApiError(RagqaError):
    """An error raised at the HTTP edge with its status and machine-readable code."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None,
                 fields: dict[str, str | None] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        # More members of the error object, e.g. OpenAI's "type" and "param" on the
        # OpenAI-compatible routes, so that its clients read the error as their own.
        self.fields = fields or {}


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None,
                   fields: dict[str, str | None] | None = None) -> JSONResponse:
    body = {"code": code, "message": message, **(fields or {})}
    return JSONResponse({"error": body}, status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    errors = exc.errors()
    first = errors[0] if errors else {}
    kind = first.get("type", "")
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "form")]
    where = ".".join(loc)
    if kind == "json_invalid":
        return 400, "invalid_json", "the request body is not valid JSON"
    if kind == "extra_forbidden":
        return 422, "unknown_field", f"unknown field {where!r}; remove it"
    if kind == "missing" and not where:
        return 422, "missing_field", "the request body is required: a JSON object"
    if kind == "missing":
        return 422, "missing_field", f"field {where!r} is required"
    message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
    return 422, "invalid_request", f"{where}: {message}" if where else message


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    status, code, message = _validation_message(exc)
    return error_response(status, code, message)


async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}"
    return error_response(exc.status_code, code, message, getattr(exc, "headers", None))


async def _on_ragqa(request: Request, exc: RagqaError) -> JSONResponse:
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers, exc.fields)
    for kind, status, code in RAGQA_STATUS:
        if isinstance(exc, kind):
            if status >= 500:
                logger.error("%s %s failed: %s", request.method, request.url.path, exc)
            return error_response(status, code or getattr(exc, "code", "error"), str(exc))
    logger.error("%s %s failed: %s", request.method, request.url.path, exc)
    return error_response(500, "internal_error", str(exc))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("%s %s failed unexpectedly", request.method, request.url.path)
    return error_response(500, "internal_error", "unexpected server error; see the server log")


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception type to a handler that emits the common error body."""
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(RagqaError, _on_ragqa)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)
