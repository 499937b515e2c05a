"""CORS for the configured origins (``RAGQA_CORS_ORIGINS``), with refusals in our error shape.

Starlette's :class:`~starlette.middleware.cors.CORSMiddleware` answers a preflight it
refuses (an origin, method or header not allowed) with ``400 Disallowed CORS origin`` as
plain text; every other error of this API is ``{"error": {"code", "message"}}``
(docs/http-api.md), so a client reads them all alike.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response


class JsonCORSMiddleware(CORSMiddleware):
    """:class:`CORSMiddleware` whose refused preflights carry the API's error body."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        reason = bytes(response.body).decode("utf-8", "replace")  # "Disallowed CORS origin"
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "content-type")}
        return JSONResponse(
            {"error": {"code": "cors_refused",
                       "message": f"{reason}: this server answers browsers of the origins "
                                  "in RAGQA_CORS_ORIGINS, with the methods GET, POST, PUT, "
                                  "DELETE and the headers Authorization, Content-Type"}},
            status_code=400, headers=headers)
