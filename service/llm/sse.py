"""Server-sent events over HTTP: the wire format and a response that notices disconnects.

Starlette's ``StreamingResponse`` stops listening for ``http.disconnect`` under ASGI 2.4
servers (uvicorn) and only learns of a gone client at its next write, which may be long
while a slow LLM thinks. :class:`EventStreamResponse` always listens, and cancels the
stream as soon as the client leaves; the generator's ``finally`` then closes the upstream
LLM response, which stops the generation.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send


def sse(data: Any, event: str | None = None) -> str:
    """One event: optional ``event:`` line, one ``data:`` line (compact JSON or a string)."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False,
                                                            separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n"


class EventStreamResponse(StreamingResponse):
    """``text/event-stream``, unbuffered by proxies, cancelled when the client disconnects."""

    media_type = "text/event-stream"

    def __init__(self, content: Any, **kwargs: Any) -> None:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no",
                   **(kwargs.pop("headers", None) or {})}
        super().__init__(content, headers=headers, **kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as group:

            async def run(func: Any) -> None:
                await func()
                group.cancel_scope.cancel()

            group.start_soon(run, partial(self._stream_quietly, send))
            await run(partial(self._wait_for_disconnect, receive))

    async def _stream_quietly(self, send: Send) -> None:
        try:
            await self.stream_response(send)
        except OSError:  # the client went away mid-write: nothing left to tell it
            pass

    @staticmethod
    async def _wait_for_disconnect(receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
