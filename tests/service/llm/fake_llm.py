"""A small OpenAI-compatible server, run as its own process, for what the real llama.cpp
server cannot be made to do on demand: stream without end, answer garbage, never answer,
or say a fixed text while recording the request it received.

    python tests/service/llm/fake_llm.py MODE STATE_DIR [TEXT]

MODE: ``endless`` (streams "tok " chunks every 20 ms until the client goes, then writes
``closed`` with the number of chunks sent), ``garbage`` (200, JSON content type, not JSON),
``blackhole`` (reads the request, never answers), ``midway`` (streams two
chunks, then an ``{"error": …}`` event, as OpenAI does when generation fails), ``fixed`` (answers TEXT, streamed or not,
and writes each request body to ``requests.jsonl``). Prints the port it listens on.
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MODE = sys.argv[1]
STATE = Path(sys.argv[2])
TEXT = sys.argv[3] if len(sys.argv) > 3 else ""
MODEL = "fake-llm"


def chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    body = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
            "model": MODEL, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, kind: str, body: bytes | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if body is not None:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body is not None:
            self.wfile.write(body)

    def do_GET(self) -> None:
        models = {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0,
                                              "owned_by": "test"}]}
        self._send(200, "application/json", json.dumps(models).encode())

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with (STATE / "requests.jsonl").open("a") as log:
            log.write(json.dumps(request) + "\n")
        if MODE == "blackhole":
            time.sleep(3600)
        elif MODE == "garbage":
            self._send(200, "application/json", b"<html>this is not a completion")
        elif MODE == "endless":
            self._send(200, "text/event-stream")
            sent = 0
            try:
                while True:
                    self.wfile.write(chunk("tok "))
                    self.wfile.flush()
                    sent += 1
                    time.sleep(0.02)
            except OSError:  # the client closed the connection
                (STATE / "closed").write_text(str(sent))
        elif MODE == "midway":
            self._send(200, "text/event-stream")
            self.wfile.write(chunk("Début de réponse [1] ") + chunk("puis"))
            self.wfile.write(b'data: {"error": {"message": "the model crashed"}}\n\n')
        elif request.get("stream"):
            self._send(200, "text/event-stream")
            for i in range(0, len(TEXT), 3):
                self.wfile.write(chunk(TEXT[i:i + 3]))
            self.wfile.write(chunk(None, "stop") + b"data: [DONE]\n\n")
        else:
            body = {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0,
                    "model": MODEL, "choices": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": TEXT}}]}
            self._send(200, "application/json", json.dumps(body).encode())


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
