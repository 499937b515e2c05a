"""``GET /docs``: Swagger UI served from this server, so the API docs work offline.

FastAPI's own page loads Swagger UI from a CDN, which an intranet without internet access
cannot reach (a blank page). The files come from the ``fastapi-offline`` package, which
bundles Swagger UI 5; the page has no inline script (its start-up code is
``service/static/docs-init.js``), so it runs under a strict Content-Security-Policy
(:data:`ragqa.service.security.DOCS_CSP`). ReDoc is not served.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from html import escape
from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ragqa.service.api.widget import static_file
from ragqa.service.errors import ApiError

router = APIRouter(tags=["docs"], include_in_schema=False)

DOCS_PATH = "/docs"
ASSETS = f"{DOCS_PATH}/assets"
# The files of fastapi-offline's static folder that the page uses, with their media types.
BUNDLED = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
INIT_SCRIPT = "docs-init.js"  # in service/static

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API docs</title>
<link rel="icon" type="image/png" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head><body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/{init}"></script>
</body></html>
"""


@lru_cache(maxsize=len(BUNDLED))
def bundled_file(name: str) -> tuple[bytes, str]:
    """The bytes of one of fastapi-offline's bundled files and their ETag."""
    content = (files("fastapi_offline") / "static" / name).read_bytes()
    return content, f'"{hashlib.sha256(content).hexdigest()[:32]}"'


@router.get(DOCS_PATH)
def docs_page(request: Request) -> HTMLResponse:
    """Swagger UI for this API, every asset from this server."""
    root = request.scope.get("root_path", "")
    html = PAGE.format(title=escape(request.app.title), assets=escape(root + ASSETS),
                       openapi=escape(root + (request.app.openapi_url or "/openapi.json")),
                       init=INIT_SCRIPT)
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@router.get(ASSETS + "/{name}")
def docs_asset(name: str, request: Request) -> Response:
    """Swagger UI's script, stylesheet and icon, and the page's start-up script."""
    if name == INIT_SCRIPT:
        content, etag = static_file(INIT_SCRIPT)
        media_type = "text/javascript; charset=utf-8"
    elif name in BUNDLED:
        content, etag = bundled_file(name)
        media_type = BUNDLED[name]
    else:
        raise ApiError(404, "not_found", f"no such asset: {name}")
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)
