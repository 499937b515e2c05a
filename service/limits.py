"""Refusing oversized uploads before any byte of the body is read.

FastAPI parses a multipart form before route dependencies run, so a size check in a
dependency only fires after the whole upload has been spooled. This ASGI middleware looks
at ``Content-Length`` first, and counts the bytes of bodies sent without one.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Multipart framing (boundaries, part headers) on top of the file itself.
FRAMING_ALLOWANCE = 64 * 1024


class UploadLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, path_prefix: str = "/v1/documents",
                 max_mb: float) -> None:
        self.app = app
        self.limit = max_bytes + FRAMING_ALLOWANCE
        self.prefix = path_prefix
        self.max_mb = max_mb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"").decode("latin-1")
        if length.isdigit() and int(length) > self.limit:
            await self._refuse(send)
            return
        received = 0
        limit = self.limit

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"error": {
            "code": "payload_too_large",
            "message": f"the upload is larger than {self.max_mb:g} MB (RAGQA_MAX_UPLOAD_MB)",
        }}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    """Raised inside the body stream once it passes the limit."""
