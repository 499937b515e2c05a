"""Per-client rate limiting: ``429 Too Many Requests`` with ``Retry-After``.

Clients are told apart by their address. The limits (``RAGQA_RATE_LIMIT``, in the
``limits`` library's notation such as ``600/minute`` or ``10/second;600/minute``) are
moving windows kept in memory, so they hold per server process. Loopback clients (the
server's own machine, tests, a local admin) are exempt unless ``RAGQA_RATE_LIMIT_LOOPBACK``
is set, which is what a reverse proxy on the same machine needs, since every client then
arrives from loopback. ``/health`` and ``/metrics`` are never limited (monitoring).
"""

from __future__ import annotations

import json
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from ragqa.service.deps import is_loopback

EXEMPT_PATHS = frozenset({"/health", "/metrics"})


def parse_limits(value: str) -> list[RateLimitItem]:
    """The limits a setting names; none for ``""`` or ``off``."""
    if value.strip().lower() in ("", "off"):
        return []
    return parse_many(value)


class RateLimitMiddleware:
    """Pure ASGI middleware: counts each request against every limit of its client."""

    def __init__(self, app: ASGIApp, *, limits: list[RateLimitItem],
                 include_loopback: bool = False) -> None:
        self.app = app
        self.limits = limits
        self.include_loopback = include_loopback
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.limits or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        host = client[0] if client else "unknown"
        if is_loopback(host) and not self.include_loopback:
            await self.app(scope, receive, send)
            return
        for item in self.limits:
            if not self.limiter.hit(item, host):
                await self._refuse(send, item, self._retry_after(item, host))
                return
        await self.app(scope, receive, send)

    def _retry_after(self, item: RateLimitItem, host: str) -> int:
        reset = self.limiter.get_window_stats(item, host).reset_time
        return max(1, math.ceil(reset - time.time()))

    @staticmethod
    async def _refuse(send: Send, item: RateLimitItem, retry_after: int) -> None:
        body = json.dumps({"error": {
            "code": "rate_limited",
            "message": f"more than {item} from this client (RAGQA_RATE_LIMIT); "
                       f"retry in {retry_after} s",
        }}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode())]})
        await send({"type": "http.response.body", "body": body})
