"""Security headers on every response, and the Content-Security-Policy of the widget pages.

Every response gets ``X-Content-Type-Options: nosniff`` (a JSON or text body is never run
as script), ``Referrer-Policy: no-referrer`` (intranet URLs do not leak to other sites) and
``X-Frame-Options: DENY`` (no clickjacking; the widget is embedded as a script, never in a
frame). The demo page and the widget's files (:data:`CSP_PATHS`, :data:`CSP_PREFIXES`) also
get a Content-Security-Policy: scripts and connections only from this server, styles from
this server plus inline ``style`` attributes. The interactive API docs (``/docs`` and its
assets, served from this server by ``service/api/docs.py``) get :data:`DOCS_CSP`: the same
policy (no inline script, nothing from other hosts).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The widget's demo page and files (service/api/widget.py, service/static/).
CSP_PATHS = frozenset({"/", "/widget.js", "/demo.css", "/favicon.svg"})
CSP_PREFIXES = ("/static/",)
DOCS_PATHS = ("/docs", "/docs/")

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def content_security_policy(connect_origins: Iterable[str] = ()) -> str:
    """The CSP of the widget pages; ``connect_origins`` are added to ``connect-src``."""
    connect = " ".join(["'self'", *connect_origins])
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"connect-src {connect}",
        "img-src 'self' data:",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


# Swagger UI on /docs: scripts, styles, images and the OpenAPI document from this server only.
DOCS_CSP = content_security_policy()


class SecurityHeadersMiddleware:
    """Pure ASGI middleware that adds the headers above (never overriding a route's own)."""

    def __init__(self, app: ASGIApp, *, csp: str, docs_csp: str | None = None) -> None:
        self.app = app
        self.csp = csp
        self.docs_csp = docs_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        csp = None
        if path in CSP_PATHS or path.startswith(CSP_PREFIXES):
            csp = self.csp
        elif path == DOCS_PATHS[0] or path.startswith(DOCS_PATHS[1]):
            csp = self.docs_csp

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if csp:
                    headers.setdefault("Content-Security-Policy", csp)
            await send(message)

        await self.app(scope, receive, add_headers)
