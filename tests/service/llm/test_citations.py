"""Citation markers on given strings: kept, mapped to passages, removed, and streamed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ragqa.service.llm.abstain import ABSTENTIONS, abstention, guess_language
from ragqa.service.llm.citations import MarkerFilter, cited_numbers, clean, make_answer
from ragqa.service.schemas import PassageOut


def passage(rank: int, doc_id: str) -> PassageOut:
    return PassageOut(rank=rank, score=1.0 / rank, doc_id=doc_id, title=f"T{rank}",
                      section=f"S{rank}", quote=f"quote {rank}", start=10 * rank,
                      end=10 * rank + 7)


PASSAGES = [passage(1, "a.txt"), passage(2, "b.md"), passage(3, "a.txt")]


def test_valid_markers_are_kept_and_invalid_ones_removed_and_reported():
    text, markers = clean(" Rabat ouvre en juin [2]. Casablanca [7] aussi [1, 9][3;12].\n", 3)
    assert text == "Rabat ouvre en juin [2]. Casablanca aussi [1][3]."
    assert markers.removed == [7, 9, 12] and not markers.abstained


def test_citations_map_each_marker_to_the_passage_of_that_rank_once():
    answer = make_answer("X [3] et Y [1]; encore X [3].", PASSAGES, "m", [8])
    assert [c.n for c in answer.citations] == [3, 1]
    first = answer.citations[0]
    assert (first.doc_id, first.start, first.end, first.quote) == ("a.txt", 30, 37, "quote 3")
    assert answer.grounded and answer.removed_markers == [8] and answer.model == "m"


def test_an_answer_without_a_valid_citation_is_not_grounded():
    text, markers = clean("La réponse est 42 [4].", 3)
    answer = make_answer(text, PASSAGES, "m", markers.removed)
    assert answer.text == "La réponse est 42." and answer.citations == []
    assert not answer.grounded and answer.removed_markers == [4]
    assert not make_answer("Aucun passage ne le dit.", PASSAGES, "m").grounded


def test_brackets_that_are_not_markers_are_left_alone():
    text, markers = clean("Voir [annexe] et [5] puis [2", 3)
    assert (text, markers.removed) == ("Voir [annexe] et puis [2", [5])
    assert cited_numbers("[2] [1,2] [x]") == [2, 1]


def test_the_abstention_marker_is_removed_and_recorded_not_reported_as_invalid():
    text, markers = clean("[0] Les passages ne donnent pas ce chiffre.", 3)
    assert text == "Les passages ne donnent pas ce chiffre."
    assert markers.abstained and markers.removed == []
    text, markers = clean("Le chiffre est 26 [2].", 3)
    assert not markers.abstained


@given(st.lists(st.sampled_from(["Le ", "5G", " [", "1", "]", "[9]", " ", "\n", "[2, 7]",
                                 "[0]", "0",
                                 "é", "[", "3]", "x"]), max_size=30),
       st.data())
def test_streamed_pieces_join_into_the_whole_answer(parts, data):
    text = "".join(parts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    stream = MarkerFilter(3)
    emitted = [stream.feed(p) for p in pieces] + [stream.flush()]
    whole, markers = clean(text, 3)
    assert "".join(emitted) == whole
    assert (stream.removed, stream.abstained) == (markers.removed, markers.abstained)


def test_the_question_language_is_guessed_for_french_and_english():
    assert guess_language("Qui dirige Kaoun International ?") == "fr"
    assert guess_language("Combien d'exposants sont attendus ?") == "fr"
    assert guess_language("Who leads Kaoun International?") == "en"
    assert guess_language("How many visitors are expected at Gitex?") == "en"
    assert guess_language("Gitex 2025", default="en") == "en"
    assert abstention("What does the report say about 6G?") == ABSTENTIONS["en"]
    assert abstention("Que dit le rapport sur la 6G ?") == ABSTENTIONS["fr"]
