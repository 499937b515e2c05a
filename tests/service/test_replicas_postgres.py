"""Real `ragqa serve` and `ragqa index` processes on the PostgreSQL store: two replicas on
one database see each other's writes at their next request; bad configuration is one
line naming RAGQA_DATABASE_URL, with the index errors' exit code."""

from __future__ import annotations

import re

import httpx
import psycopg
import pytest

from tests.conftest import CORPUS
from tests.postgres import database_copy
from tests.reliability.soak import soak
from tests.service.conftest import check_passages
from tests.support import free_port, run_ragqa, running, wait_until

pytestmark = pytest.mark.heavy  # tens of seconds each: `make test-heavy`, run by CI

ZORGLUB = "# Zorglub Telecom\n\nZorglub Telecom pose un câble sous-marin à Dakhla.\n".encode()
QUESTION = {"question": "Zorglub câble sous-marin Dakhla", "k": 3}


def _pg(url: str) -> dict[str, str]:
    return {"RAGQA_STORE": "postgres", "RAGQA_DATABASE_URL": url}


def test_two_replicas_on_one_database_see_each_other_s_writes(tmp_path, pg_server, pg_corpus):
    with database_copy(pg_server, pg_corpus) as url:
        with running(CORPUS, tmp_path / "no-index", tmp_path / "a.log", timeout=300,
                     **_pg(url)) as a, \
             running(CORPUS, tmp_path / "no-index", tmp_path / "b.log", timeout=300,
                     **_pg(url)) as b, \
             httpx.Client(base_url=a.base_url, timeout=60) as via_a, \
             httpx.Client(base_url=b.base_url, timeout=60) as via_b:
            assert via_b.get("/health").json()["store"] == "postgres"
            before = via_b.post("/v1/search", json=QUESTION).json()  # cached by B
            assert "notes/zorglub.md" not in {p["doc_id"] for p in before["passages"]}

            created = via_a.post("/v1/documents", files={"file": ("zorglub.md", ZORGLUB)},
                                 data={"id": "notes/zorglub.md"})
            assert created.status_code == 201, created.text
            found = via_b.post("/v1/search", json=QUESTION).json()  # B's next request
            assert found["passages"][0]["doc_id"] == "notes/zorglub.md"
            check_passages(via_b, found)
            assert via_b.get("/health").json()["generation"] == created.json()["generation"]

            again = via_b.post("/v1/documents", files={"file": ("zorglub.md", ZORGLUB)},
                               data={"id": "notes/zorglub.md"})
            assert again.status_code == 200 and again.json()["status"] == "unchanged"
            assert again.json()["generation"] == created.json()["generation"]

            assert via_b.delete("/v1/documents/notes/zorglub.md").status_code == 200
            after = via_a.post("/v1/search", json=QUESTION).json()
            assert "notes/zorglub.md" not in {p["doc_id"] for p in after["passages"]}

            # The soak over both: readers on A and B, a writer through A; no failed
            # request, every quote verified, every acknowledged upload listed through both.
            summary = soak([a.base_url, b.base_url], seconds=12, clients=16)
            print(f"\nsoak over two replicas: {summary}")
            assert summary["failed"] == 0, summary["failures"]
            assert summary["by_kind"].get("upload", 0) >= 1 and summary["quotes_checked"] > 0
        for log in ("a.log", "b.log"):
            output = (tmp_path / log).read_text(encoding="utf-8")
            assert "as it is: 5 documents" in output and "Traceback" not in output


def test_an_unreachable_database_is_one_line_and_exit_4(tmp_path):
    url = f"postgresql://ragqa:secret@127.0.0.1:{free_port()}/ragqa"
    proc = run_ragqa("index", "--corpus", str(CORPUS), cwd=tmp_path, **_pg(url))
    assert proc.returncode == 4, proc.stderr
    # (the line before it, if any, is the test model's fallback warning)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ragqa: error")]
    assert len(errors) == 1 and proc.stderr.strip().endswith(errors[0]), proc.stderr
    assert errors[0].startswith("ragqa: error: RAGQA_DATABASE_URL: cannot connect to")
    assert "check the URL" in errors[0] and "secret" not in proc.stderr


