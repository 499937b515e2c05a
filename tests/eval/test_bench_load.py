"""The load generator's own HTTP/1.1 client (``ragqa.eval.bench.load.Connection``) against a
real HTTP server on loopback (the standard library's), answering as servers do: a body by
its length, in chunks, a closed connection, an error status."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ragqa.eval.bench.load import Connection, _run


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise
    seen: list[tuple[str, str, dict]] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(("POST", self.path, body))
        self._answer(body.get("question", ""))

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.seen.append(("GET", parts.path, params))
        self._answer(params.get("query", ""))

    def _answer(self, question: str) -> None:
        payload = json.dumps({"echo": question}).encode()
        if "panne" in question:
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif "morceaux" in question:  # chunked, with a trailer-less end
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (payload[:5], payload[5:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif "fermer" in question:  # then the server closes the connection
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
            self.close_connection = True
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)


@pytest.fixture()
def server():
    _Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1/search"
    httpd.shutdown()
    httpd.server_close()


def test_one_connection_reads_each_kind_of_answer_and_keeps_going(server):
    async def exchange() -> list[int]:
        connection = Connection(server, timeout=10)
        statuses = []
        for question in ["Qui ?", "en morceaux ?", "Quand ?", "à fermer ?", "Où ?", "panne ?",
                         "Après ?"]:
            statuses.append(await connection.post_json({"question": question, "k": 5}))
        statuses.append(await connection.get({"query": "Comment ?", "limit": 3}))
        connection.close()
        return statuses

    assert asyncio.run(exchange()) == [200, 200, 200, 200, 200, 500, 200, 200]
    assert [s[2] for s in _Handler.seen[:2]] == [{"question": "Qui ?", "k": 5},
                                                 {"question": "en morceaux ?", "k": 5}]
    assert _Handler.seen[-1] == ("GET", "/v1/search", {"query": "Comment ?", "limit": "3"})


def test_the_generator_counts_answers_and_errors_sending_each_question_once(server):
    questions = [f"Question {i} ?" for i in range(40)] + ["panne ?", "à fermer ?"]
    result = asyncio.run(_run(server, 4, 30.0, 0.0, questions, False, "POST", 5, once=True))
    assert result["sent"] == len(questions)
    assert result["requests"] == len(questions) - 1 and result["errors"] == 1
    assert sorted(s[2]["question"] for s in _Handler.seen) == sorted(questions)


def test_a_refused_connection_is_an_error_not_a_crash():
    result = asyncio.run(_run("http://127.0.0.1:9/x", 2, 2.0, 0.0, ["Qui ?", "Quoi ?"],
                              False, "POST", 5, once=True))
    assert result["errors"] == 2 and result["requests"] == 0
