"""Refusing oversized request bodies before any byte of them is read.

FastAPI parses a multipart form (or a JSON body) before route dependencies run, so a size
check in a dependency only fires after the whole body has been read. This ASGI middleware
looks at ``Content-Length`` first, and counts the bytes of bodies sent without one. Uploads
(``POST /v1/documents``) may be ``RAGQA_MAX_UPLOAD_MB``; any other body (JSON questions,
chat messages) ``RAGQA_MAX_BODY_KB``.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Multipart framing (boundaries, part headers) on top of the file itself.
FRAMING_ALLOWANCE = 64 * 1024


class UploadLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_mb: float,
                 path_prefix: str = "/v1/documents", max_body_bytes: int | None = None,
                 max_body_kb: float | None = None) -> None:
        self.app = app
        self.upload_limit = max_bytes + FRAMING_ALLOWANCE
        self.upload_message = f"the upload is larger than {max_mb:g} MB (RAGQA_MAX_UPLOAD_MB)"
        self.prefix = path_prefix
        self.body_limit = max_body_bytes
        self.body_message = f"the request body is larger than {max_body_kb or 0:g} KB " \
                            "(RAGQA_MAX_BODY_KB)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and scope["path"].startswith(self.prefix):
            limit, message = self.upload_limit, self.upload_message
        elif self.body_limit is not None:
            limit, message = self.body_limit, self.body_message
        else:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"").decode("latin-1")
        if length.isdigit() and int(length) > limit:
            await self._refuse(send, message)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, message)

    async def _refuse(self, send: Send, message: str) -> None:
        body = json.dumps({"error": {"code": "payload_too_large", "message": message}}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    """Raised inside the body stream once it passes the limit."""
