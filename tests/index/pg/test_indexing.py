"""Indexing into the PostgreSQL store: the same passages and results as the files store,
per-document syncs that touch only what changed, uploads cut with the stored context."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ragqa.index.config import IndexConfig
from ragqa.index.documents.reading import Document, sha256_bytes
from ragqa.index.pg.connect import connect
from ragqa.index.pg.indexing import index_corpus_into, ingest_document
from ragqa.index.pg.pool import Pool
from ragqa.index.pg.view import PgView
from ragqa.index.search.retriever import Retriever, RetrievalParams
from ragqa.index.files.generations import load_index
from tests.conftest import CORPUS
from tests.index.pg.models import CountingEmbedder, model_record

QUESTIONS = ("Quand la 5G sera-t-elle lancée au Maroc ?", "Qui a signé l'accord avec Nokia ?",
             "Combien d'abonnés internet mobile ?", "fibre optique couverture nationale",
             "data center Rabat")


class FilesVectors:
    """Vectors taken from the files store's generation by key (the stores key passages
    alike, which this also checks: an unknown key fails), so the corpus is embedded once;
    and the sentences' from its sentence table (the stores cut sentences alike: one it
    lacks fails)."""

    def __init__(self, index) -> None:
        from ragqa.index.files.dense import all_vectors

        matrix = all_vectors(index.dense)
        self.index = index
        self.vectors = {key: matrix[row] for row, key in enumerate(index.vector_keys)}
        self.embedded = self.sentences = 0

    def encode_passages(self, texts):
        from ragqa.index.documents.processing import vector_key

        found = [self.vectors.get(vector_key(text)) for text in texts]
        if all(v is not None for v in found):
            self.embedded += len(texts)
            return np.stack(found)
        held, vectors = self.index.stored_sentence_vectors(texts)  # a batch of sentences
        assert held.all()
        self.sentences += len(texts)
        return vectors


def _sync(conn, corpus: Path, counting: CountingEmbedder, config: IndexConfig = IndexConfig(),
          **kwargs):
    return index_corpus_into(conn, corpus, config=config, contextual=True,
                             load_embedder=lambda: counting, **kwargs)


def test_a_bulk_index_gives_the_files_store_s_passages_and_results(
        store_conn, pg_url, corpus_index, minilm, embedder):
    conn, found = store_conn
    files = load_index(corpus_index)
    counting = FilesVectors(files)
    report = _sync(conn, CORPUS, counting)
    assert (report.documents, report.passages) == (len(files.documents), len(files.passages))
    assert sorted(report.added) == sorted(files.documents) and counting.embedded > 0
    assert report.sentences_embedded == counting.sentences > counting.embedded

    rows = conn.execute("SELECT p.doc_id, p.start_offset, p.end_offset, p.section, p.page, "
                        "p.embed_key, d.title FROM passages p JOIN documents d USING (doc_id) "
                        "ORDER BY p.doc_id, p.ordinal").fetchall()
    expected = sorted((p.doc_id, p.start, p.end, p.section, p.page, key,
                       files.documents[p.doc_id].title)
                      for p, key in zip(files.passages, files.vector_keys))
    assert sorted(rows) == expected

    pool = Pool(pg_url, size=2).open()
    try:
        store = PgView(pool, found, IndexConfig(), model=model_record(minilm, embedder))
        params = RetrievalParams(result_cache_size=1)
        on_files, on_pg = Retriever(files, embedder, params), Retriever(store, embedder, params)
        for question in QUESTIONS:
            for mode in ("bm25", "dense", "hybrid"):
                a = on_files.search(question, 5, mode=mode)
                b = on_pg.search(question, 5, mode=mode)
                assert [(h.doc_id, h.start, h.end, h.quote) for h in a.hits] == [
                    (h.doc_id, h.start, h.end, h.quote) for h in b.hits], (question, mode)
                assert np.allclose([h.score for h in a.hits], [h.score for h in b.hits],
                                   atol=1e-4)
                assert a.relevance == pytest.approx(b.relevance, abs=1e-3)
            only = sorted(files.documents)[:2]
            a = on_files.search(question, 5, doc_ids=only)
            b = on_pg.search(question, 5, doc_ids=only)
            assert [(h.doc_id, h.start) for h in a.hits] == [(h.doc_id, h.start) for h in b.hits]
    finally:
        pool.close()


def test_a_second_sync_changes_nothing_and_a_changed_file_is_rewritten_alone(
        store_conn, small_corpus, embedder):
    conn, _ = store_conn
    counting = CountingEmbedder(embedder)
    first = _sync(conn, small_corpus, counting)
    assert sorted(first.added) == ["nokia.txt", "orange.md"]
    changes = conn.execute("SELECT changes FROM corpus_stats").fetchone()[0]
    again = _sync(conn, small_corpus, counting)
    assert again.up_to_date and again.unchanged == 2
    assert conn.execute("SELECT changes FROM corpus_stats").fetchone()[0] == changes

    orange = small_corpus / "orange.md"
    orange.write_text(orange.read_text(encoding="utf-8") + "\n## Fibre\n\nLa fibre arrive "
                      "à Tanger en 2026.\n", encoding="utf-8")
    (small_corpus / "nokia.txt").unlink()
    (small_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    counting.embedded = 0
    third = _sync(conn, small_corpus, counting)
    assert third.changed == ["orange.md"] and third.removed == ["nokia.txt"]
    assert "broken.pdf" in third.refused
    assert 0 < counting.embedded < third.passages + 1 and third.reused > 0
    assert conn.execute("SELECT doc_id FROM documents").fetchall() == [("orange.md",)]
    assert conn.execute("SELECT doc_id FROM refused").fetchall() == [("broken.pdf",)]
    stats = conn.execute("SELECT passages FROM corpus_stats").fetchone()[0]
    assert stats == conn.execute("SELECT count(*) FROM passages").fetchone()[0]


def test_an_upload_is_cut_with_the_stored_context_and_an_unchanged_one_writes_nothing(
        store_conn, tmp_path, embedder):
    conn, _ = store_conn
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    footer = "Partagez cet article sur les réseaux sociaux"
    for name in ("a", "b"):  # the footer repeats in 3 sections of each: boilerplate
        (corpus / f"{name}.md").write_text(
            "".join(f"## Partie {i} de {name}\n\nTexte {i} sur le réseau {name}.\n\n{footer}\n\n"
                    for i in range(3)), encoding="utf-8")
    _sync(conn, corpus, CountingEmbedder(embedder))
    # An upload mentions the footer once: alone it would not be boilerplate; with the
    # stored context it is left out, as a bulk index of the corpus with it would.
    text = f"# Nouvelle\n\nLe réseau c arrive.\n\n{footer}\n"
    doc = Document("c.md", text, "Nouvelle", sha256_bytes(text.encode()))
    counting = CountingEmbedder(embedder)
    done = ingest_document(conn, doc, config=IndexConfig(), contextual=True,
                           embed=counting.encode_passages)
    assert done.outcome.changed and done.embedded + done.sentences == counting.embedded
    assert done.embedded > 0
    quotes = [r[0] for r in conn.execute(
        "SELECT substr(d.text, p.start_offset + 1, p.end_offset - p.start_offset) "
        "FROM passages p JOIN documents d USING (doc_id) WHERE doc_id = 'c.md'").fetchall()]
    assert quotes and not any(footer in q for q in quotes)
    changes = conn.execute("SELECT changes FROM corpus_stats").fetchone()[0]
    again = ingest_document(conn, doc, config=IndexConfig(), contextual=True,
                            embed=counting.encode_passages)
    assert not again.outcome.changed and again.embedded == 0
    assert conn.execute("SELECT changes FROM corpus_stats").fetchone()[0] == changes
    titled = ingest_document(conn, doc, config=IndexConfig(), contextual=True,
                             embed=counting.encode_passages, explicit_title="Titre choisi")
    assert titled.outcome.changed
    assert conn.execute("SELECT title, explicit_title FROM documents WHERE doc_id = 'c.md'"
                        ).fetchone() == ("Titre choisi", "Titre choisi")
    kept = ingest_document(conn, doc, config=IndexConfig(), contextual=True,
                           embed=counting.encode_passages)  # no title given: kept
    assert not kept.outcome.changed


def test_the_corpus_context_is_stored_with_the_bulk_index(store_conn, tmp_path, embedder):
    from ragqa.index.pg.context import read_context

    conn, _ = store_conn
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a", "b", "c"):  # a heading shared by three documents is generic
        (corpus / f"{name}.md").write_text(f"# Page {name}\n\n## Cas général\n\nRègle {name}.\n",
                                          encoding="utf-8")
    _sync(conn, corpus, CountingEmbedder(embedder))
    assert "cas général" in read_context(conn).generic_headings


def test_ragqa_index_keeps_api_uploads_and_deletes_folder_documents_gone_from_the_folder(
        store_conn, small_corpus, embedder):
    conn, _ = store_conn
    counting = CountingEmbedder(embedder)
    _sync(conn, small_corpus, counting)
    text = "# Zorglub\n\nZorglub Telecom pose un câble sous-marin à Dakhla.\n"
    note = Document("notes/zorglub.md", text, "Zorglub", sha256_bytes(text.encode()))
    assert ingest_document(conn, note, config=IndexConfig(), contextual=True,
                           embed=counting.encode_passages).outcome.changed
    # A folder document changed through the API is the API's now: gone from the folder, kept.
    orange = (small_corpus / "orange.md").read_text(encoding="utf-8") + "\nMise à jour.\n"
    ingest_document(conn, Document("orange.md", orange, "Orange Maroc",
                                   sha256_bytes(orange.encode())),
                    config=IndexConfig(), contextual=True, embed=counting.encode_passages)
    (small_corpus / "nokia.txt").unlink()
    (small_corpus / "orange.md").unlink()
    (small_corpus / "other.md").write_text("# Autre\n\nUn autre texte.\n", encoding="utf-8")
    report = _sync(conn, small_corpus, counting)
    assert report.removed == ["nokia.txt"] and report.added == ["other.md"]
    assert dict(conn.execute("SELECT doc_id, source FROM documents").fetchall()) == {
        "notes/zorglub.md": "api", "orange.md": "api", "other.md": "folder"}
    stats = conn.execute("SELECT passages FROM corpus_stats").fetchone()[0]
    assert stats == conn.execute("SELECT count(*) FROM passages").fetchone()[0]


def test_a_bulk_load_into_an_empty_store_builds_the_vector_graph_once_at_the_end(
        store_conn, monkeypatch, small_corpus, embedder):
    from ragqa.index.pg.migrations import migrate

    conn, _ = store_conn
    monkeypatch.setattr("ragqa.index.pg.indexing.DEFER_GRAPH_AT", 1)  # the tiny corpus counts
    seen: list[bool] = []

    class Watching(CountingEmbedder):
        def encode_passages(self, texts):  # during the load: the graph is not there
            seen.append(_graph(conn))
            return super().encode_passages(texts)

    _sync(conn, small_corpus, Watching(embedder))
    # The passages during the load; their sentences in the pass after it, graph built.
    assert seen == [False, True] and _graph(conn)
    # A load killed before the rebuild leaves no graph: the next start makes it again.
    conn.execute("DROP INDEX passages_embedding")
    migrate(conn, dimension=embedder.dimension)
    assert _graph(conn)


def _graph(conn) -> bool:
    return conn.execute("SELECT to_regclass('passages_embedding')").fetchone()[0] is not None


def test_a_sync_commits_the_sidecars_groups_before_any_document(
        store_conn, pg_url, embedder, tmp_path, monkeypatch):
    """A restricted document is never readable by everyone, not during the run (each
    document commits on its own) nor after a run that died half-way."""
    conn, _ = store_conn
    corpus = tmp_path / "corpus"
    (corpus / "rh").mkdir(parents=True)
    (corpus / "rh" / "salaires.md").write_text("# Salaires\n\nLa grille des salaires.\n",
                                               encoding="utf-8")
    (corpus / "rh" / "salaires.md.groups").write_text("rh\n", encoding="utf-8")
    (corpus / "ouvert.md").write_text("# Ouvert\n\nUne note pour tous.\n", encoding="utf-8")
    from ragqa.index.pg import indexing

    other = connect(pg_url)  # sees only what is committed
    seen: dict[str, list] = {}
    replace = indexing.replace_document

    def watched(c, write, **kwargs):
        seen[write.doc_id] = [r[0] for r in other.execute(
            "SELECT groups FROM document_groups WHERE doc_id = %s", (write.doc_id,))]
        done = replace(c, write, **kwargs)
        if write.doc_id == "rh/salaires.md":
            raise RuntimeError("killed half-way, the restricted document written")
        return done

    monkeypatch.setattr(indexing, "replace_document", watched)
    try:
        with pytest.raises(RuntimeError):
            _sync(conn, corpus, CountingEmbedder(embedder))
        assert seen["rh/salaires.md"] == [["rh"]]
        assert other.execute("SELECT count(*) FROM documents WHERE doc_id = %s",
                             ("rh/salaires.md",)).fetchone() == (1,)
        assert other.execute("SELECT groups FROM document_groups WHERE doc_id = %s",
                             ("rh/salaires.md",)).fetchone() == (["rh"],)
    finally:
        other.close()


def test_a_sync_lists_the_folder_once_and_its_links_follow_the_table(
        store_conn, embedder, tmp_path, monkeypatch):
    """The ``.groups`` files are read from the sync's own listing, and a link made later to
    a document restricted through the API (no ``.groups`` file: the table holds its groups)
    gets them, as the link to a restricted file of the files store does."""
    from ragqa.index.documents import corpus as corpus_module, group_rules
    from ragqa.index.pg.groups import set_groups

    conn, _ = store_conn
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "paie.md").write_text("# Paie\n\nLa paie de mars.\n", encoding="utf-8")
    (corpus / "ouvert.md").write_text("# Ouvert\n\nUne note pour tous.\n", encoding="utf-8")
    counting = CountingEmbedder(embedder)
    _sync(conn, corpus, counting)
    with conn.transaction():  # what a PUT writes
        set_groups(conn, {"paie.md": frozenset({"rh"})})
    (corpus / "lien.md").symlink_to("paie.md")
    listed = []
    for module in (corpus_module, group_rules):
        real = module.list_folder
        monkeypatch.setattr(module, "list_folder",
                            lambda folder, real=real: listed.append(folder) or real(folder))
    _sync(conn, corpus, counting)
    assert len(listed) == 1
    rows = dict(conn.execute("SELECT doc_id, groups FROM document_groups").fetchall())
    assert rows == {"paie.md": ["rh"], "lien.md": ["rh"]}


def test_groups_given_through_the_api_outlast_a_whole_sync(store_conn, pg_url, embedder,
                                                           tmp_path):
    """A ``PUT`` on a link, and one on a document with a ``.groups`` file, stay what the
    writer gave through a sync that writes documents (before, it gave both the folder's
    groups again: the link its target's, the document its file's)."""
    from ragqa.index.pg.groups import PgGroups

    conn, _ = store_conn
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "paie.md").write_text("# Paie\n\nLa paie de mars.\n", encoding="utf-8")
    (corpus / "paie.md.groups").write_text("rh\n", encoding="utf-8")
    (corpus / "ouvert.md").write_text("# Ouvert\n\nUne note pour tous.\n", encoding="utf-8")
    (corpus / "lien.md").symlink_to("paie.md")
    counting = CountingEmbedder(embedder)
    _sync(conn, corpus, counting)
    pool = Pool(pg_url, size=1).open()
    try:
        groups = PgGroups(pool, corpus)
        assert groups.of("lien.md") == {"rh"}
        groups.set("lien.md", frozenset({"x"}))
        groups.set("paie.md", frozenset({"direction"}))
        (corpus / "ouvert.md").write_text("# Ouvert\n\nUne autre note.\n", encoding="utf-8")
        report = _sync(conn, corpus, counting)
        assert report.changed == ["ouvert.md"]
        assert groups.of("lien.md") == {"x"} and groups.of("paie.md") == {"direction"}
        groups.set("lien.md", frozenset())  # it follows its target again
        _sync(conn, corpus, counting)
        assert groups.of("lien.md") == {"direction"}
    finally:
        pool.close()


def test_a_repointed_link_follows_its_new_target_once_a_whole_sync_wrote_it(
        store_conn, pg_url, embedder, tmp_path):
    """The groups step gives it only what both targets allow; the sync's end, its new
    target's (``settle_links``)."""
    from ragqa.index.pg.groups import PgGroups

    conn, _ = store_conn
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "paie.md").write_text("# Paie\n\nLa paie de mars.\n", encoding="utf-8")
    (corpus / "paie.md.groups").write_text("rh\n", encoding="utf-8")
    (corpus / "ouvert.md").write_text("# Ouvert\n\nUne note pour tous.\n", encoding="utf-8")
    (corpus / "lien.md").symlink_to("paie.md")
    counting = CountingEmbedder(embedder)
    _sync(conn, corpus, counting)
    (corpus / "lien.md").unlink()
    (corpus / "lien.md").symlink_to("ouvert.md")
    report = _sync(conn, corpus, counting)
    assert report.changed == ["lien.md"]
    pool = Pool(pg_url, size=1).open()
    try:
        assert PgGroups(pool).of("lien.md") == frozenset()
        PgGroups(pool, None).set("ouvert.md", frozenset({"x"}))  # recorded: its new target
        assert PgGroups(pool).of("lien.md") == {"x"}
    finally:
        pool.close()
