"""FastAPI dependencies: the served engine, settings, access control and content types.

All are ``async def`` although none awaits: they only read the request and app state, and
FastAPI runs a plain ``def`` dependency in its thread pool, a hand-off that cost more than
the whole cached search.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ragqa.engine import Engine
from ragqa.index.access import EVERYONE, Reader
from ragqa.index.jobs import JobQueue
from ragqa.service.audit import Audit
from ragqa.service.auth import AuthError, Authenticator, Identity
from ragqa.service.errors import ApiError
from ragqa.settings import Settings


async def get_engine(request: Request) -> Engine:
    """The served engine: its store's view is read once per request (one generation)."""
    return request.app.state.engine


async def get_jobs(request: Request) -> JobQueue:
    return request.app.state.jobs


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


EngineDep = Annotated[Engine, Depends(get_engine)]
JobsDep = Annotated[JobQueue, Depends(get_jobs)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a client address) is this machine."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _check_access(request: Request, settings: Settings) -> None:
    keys = settings.api_key_list
    if not keys:
        host = request.client.host if request.client else None
        if not is_loopback(host):
            raise ApiError(403, "forbidden", "without RAGQA_API_KEYS configured, this endpoint "
                           "accepts requests from the server's own machine only")
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "send `Authorization: Bearer <key>`",
                       {"WWW-Authenticate": "Bearer"})
    if not any(secrets.compare_digest(token.encode(), key.encode()) for key in keys):
        raise ApiError(401, "unauthorized", "the API key is not valid",
                       {"WWW-Authenticate": "Bearer"})


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def _identity(request: Request, authenticate: Authenticator) -> Identity:
    """The request's identity (RAGQA_AUTH=jwt|header), or 401 saying what is wrong."""
    try:
        # In the thread pool: a token naming a new key may fetch the provider's JWKS.
        identity = await run_in_threadpool(authenticate, request)
    except AuthError as exc:
        raise ApiError(401, "unauthorized", str(exc), {"WWW-Authenticate": "Bearer"}) from None
    request.state.identity = identity
    return identity


def _holds_key(request: Request, settings: Settings) -> bool:
    token = _bearer(request)
    return bool(token) and any(secrets.compare_digest(token.encode(), key.encode())
                               for key in settings.api_key_list)


def _reader_of(identity: Identity, settings: Settings) -> Reader:
    """A member of the write group reads every document (they may change any document's
    groups: hiding one from them would protect nothing); others read their groups'."""
    if settings.write_group and settings.write_group in identity.groups:
        return Reader(identity.user, None, writer=True)
    return Reader(identity.user, identity.groups)


async def require_writer(request: Request, settings: SettingsDep) -> Reader:
    """Write endpoints. With ``RAGQA_AUTH=jwt|header``: an API key, or an identity in
    ``RAGQA_WRITE_GROUP`` (others 403). Otherwise a valid bearer key when keys are
    configured, else loopback only."""
    authenticate = request.app.state.auth
    if authenticate is None:
        _check_access(request, settings)
        return Reader("api-key" if settings.api_key_list else "", None, writer=True)
    if _holds_key(request, settings):
        return Reader("api-key", None, writer=True)
    reader = _reader_of(await _identity(request, authenticate), settings)
    if not reader.writer:
        raise ApiError(403, "forbidden", "uploads, deletes and groups are for members of the "
                       "RAGQA_WRITE_GROUP group (or holders of an API key)")
    return reader


async def require_reader(request: Request, settings: SettingsDep) -> Reader:
    """Read endpoints, and who reads: with ``RAGQA_AUTH=jwt|header`` an identity (401
    without) or an API key; otherwise every document, open unless
    ``RAGQA_REQUIRE_KEY_FOR_READ`` is set."""
    authenticate = request.app.state.auth
    if authenticate is not None:
        if _holds_key(request, settings):
            return Reader("api-key", None, writer=True)
        return _reader_of(await _identity(request, authenticate), settings)
    if settings.require_key_for_read:
        _check_access(request, settings)
    return EVERYONE


async def optional_reader(request: Request, settings: SettingsDep) -> Reader | None:
    """For ``/health``: who asks, when they say so; None for a caller without a valid
    identity while ``RAGQA_AUTH`` is set (a load balancer's probe: never refused)."""
    if request.app.state.auth is None:
        return EVERYONE
    try:
        return await require_reader(request, settings)
    except ApiError:
        return None


ReaderDep = Annotated[Reader, Depends(require_reader)]
WriterDep = Annotated[Reader, Depends(require_writer)]

async def get_audit(request: Request, reader: ReaderDep) -> Audit:
    """The request's audit (a no-op without ``RAGQA_AUDIT_LOG``: the app's log, checked
    when the app was made)."""
    route = request.scope.get("route")
    return Audit(getattr(request.app.state, "audit_log", None), reader,
                 request.client.host if request.client else None,
                 getattr(route, "path", request.url.path))


AuditDep = Annotated[Audit, Depends(get_audit)]


async def require_json(request: Request) -> None:
    """Refuse request bodies that are not JSON with 415 rather than a confusing 422."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and not kind.endswith("+json"):
        raise ApiError(415, "unsupported_media_type",
                       f"send the body as application/json (got {kind or 'no content type'})")


async def require_multipart(request: Request) -> None:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "upload the file as multipart/form-data "
                       f"with a `file` field (got {kind or 'no content type'})")


async def one_of_each_field(request: Request) -> None:
    """Refuse a form that gives a field twice (two ``file`` parts: the first was dropped
    in silence), after FastAPI has parsed it (the form is read once, then cached)."""
    form = await request.form()
    for name in ("file", "id", "title", "groups"):
        if len(form.getlist(name)) > 1:
            raise ApiError(422, "invalid_request", f"{name}: given {len(form.getlist(name))} "
                           "times; upload one document a request")


async def limit_upload_size(request: Request, settings: SettingsDep) -> None:
    """Refuse a body announced larger than the limit before reading it."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_upload_bytes + 64 * 1024:
        raise too_large(settings)


def too_large(settings: Settings) -> ApiError:
    return ApiError(413, "payload_too_large",
                    f"the upload is larger than {settings.max_upload_mb:g} MB "
                    "(RAGQA_MAX_UPLOAD_MB)")
