"""A PostgreSQL folder sync with a process's memo (:mod:`ragqa.index.pg.sync_memo`): later
syncs load, cut and check only what changed, and leave the database exactly as a full sync
(no memo) does, whatever happened to the folder or to the database between them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest

from ragqa.index.config import IndexConfig
from ragqa.index.documents.reading import Document, sha256_bytes
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.pg import sentences as pg_sentences
from ragqa.index.pg.connect import connect
from ragqa.index.pg.context import read_context
from ragqa.index.pg.indexing import index_corpus_into, ingest_document
from ragqa.index.pg.layouts import StoredLayouts
from ragqa.index.pg.migrations import migrate
from ragqa.index.pg.reclaim import KeptKeys
from ragqa.index.pg.sync_memo import SyncMemo
from ragqa.index.pg.versions import read_documents
from ragqa.index.pg.writes import delete_document
from tests.index.pg.models import CountingEmbedder
from tests.postgres import database_copy

# Sentence and token rows both made, whatever the store's size and model.
CONFIG = IndexConfig(token_vectors=True)
# An empty section under a heading generic in three documents makes no passage there.
HEADING = ("## Cas général\n\n## Suite {name}\n\nRègle {name} : le réseau {name} couvre "
           "la région.\n")


def _write(corpus: Path, name: str, body: str) -> None:
    (corpus / name).write_text(body, encoding="utf-8")


def _page(name: str, generic: bool = False) -> str:
    text = (f"# Page {name}\n\nLe réseau {name} arrive à Tanger en 2026. Il couvre la "
            f"ville et ses environs.\n\n## Détails {name}\n\nLes travaux de {name} durent un "
            "an. Les abonnés sont prévenus par courrier.\n")
    return text + ("\n" + HEADING.format(name=name) if generic else "")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    _write(folder, "a.md", _page("a", generic=True))  # two of three: not generic yet
    _write(folder, "b.md", _page("b", generic=True))
    _write(folder, "c.txt", "Nokia signe un accord.\n\nLa fibre optique arrive. Elle "
                            "couvre le pays.\n")
    return folder


class Twin:
    """Two databases synced from one folder: ``memo`` by one process's memo (as a server's
    ``--watch`` syncs), ``full`` without (today's full sync); compared after each sync."""

    def __init__(self, urls: tuple[str, str], folder: Path, embedder: Embedder) -> None:
        self.folder = folder
        self.conns = {}
        for name, url in zip(("memo", "full"), urls):
            conn = connect(url)
            migrate(conn, dimension=embedder.dimension)
            self.conns[name] = conn
        self.embedder = CountingEmbedder(embedder)
        self.memo, self.kept = SyncMemo(), KeptKeys()

    def sync(self):
        """Both synced; the memo's report (the full one's must say the same)."""
        reports = {}
        for name, conn in self.conns.items():
            memo = {"memo": self.memo, "kept": self.kept} if name == "memo" else {}
            reports[name] = index_corpus_into(
                conn, self.folder, config=CONFIG, contextual=True,
                load_embedder=lambda: self.embedder, **memo)
        a, b = reports["memo"], reports["full"]
        for field in ("added", "changed", "removed", "refused", "unchanged", "documents",
                      "passages", "up_to_date", "sentences_embedded", "tokens_embedded"):
            assert getattr(a, field) == getattr(b, field), field
        assert snapshot(self.conns["memo"]) == snapshot(self.conns["full"])
        return a

    def each(self, action: Callable[[psycopg.Connection], object]) -> None:
        """What another process does to both databases between syncs."""
        for conn in self.conns.values():
            action(conn)

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def snapshot(conn: psycopg.Connection) -> dict:
    """Everything a sync writes that a reader sees (generation counters aside)."""
    query = {
        "documents": "SELECT doc_id, title, explicit_title, content_hash, text, pages, "
                     "sections, passages, source FROM documents ORDER BY doc_id",
        "passages": "SELECT doc_id, ordinal, start_offset, end_offset, section, page, "
                    "length, embed_key, embedding::text FROM passages "
                    "ORDER BY doc_id, ordinal",
        "postings": "SELECT p.doc_id, p.ordinal, t.term, t.tf, t.length FROM postings t "
                    "JOIN passages p ON p.id = t.passage_id ORDER BY 1, 2, 3",
        "refused": "SELECT doc_id, reason, content_hash FROM refused ORDER BY doc_id",
        "sentences": "SELECT key FROM sentence_vectors ORDER BY key",
        "tokens": "SELECT key FROM token_vectors ORDER BY key",
        "stats": "SELECT passages, total_length FROM corpus_stats",
    }
    found = {name: conn.execute(sql).fetchall() for name, sql in query.items()}
    found["context"] = read_context(conn)
    return found


@pytest.fixture
def twin(pg_server, corpus, embedder) -> Iterator[Twin]:
    with ExitStack() as stack:
        urls = (stack.enter_context(database_copy(pg_server)),
                stack.enter_context(database_copy(pg_server)))
        pair = Twin(urls, corpus, embedder)
        stack.callback(pair.close)
        yield pair


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """The documents loaded from their files (every sync's, memo or not)."""
    from ragqa.index.files import planning

    seen: list[str] = []
    real = planning.load_document

    def spy(path, doc_id):
        seen.append(doc_id)
        return real(path, doc_id)

    monkeypatch.setattr(planning, "load_document", spy)
    return seen


def test_later_syncs_give_what_a_full_sync_gives_loading_only_what_changed(
        twin, corpus, loads):
    first = twin.sync()
    assert sorted(first.added) == ["a.md", "b.md", "c.txt"]
    assert sorted(loads) == ["a.md", "a.md", "b.md", "b.md", "c.txt", "c.txt"]  # both dbs

    loads.clear()
    report = twin.sync()  # nothing changed: nothing loaded by the memo's sync
    assert report.up_to_date and loads.count("a.md") == 1  # (the full sync's)

    _write(corpus, "d.md", _page("d"))  # added
    loads.clear()
    report = twin.sync()
    assert report.added == ["d.md"] and loads.count("d.md") == 2 and loads.count("a.md") == 1

    _write(corpus, "c.txt", "Nokia signe un autre accord.\n\nLa fibre arrive.\n")  # changed
    loads.clear()
    report = twin.sync()
    assert report.changed == ["c.txt"] and loads.count("c.txt") == 2
    assert loads.count("b.md") == 1

    (corpus / "b.md.title").write_text("Titre choisi\n", encoding="utf-8")  # retitled
    report = twin.sync()
    assert report.changed == ["b.md"]

    _write(corpus, "e.md", _page("e", generic=True))  # "Cas général" in three: generic now
    before = _rows(twin.conns["memo"], "a.md")
    loads.clear()
    report = twin.sync()
    assert "cas général" in read_context(twin.conns["memo"]).generic_headings
    assert report.added == ["e.md"] and report.unchanged == 4
    assert _rows(twin.conns["memo"], "a.md") != before  # cut again under the new context
    assert loads.count("a.md") == 2  # by the memo's sync too: its key (the context) moved

    (corpus / "e.md").unlink()  # removed: the context moves back
    report = twin.sync()
    assert report.removed == ["e.md"]
    assert "cas général" not in read_context(twin.conns["memo"]).generic_headings

    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")  # refused
    report = twin.sync()
    assert "broken.pdf" in report.refused
    (corpus / "broken.pdf").unlink()
    (corpus / "b.md.title").unlink()
    report = twin.sync()
    assert report.changed == ["b.md"] and not report.refused


def test_a_file_rewritten_with_its_size_and_mtime_put_back_is_read_again(twin, corpus):
    path = corpus / "c.txt"
    before = path.stat()
    twin.sync()
    text = path.read_text(encoding="utf-8")
    changed = text.replace("Nokia", "Nikol")  # same length in bytes
    assert len(changed.encode()) == len(text.encode())
    path.write_text(changed, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ctime moves, as git sees
    report = twin.sync()
    assert report.changed == ["c.txt"]


def test_what_another_process_wrote_between_syncs_is_seen(twin, corpus, embedder):
    twin.sync()
    text = "# Zorglub\n\nZorglub Telecom pose un câble sous-marin à Dakhla.\n"
    orange = "# Page a\n\nUne mise à jour par l'API du réseau a.\n"

    def upload(conn):  # uploads through the API, of a new document and of a folder one
        for doc_id, body in (("notes/zorglub.md", text), ("a.md", orange)):
            ingest_document(conn, Document(doc_id, body, doc_id, sha256_bytes(body.encode())),
                            config=CONFIG, contextual=True, embed=embedder.encode_passages,
                            # zorglub's by a replica that makes no token rows
                            embed_tokens=(None if doc_id == "notes/zorglub.md"
                                          else embedder.passage_token_vectors))

    twin.each(upload)
    report = twin.sync()  # the folder's a.md written back, the upload kept
    assert report.changed == ["a.md"]
    assert report.tokens_embedded >= 1  # zorglub's, filled as a full sync fills them

    def recut(conn):  # another replica's write of b.md, cut otherwise, same bytes
        conn.execute("UPDATE passages SET section = 'ailleurs' WHERE doc_id = 'b.md'")
        conn.execute("UPDATE documents SET indexed_at = indexed_at WHERE doc_id = 'b.md'")

    twin.each(recut)
    report = twin.sync()
    assert report.unchanged == 3 and not report.up_to_date  # b.md written again

    def gone(conn):  # deleted by another process: written again from the folder
        delete_document(conn, "c.txt")

    twin.each(gone)
    assert twin.sync().added == ["c.txt"]


def test_side_rows_are_filled_for_documents_another_run_left_without_them(
        twin, corpus, embedder, monkeypatch):
    twin.sync()
    _write(corpus, "d.md", _page("d") + "\nUne phrase que personne d'autre ne dit.\n")

    def killed_before_its_fill(conn):  # another process's sync, killed before its fill
        with monkeypatch.context() as patch:
            def die(*args, **kwargs):
                raise RuntimeError("killed")

            patch.setattr(pg_sentences, "fill", die)
            with pytest.raises(RuntimeError):
                index_corpus_into(conn, corpus, config=CONFIG, contextual=True,
                                  load_embedder=lambda: embedder)

    twin.each(killed_before_its_fill)
    missing = pg_sentences.new_sentences(twin.conns["memo"], _quotes(twin.conns["memo"]))
    assert missing  # d.md is stored without its sentences
    reads: list[list[str]] = []
    real = read_documents

    def spy(conn, doc_ids, step=None):
        reads.append(list(doc_ids))
        return real(conn, doc_ids, step)

    monkeypatch.setattr("ragqa.index.pg.side_fill.read_documents", spy)
    report = twin.sync()
    assert report.up_to_date is False and report.sentences_embedded == len(missing)
    assert not pg_sentences.new_sentences(twin.conns["memo"], _quotes(twin.conns["memo"]))
    # The memo's sync checked d.md alone (sentences, then tokens); the full one, everything.
    assert reads[:2] == [["d.md"], ["d.md"]] and len(reads[2]) == 4


def _quotes(conn) -> list[str]:
    return [text[a:b] for _, _, text, spans in read_documents(
        conn, [r[0] for r in conn.execute("SELECT doc_id FROM documents")]) for a, b in spans]


def _rows(conn, doc_id: str) -> list:
    return conn.execute("SELECT start_offset, end_offset, section, embed_key FROM passages "
                        "WHERE doc_id = %s ORDER BY ordinal", (doc_id,)).fetchall()


def test_stored_layouts_are_read_again_only_where_a_row_version_moved(
        twin, embedder, monkeypatch):
    twin.sync()
    conn = twin.conns["memo"]
    layouts = StoredLayouts()
    first = layouts.read(conn)
    taken: list[set[str]] = []
    real = layouts._take
    monkeypatch.setattr(layouts, "_take",
                        lambda rows: taken.append({r[0] for r in rows}) or real(rows))
    assert layouts.read(conn) == first and taken == []
    body = "# Page b\n\nUne mise à jour par l'API du réseau b.\n"
    ingest_document(conn, Document("b.md", body, "b", sha256_bytes(body.encode())),
                    config=CONFIG, contextual=True, embed=embedder.encode_passages)
    delete_document(conn, "c.txt")
    again = layouts.read(conn)
    assert taken == [{"b.md"}] and again == StoredLayouts().read(conn)
    assert again["b.md"] != first["b.md"] and "c.txt" not in again
