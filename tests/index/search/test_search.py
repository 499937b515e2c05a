"""Ranking sanity with the real bundled model on the real corpus."""

from dataclasses import replace

import pytest

from ragqa.index.errors import QueryError, UnknownDocumentError
from ragqa.index.search.fusion import default_fusion
from ragqa.index.search.retriever import Retriever, RetrievalParams
from ragqa.index.files.generations import load_index
from tests.conftest import LIVE_BLOG

ANNOUNCEMENT = "17-02 à 16:49 La 3e édition de GITEX Africa se tiendra du 14 au 16 avril à Marrakech"


@pytest.fixture(scope="module")
def retriever(corpus_index, embedder):
    params = RetrievalParams(fusion=default_fusion(embedder.model.name))
    return Retriever(load_index(corpus_index), embedder, params)


def _check_quotes(retriever, hits):
    for hit in hits:
        text = retriever.index.documents[hit.doc_id].text
        assert text[hit.start : hit.end] == hit.quote


@pytest.mark.parametrize("mode", ["hybrid", "bm25"])
def test_gitex_figures_question_returns_the_announcement_entry_first(retriever, mode):
    result = retriever.search(
        "Combien de visiteurs et d'exposants sont attendus au Gitex Africa 2025 ?", 5, mode=mode
    )
    top = result.hits[0]
    assert top.doc_id == LIVE_BLOG
    assert top.section == ANNOUNCEMENT
    assert any("45.000 visiteurs" in h.quote for h in result.hits[:3])
    _check_quotes(retriever, result.hits)


@pytest.mark.parametrize(
    "question, doc_id",
    [
        ("Quel accord Nokia a-t-il signé avec le gouvernement marocain ?", "002_3fd3ba12ca1ab0c9.txt"),
        ("Huawei SPARK programme startups Maroc", "001_d52cea156ab06147.txt"),
        ("USTDA délégation marocaine villes intelligentes", "003_269b4ea9b94f60aa.txt"),
        ("Huawei ICT Academy talents formés", "000_53d6d8110b4badda.txt"),
    ],
)
def test_questions_find_their_document(retriever, question, doc_id):
    result = retriever.search(question, 3)
    assert result.hits[0].doc_id == doc_id
    _check_quotes(retriever, result.hits)


def test_ranks_scores_and_k(retriever):
    result = retriever.search("5G Maroc", 7, mode="dense")
    assert [h.rank for h in result.hits] == list(range(1, 8))
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_doc_filter(retriever):
    only = ["002_3fd3ba12ca1ab0c9.txt"]
    for mode in ("hybrid", "bm25", "dense"):
        hits = retriever.search("Gitex Africa visiteurs", 5, mode=mode, doc_ids=only).hits
        assert hits and {h.doc_id for h in hits} == set(only)
    # A filter naming a document the index does not hold is an error, not an empty result.
    with pytest.raises(UnknownDocumentError, match="unknown.txt"):
        retriever.search("Gitex", 5, doc_ids=[only[0], "unknown.txt"])


@pytest.mark.parametrize("question", ["", "   \n\t", "x" * 2001])
def test_bad_questions(retriever, question):
    with pytest.raises(QueryError):
        retriever.search(question, 5)


def test_question_of_stopwords_only_still_answers_densely(retriever):
    result = retriever.search("qu'est-ce que c'est ?", 3)
    assert len(result.hits) == 3


def test_overlapping_chunks_are_not_returned_twice(retriever):
    for mode in ("hybrid", "bm25", "dense"):
        hits = retriever.search("Orange Maroc 5G réseau déploiement", 10, mode=mode).hits
        assert len(hits) == 10
        for i, a in enumerate(hits):
            for b in hits[i + 1 :]:
                if a.doc_id == b.doc_id:
                    shared = min(a.end, b.end) - max(a.start, b.start)
                    assert shared * 2 <= min(a.end - a.start, b.end - b.start)


def test_repeated_questions_are_served_from_the_caches(corpus_index, embedder, monkeypatch):
    retriever = Retriever(load_index(corpus_index), embedder,
                          RetrievalParams(fusion=default_fusion(embedder.model.name)))
    question = "Quel est le programme Orange Digital Center ?"
    first = retriever.search(question, 5)
    calls = []
    real_encode = embedder.encode
    monkeypatch.setattr(embedder, "encode", lambda *a, **kw: calls.append(a) or real_encode(*a, **kw))
    assert retriever.search(f"  {question} ", 5) is first  # same question, same result object
    assert retriever.search(question, 3).hits == first.hits[:3]  # other k: searched again...
    assert calls == []  # ...but the query vector came from the embedder's cache
    embedder.encode_queries(["une question jamais vue"])
    assert len(calls) == 1
    # A retriever over a new generation starts with an empty result cache.
    fresh = Retriever(load_index(corpus_index), embedder, retriever.params)
    assert fresh.search(question, 5) is not first
    assert fresh.search(question, 5).hits == first.hits


