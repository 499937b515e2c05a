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


def _shares_at_most_half_a_sentence(a, b) -> bool:
    """Whether the text hits ``a`` and ``b`` (of one document) both show is nothing, or lies
    within one sentence of either of which it is at most half."""
    from ragqa.index.search.highlight import sentence_spans

    first, last = max(a.start, b.start), min(a.end, b.end)
    if last <= first:
        return True
    return any(s <= first - h.start and last - h.start <= e and 2 * (last - first) <= e - s + 1
               for h in (a, b) for s, e in sentence_spans(h.quote, 0, len(h.quote)))


def test_windows_of_one_section_are_returned_once(retriever):
    """No two hits of one document show the same text (but half a sentence at their edge):
    overlapping windows of a section come back as one passage, still an exact slice of the
    document, at most ``merge_neighbours`` characters long; a window overlapping a passage
    it would make too long is cut to the sentences it alone shows."""
    limit = retriever.params.merge_neighbours
    for mode in ("hybrid", "bm25", "dense"):
        # the CHU's section of the live blog: 3 of 10 hits overlapped a better one (before)
        for question in ("Orange Maroc 5G réseau déploiement",
                         "Combien de visiteurs et d'exposants au Gitex Africa 2025 ?",
                         "Combien de lits prévoit le CHU Mohammed VI de Rabat ?"):
            hits = retriever.search(question, 10, mode=mode).hits
            assert len(hits) == 10
            _check_quotes(retriever, hits)
            for i, a in enumerate(hits):
                assert a.end - a.start <= max(limit, 1000)
                for b in hits[i + 1 :]:
                    if a.doc_id == b.doc_id:
                        assert _shares_at_most_half_a_sentence(a, b), (question, mode, a, b)


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


SENTENCES = "".join(f"Phrase numéro {i} du texte, assez longue pour compter. " for i in range(80))


def test_a_window_overlapping_a_kept_passage_is_cut_to_what_it_alone_shows():
    from ragqa.index.search.retriever import _unshown

    text = SENTENCES
    kept = [_record(1, 0, 1000, text)]
    # 1000 falls inside a sentence: it is the new passage's first when most of it is unshown
    window = _record(2, 560, 1560, text)
    cut = _unshown(window, kept, 200)
    assert cut is not None and cut.row == 2 and cut.quote == text[cut.start:cut.end]
    assert cut.start >= 560 and cut.end <= 1560
    sentence = text.index("Phrase", 990 - 60)  # the sentence that straddles 1000
    middle = (sentence + text.index(".", sentence) + 1) / 2
    assert cut.start == (sentence if middle >= 1000 else text.index("Phrase", 1000))
    assert cut.cut_from == (window.quote,) and cut.windows == ()
    # no line break in the text: the rest of its line before and after, as the window read it
    assert cut.before == window.before + text[560:cut.start]
    assert cut.after == text[cut.end:1560] + window.after
    # less than ``least`` characters of its own: left out; merely touching: kept whole
    assert _unshown(_record(3, 500, 1150, text), kept, 200) is None
    assert _unshown(_record(4, 1000, 1600, text), kept, 200) == _record(4, 1000, 1600, text)
    # another document's passage is not cut, unless it is a copy (same title, same text)
    other = replace(_record(5, 500, 1500, text, doc="e"), title="U")
    assert _unshown(other, kept, 200) is other
    copy = _record(5, 500, 1500, text, doc="e")
    assert _unshown(copy, kept, 200).start > 990


def test_a_window_between_two_kept_passages_keeps_its_longest_unshown_run():
    from ragqa.index.search.retriever import _unshown

    text = SENTENCES
    kept = [_record(1, 0, 600, text), _record(2, 1400, 2000, text, section="other")]
    cut = _unshown(_record(3, 400, 1500, text), kept, 100)
    assert cut is not None and 600 <= cut.start + 30 and cut.end <= 1400 + 30
    assert cut.quote == text[cut.start:cut.end]


def test_a_passage_grown_by_a_join_cuts_the_worse_ranked_ones_it_now_reaches():
    from ragqa.index.search.retriever import _merged, _recut

    text = SENTENCES
    kept = [(_record(1, 0, 1000, text), 0.9), (_record(2, 1600, 2300, text), 0.8)]
    assert _merged(kept, _record(3, 550, 1800, text), 2000)  # the first grows to 0-1800
    assert [(p.row, p.start, p.end) for p, _ in kept] == [(1, 0, 1800), (2, 1600, 2300)]
    _recut(kept, 200)
    (first, _), (second, _) = kept
    assert (first.start, first.end) == (0, 1800)
    assert second.row == 2 and second.start >= 1790 and second.cut_from == (text[1600:2300],)
    # a cut passage takes no join: a window touching it stays apart
    assert second.end == 2300 and not _merged(kept, _record(4, 2300, 2400, text), 5000)
    assert len(kept) == 2


def test_a_cut_passage_s_line_context_is_read_from_its_window():
    from ragqa.index.search.retriever import _unshown

    text = SENTENCES[:600] + "\n" + SENTENCES[600:1200] + "\n" + SENTENCES[1200:1800]
    kept = [_record(1, 900, 1500, text)]
    # the window as stored: the rest of its first line before it, of its last line after it
    window = replace(_record(2, 300, 1000, text), before=text[:300], after=text[1000:1201])
    cut = _unshown(window, kept, 100)
    # the sentence across 900 mostly before it: kept whole
    assert cut is not None and cut.start == 300 and 900 < cut.end < 960
    assert cut.quote.endswith("compter.")
    assert cut.before == text[:300]
    assert cut.after == text[cut.end:1201]  # the rest of line B, read from the window
    # and cut at its start, the line before it begins at the line break
    window = replace(_record(3, 400, 1300, text), before=text[:400], after=text[1300:1800])
    cut = _unshown(window, [_record(1, 0, 700, text)], 100)
    assert cut is not None and 640 < cut.start < 760
    assert cut.before == text[601:cut.start]


def _taken(*records):
    """The passages ``records`` (ranked best first) leave, as a search keeps them."""
    from ragqa.index.search.retriever import _take

    kept = []
    for i, record in enumerate(records):
        _take(kept, record, 1.0 - i / 100, RetrievalParams())
    return [(p.doc_id, p.start, p.end) for p, _ in kept]


def test_a_copy_of_a_cut_window_is_not_shown_again():
    text = SENTENCES
    copy = replace(_record(9, 1100, 2100, text, doc="copie.md"))
    taken = _taken(_record(1, 0, 1000, text), _record(2, 1100, 2100, text),
                   _record(3, 550, 1550, text), copy)
    # the first joins the third (0-1550), the second is cut to what follows; the copy of the
    # second shows nothing new
    assert [t[0] for t in taken] == ["d", "d"] and taken[0] == ("d", 0, 1550)
    # a copy whose text differs is another document's: kept
    other = _record(9, 1100, 2100, text.replace("Phrase", "Ligne"), doc="copie.md")
    assert len(_taken(_record(1, 0, 1000, text), _record(2, 1100, 2100, text),
                      _record(3, 550, 1550, text), other)) == 3


def test_a_window_mostly_over_a_cut_passage_keeps_what_it_alone_shows():
    text = SENTENCES
    taken = _taken(_record(1, 0, 1000, text), _record(2, 1100, 2100, text),
                   _record(3, 550, 1550, text), _record(4, 1650, 2650, text))
    # the fourth shares most of the cut second's text, but its end [2100, 2650) is new
    assert len(taken) == 3 and taken[2][0] == "d" and taken[2][2] > 2500
