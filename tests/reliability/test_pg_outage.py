"""The database stopped under load (issue 17): while a client keeps asking, PostgreSQL stops
at once (``pg_ctl stop -m immediate``, as a crash or a failover would); every request gets
200 or a 503 naming the database, never a 500 or a hang, and when the database is back the
same ``ragqa serve`` process answers again, writes included, without a restart.

Real parts only: a PostgreSQL 16 + pgvector of this test's own (pgserver), a real
``ragqa serve`` on loopback, the bundled English model (``tests/support.py``'s ``child_env``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.postgres import OwnPgServer, pg_own_server  # noqa: F401 - fixture
from tests.support import start, stop, wait_until

pytestmark = pytest.mark.heavy  # tens of seconds each: `make test-heavy`, run by CI

NOTE = "# Zorglub\n\nZorglub Telecom pose un câble sous-marin à Dakhla.\n"


def test_the_database_stopped_under_load_is_a_503_then_recovers_without_restart(
    pg_own_server: OwnPgServer, small_corpus: Path, tmp_path: Path  # noqa: F811
):
    server = start(small_corpus, tmp_path / "no-index", tmp_path / "serve.log",
                   RAGQA_STORE="postgres", RAGQA_DATABASE_URL=pg_own_server.url,
                   RAGQA_DATABASE_TIMEOUT="2")
    statuses: list[tuple[float, int, str]] = []  # (when, status, body)
    halt = threading.Event()

    def load() -> None:
        n = 0
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            while not halt.is_set():
                n += 1  # a new question each time: never an answer from a cache
                try:
                    r = client.post("/v1/search", json={"question": f"5G Casablanca {n}"})
                    statuses.append((time.monotonic(), r.status_code, r.text))
                except httpx.HTTPError as exc:
                    statuses.append((time.monotonic(), 0, repr(exc)))

    def refusing() -> bool:  # the last three answers came after the stop, all 503
        last = statuses[-3:]
        return len(last) == 3 and all(at > stopped and code == 503 for at, code, _ in last)

    thread = threading.Thread(target=load)
    try:
        thread.start()
        wait_until(lambda: sum(code == 200 for _, code, _ in statuses) >= 3,
                   what="three answers before the database stops", timeout=60)
        stopping = time.monotonic()  # answers timed before this came before the stop
        pg_own_server.stop()
        stopped = time.monotonic()
        wait_until(refusing, what="503s in a row once the database stopped", timeout=60)
        assert "database_unavailable" in statuses[-1][2]
        assert "database" in statuses[-1][2].lower()
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            assert client.get("/health").status_code == 503
        restarting = time.monotonic()
        pg_own_server.start()
        back = time.monotonic()
        wait_until(lambda: statuses[-1][0] > back and statuses[-1][1] == 200,
                   what="an answer once the database is back", timeout=60)
        assert server.proc.poll() is None  # the same process: no restart
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            assert client.get("/health").status_code == 200
            response = client.post("/v1/documents", data={"id": "notes/zorglub.md"},
                                   files={"file": ("zorglub.md", NOTE.encode())})
            assert response.status_code == 201, response.text
            found = client.post("/v1/search", json={"question": "Zorglub Dakhla", "k": 1})
            assert found.json()["passages"][0]["doc_id"] == "notes/zorglub.md"
    finally:
        halt.set()
        thread.join()
        output = stop(server)
    before = [code for at, code, _ in statuses if at < stopping]
    assert before and set(before) == {200}
    # From the first refusal until the database was started again: refusals only.
    first_refusal = next(at for at, code, _ in statuses if at > stopped and code == 503)
    assert {code for at, code, _ in statuses if first_refusal <= at < restarting} == {503}
    assert {code for _, code, _ in statuses} <= {200, 503}, "only answers or clear 503s"
    print(f"\n{len(statuses)} requests: {sum(c == 200 for _, c, _ in statuses)} answered, "
          f"{sum(c == 503 for _, c, _ in statuses)} refused with 503 while the database was away")
    assert "Traceback" not in output