def test_windows_of_one_section_are_returned_once(retriever):
    """No two hits of one section overlap or touch: such windows come back as one passage,
    still an exact slice of the document, at most ``merge_neighbours`` characters long."""
    limit = retriever.params.merge_neighbours
    for mode in ("hybrid", "bm25", "dense"):
        for question in ("Orange Maroc 5G réseau déploiement",
                         "Combien de visiteurs et d'exposants au Gitex Africa 2025 ?"):
            hits = retriever.search(question, 10, mode=mode).hits
            _check_quotes(retriever, hits)
            for i, a in enumerate(hits):
                for b in hits[i + 1 :]:
                    if ((a.doc_id, a.section) == (b.doc_id, b.section)
                            and not (b.start > a.end or a.start > b.end)):
                        # together they would pass the limit
                        assert max(a.end, b.end) - min(a.start, b.start) > limit
                    assert b.end - b.start <= max(limit, 1000)


def _record(row, start, end, text, section="S", doc="d"):
    from ragqa.index.records import PassageRecord

    return PassageRecord(row=row, doc_id=doc, start=start, end=end, section=section, page=None,
                         title="T", quote=text[start:end], before="", after="")


def test_merging_keeps_exact_slices_and_the_better_rank():
    from ragqa.index.search.retriever import _merged

    text = "".join(chr(ord("a") + i % 26) for i in range(3000))
    kept = [(_record(7, 1000, 2000, text), 0.9), (_record(3, 0, 500, text, doc="e"), 0.8)]
    assert _merged(kept, _record(8, 1500, 2500, text), 2000)  # overlaps the first
    assert [(p.row, p.start, p.end, s) for p, s in kept] == [(7, 1000, 2500, 0.9),
                                                            (3, 0, 500, 0.8)]
    assert kept[0][0].quote == text[1000:2500]
    assert _merged(kept, _record(9, 600, 1000, text), 2000)  # touches it: 600-2500
    assert kept[0][0].quote == text[600:2500]
    # too long together, another section, a gap, another document: left apart
    assert not _merged(kept, _record(10, 2500, 2700, text), 2000)
    assert not _merged(kept, _record(11, 2000, 2400, text, section="other"), 5000)
    assert not _merged(kept, _record(12, 2501, 2600, text), 5000)
    assert not _merged(kept, _record(13, 2000, 2400, text, doc="x"), 5000)


def test_a_joined_passage_names_the_windows_it_was_made_of():
    from ragqa.index.search.retriever import _merged

    text = "".join(chr(ord("a") + i % 26) for i in range(3000))
    kept = [(_record(1, 1000, 2000, text), 0.9)]
    assert kept[0][0].windows == ()  # a passage as stored
    assert _merged(kept, _record(2, 1500, 2500, text), 2000)
    assert kept[0][0].windows == ((1000, 2000), (1500, 2500))
    assert _merged(kept, _record(3, 600, 1100, text), 2000)  # joins the joined one
    assert kept[0][0].windows == ((600, 1100), (1000, 2000), (1500, 2500))
    joined = kept[0][0]
    assert [joined.quote[a - joined.start : b - joined.start] for a, b in joined.windows] == [
        text[600:1100], text[1000:2000], text[1500:2500]]


def test_a_passage_reaching_two_kept_ones_joins_them():
    from ragqa.index.search.retriever import _merged

    text = "x" * 3000
    kept = [(_record(1, 0, 1000, text), 0.9), (_record(2, 1500, 2500, text), 0.8)]
    assert _merged(kept, _record(3, 900, 1600, text), 3000)
    assert [(p.row, p.start, p.end) for p, _ in kept] == [(1, 0, 2500)]
    assert kept[0][0].quote == text[0:2500]


def test_a_copy_of_a_document_does_not_show_its_passages_twice(small_corpus, tmp_path, minilm,
                                                                embedder):
    # "Copie de note.docx" beside "note.docx": 2 to 4 of a search's 5 passages were the
    # same text twice.
    from tests.support import build_index

    (small_corpus / "orange (1).md").write_bytes((small_corpus / "orange.md").read_bytes())
    build_index(small_corpus, tmp_path / "idx", minilm, embedder)
    retriever = Retriever(load_index(tmp_path / "idx"), embedder,
                          RetrievalParams(fusion=default_fusion(embedder.model.name)))
    question = "Quand ouvrira le data center de Rabat ?"
    hits = retriever.search(question, 5).hits
    quotes = [hit.quote for hit in hits]
    assert len(quotes) == len(set(quotes)) and hits[0].doc_id in ("orange.md", "orange (1).md")
    # a search of the copy alone (a reader allowed only the copy) still finds it
    only = retriever.search(question, 5, doc_ids=["orange (1).md"]).hits
    assert only[0].doc_id == "orange (1).md" and "Rabat" in only[0].quote
    # the same text in a document of another title is another document's word: kept
    from ragqa.index.search.retriever import _copied

    text = "".join(chr(ord("a") + i % 26) for i in range(30))
    assert _copied(_record(2, 2, 8, text, doc="b"), _record(1, 0, 10, text))
    other = replace(_record(2, 2, 8, text, doc="b"), title="Autre")
    assert not _copied(other, _record(1, 0, 10, text))  # another title
    assert not _copied(_record(2, 5, 15, text, doc="b"), _record(1, 0, 10, text))  # beyond it
    moved = replace(_record(2, 2, 8, text, doc="b"), quote=text[3:9])
    assert not _copied(moved, _record(1, 0, 10, text))  # other text at those offsets
