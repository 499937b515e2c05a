"""``GET /`` (a demo page), ``GET /widget.js`` (the ``<ragqa-chat>`` web component) and the
demo page's stylesheet and icon, served from the package's ``static`` folder.

The files are read once per process; an ETag lets browsers revalidate instead of keeping a
stale widget after an upgrade.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import Response

router = APIRouter(tags=["widget"], include_in_schema=False)

MEDIA_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "widget.js": "text/javascript; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
    "docs-init.js": "text/javascript; charset=utf-8",  # served by service/api/docs.py
}


@lru_cache(maxsize=len(MEDIA_TYPES))
def static_file(name: str) -> tuple[bytes, str]:
    """The bytes of ``service/static/<name>`` and their ETag."""
    content = (files("ragqa.service") / "static" / name).read_bytes()
    return content, f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def serve(request: Request, name: str) -> Response:
    content, etag = static_file(name)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=MEDIA_TYPES[name], headers=headers)


@router.api_route("/", methods=["GET", "HEAD"])
def demo_page(request: Request) -> Response:
    """A page that embeds the widget with one script tag: ``make serve`` shows it."""
    return serve(request, "index.html")


@router.api_route("/widget.js", methods=["GET", "HEAD"])
def widget_script(request: Request) -> Response:
    """The self-contained ``<ragqa-chat>`` element (no framework, no build step)."""
    return serve(request, "widget.js")


@router.get("/demo.css")
def demo_stylesheet(request: Request) -> Response:
    return serve(request, "demo.css")


@router.get("/favicon.svg")
def favicon(request: Request) -> Response:
    return serve(request, "favicon.svg")