def test_wrong_credentials_are_one_line_naming_the_url_and_exit_4(tmp_path, pg_url):
    # pgserver trusts local connections, so the credential that can be wrong is the role:
    # one the server does not know is refused at login, as a wrong password would be.
    wrong = pg_url.replace("postgresql://postgres:", "postgresql://nobody_here:s3cret", 1)
    assert wrong != pg_url
    proc = run_ragqa("serve", "--corpus", str(CORPUS), "--port", str(free_port()),
                     cwd=tmp_path, **_pg(wrong))
    assert proc.returncode == 4, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ragqa: error")]
    assert len(errors) == 1 and proc.stderr.strip().endswith(errors[0]), proc.stderr
    assert errors[0].startswith("ragqa: error: RAGQA_DATABASE_URL: cannot connect to")
    assert "nobody_here" in errors[0] and "s3cret" not in proc.stderr


def test_a_database_embedded_with_another_model_is_refused(tmp_path, pg_server, pg_corpus):
    with database_copy(pg_server, pg_corpus) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE store_identity SET model_name = 'other/model', "
                         "weights_sha256 = repeat('0', 64)")
        proc = run_ragqa("serve", "--corpus", str(CORPUS), "--port", str(free_port()),
                         cwd=tmp_path, **_pg(url))
    assert proc.returncode == 4, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ragqa: error: RAGQA_DATABASE_URL (")
    assert "embedded with model 'other/model'" in last


def test_a_database_without_pgvector_names_the_fix(tmp_path, pg_url):
    role = "ragqa_owner"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT CREATE ON SCHEMA public TO {role}")
    try:
        limited = pg_url.replace("postgresql://postgres:", f"postgresql://{role}:", 1)
        assert limited != pg_url
        proc = run_ragqa("index", "--corpus", str(CORPUS), cwd=tmp_path, **_pg(limited))
        assert proc.returncode == 4, proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("ragqa: error: RAGQA_DATABASE_URL (")
        assert "CREATE EXTENSION vector" in last
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_ragqa_index_into_an_empty_database_then_again(tmp_path, pg_url, small_corpus):
    first = run_ragqa("index", "--corpus", str(small_corpus), cwd=tmp_path, **_pg(pg_url))
    assert first.returncode == 0, first.stderr
    assert "2 added, 0 changed, 0 removed" in first.stdout and "password" not in first.stdout
    (small_corpus / "nokia.txt").unlink()
    second = run_ragqa("index", "--corpus", str(small_corpus), cwd=tmp_path, **_pg(pg_url))
    assert second.returncode == 0, second.stderr
    assert "removed: nokia.txt" in second.stdout and "0 added, 0 changed, 1 removed" in second.stdout
    # the removed document's sentence rows are reclaimed, and the run says so on stderr
    assert re.search(r"^ragqa: reclaimed [1-9]\d* sentence rows and 0 token rows \([\d.]+ [kMG]B\)",
                     second.stderr, re.M), second.stderr
    third = run_ragqa("index", "--corpus", str(small_corpus), cwd=tmp_path, **_pg(pg_url))
    assert "is up to date with" in third.stdout, third.stdout
    assert "reclaimed" not in third.stderr, third.stderr


def test_a_database_is_not_synced_to_a_default_folder_it_was_not_made_from(
        tmp_path, pg_url, small_corpus):
    """`ragqa index` run where ./corpus is another folder synced the database to it,
    removing the documents of its own folder (exit 0): now refused, the database untouched."""
    assert run_ragqa("index", "--corpus", str(small_corpus), cwd=tmp_path,
                     **_pg(pg_url)).returncode == 0
    work = tmp_path / "work"
    (work / "corpus").mkdir(parents=True)
    (work / "corpus" / "autre.txt").write_text("Un autre dossier, un autre sujet.\n", "utf-8")
    for args in (["index"], ["serve", "--watch", "--port", str(free_port())]):
        proc = run_ragqa(*args, cwd=work, **_pg(pg_url))
        assert proc.returncode == 2, proc.stderr
        errors = [e for e in proc.stderr.splitlines() if e.startswith("ragqa: error")]
        assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert f"holds the folder {small_corpus}" in errors[0] and "--corpus" in errors[0]
        assert "password" not in errors[0]
    with psycopg.connect(pg_url) as conn:
        assert {r[0] for r in conn.execute("SELECT doc_id FROM documents")} == {
            "orange.md", "nokia.txt"}
    # a command that does not sync a database holding documents is not refused
    proc = run_ragqa("ask", "Nokia fibre optique", "-k", "1", cwd=work, **_pg(pg_url))
    assert proc.returncode == 0 and "nokia.txt" in proc.stdout, proc.stderr
    # named, the folder is what to index (and becomes the database's folder)
    proc = run_ragqa("index", "--corpus", "corpus", cwd=work, **_pg(pg_url))
    assert proc.returncode == 0 and "1 added, 0 changed, 2 removed" in proc.stdout, proc.stderr
    proc = run_ragqa("index", cwd=work, **_pg(pg_url))
    assert proc.returncode == 0 and "is up to date with" in proc.stdout, proc.stderr


def test_ragqa_serve_on_an_empty_database_indexes_the_folder_first(tmp_path, pg_url,
                                                                   small_corpus):
    with running(small_corpus, tmp_path / "no-index", tmp_path / "serve.log", timeout=300,
                 **_pg(pg_url)) as server, \
         httpx.Client(base_url=server.base_url, timeout=60) as client:
        assert client.get("/health").json()["documents"] == 2
        body = client.post("/v1/search", json={"question": "5G Casablanca", "k": 1}).json()
        assert body["passages"][0]["doc_id"] == "orange.md"
        check_passages(client, body)
    output = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert "2 added, 0 changed, 0 removed" in output and "password" not in output
    assert not (tmp_path / "no-index").exists()  # nothing written beside the database


def test_a_replica_killed_during_uploads_leaves_every_acknowledged_one_whole(
        tmp_path, pg_server, pg_corpus):
    import threading

    sent: dict[str, str] = {}
    acknowledged: list[str] = []

    def writer(base_url: str, stop: threading.Event) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            n = 0
            while not stop.is_set():
                n += 1
                doc_id = f"kill/zorglub-{n}.md"
                sent[doc_id] = (f"# Zorglub {n}\n\nZorglub Telecom pose le câble numéro {n} "
                                f"entre Dakhla et les Canaries.\n")
                try:
                    response = client.post("/v1/documents", data={"id": doc_id}, files={
                        "file": (f"zorglub-{n}.md", sent[doc_id].encode())})
                except httpx.HTTPError:
                    return  # the server died under this request
                if response.status_code == 201:
                    acknowledged.append(doc_id)

    with database_copy(pg_server, pg_corpus) as url:
        with running(CORPUS, tmp_path / "no-index", tmp_path / "a.log", timeout=300,
                     **_pg(url)) as a:
            stop = threading.Event()
            thread = threading.Thread(target=writer, args=(a.base_url, stop))
            thread.start()
            try:
                wait_until(lambda: len(acknowledged) >= 3, what="three acknowledged uploads")
                a.kill()  # SIGKILL in the middle of the next upload
            finally:
                stop.set()
                thread.join(timeout=60)
        with psycopg.connect(url) as conn:
            stored = dict(conn.execute("SELECT doc_id, text FROM documents "
                                       "WHERE doc_id LIKE 'kill/%'").fetchall())
            for doc_id in acknowledged:  # every acknowledged upload is there, verbatim
                assert stored.get(doc_id) == sent[doc_id]
            # whatever else is there is whole: counts and statistics agree
            assert not conn.execute(
                "SELECT doc_id FROM documents d WHERE passages <> "
                "(SELECT count(*) FROM passages p WHERE p.doc_id = d.doc_id)").fetchall()
            assert conn.execute(
                "SELECT s.passages = (SELECT count(*) FROM passages) AND s.total_length = "
                "(SELECT coalesce(sum(length), 0) FROM passages) FROM corpus_stats s"
            ).fetchone()[0]
        with running(CORPUS, tmp_path / "no-index", tmp_path / "b.log", timeout=300,
                     **_pg(url)) as b, httpx.Client(base_url=b.base_url, timeout=60) as client:
            found = client.post("/v1/search", json={
                "question": f"Zorglub câble numéro {acknowledged[-1].split('-')[-1][:-3]}",
                "k": 5}).json()
            assert acknowledged[-1] in {p["doc_id"] for p in found["passages"]}
            check_passages(client, found)
