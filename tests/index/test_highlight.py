"""index.highlight: the best-matching sentence of a passage, in document offsets."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ragqa.index.analysis import Analyzer, AnalyzerConfig
import json

from ragqa.index.highlight import Highlighter, highlight_span, sentence_spans
from tests.conftest import CORPUS

ANALYZE = Analyzer(AnalyzerConfig())
TEXT = (
    "Préambule sans rapport.\n"
    "GITEX Africa ouvre ses portes à Marrakech. Avec plus de 45.000 visiteurs et 1.500 "
    "exposants attendus, l'événement promet beaucoup ! La cérémonie aura lieu lundi.\n"
    "18-04 à 17:52 Une entrée de live blog sans point final"
)


def test_sentence_spans_are_trimmed_and_cover_the_sentences():
    start = TEXT.index("GITEX")
    spans = list(sentence_spans(TEXT, start, len(TEXT)))
    assert [TEXT[s:e] for s, e in spans] == [
        "GITEX Africa ouvre ses portes à Marrakech.",
        "Avec plus de 45.000 visiteurs et 1.500 exposants attendus, l'événement promet "
        "beaucoup !",
        "La cérémonie aura lieu lundi.",
        "18-04 à 17:52 Une entrée de live blog sans point final",
    ]


def test_picks_the_sentence_with_the_question_terms_stemmed_and_unaccented():
    start, end = TEXT.index("GITEX"), len(TEXT)
    span = highlight_span(TEXT, start, end, "Combien de visiteur et d'exposant au Gitex ?", ANALYZE)
    assert TEXT[span[0] : span[1]].startswith("Avec plus de 45.000 visiteurs")
    span = highlight_span(TEXT, start, end, "ceremonie", ANALYZE)
    assert TEXT[span[0] : span[1]] == "La cérémonie aura lieu lundi."


def test_rare_terms_outweigh_terms_found_everywhere():
    text = "Le Maroc signe. Le Maroc et Nokia signent un accord. Le Maroc gagne."
    span = highlight_span(text, 0, len(text), "accord Maroc", ANALYZE)
    assert text[span[0] : span[1]] == "Le Maroc et Nokia signent un accord."


def test_no_shared_term_gives_the_first_sentence_of_the_passage():
    start = TEXT.index("GITEX")
    span = highlight_span(TEXT, start, len(TEXT), "zzz quantique", ANALYZE)
    assert TEXT[span[0] : span[1]] == "GITEX Africa ouvre ses portes à Marrakech."


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab .!?\n\u00e9", max_size=80), st.data())
def test_highlight_always_lies_inside_the_passage(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    s, e = highlight_span(text, start, end, "ab ba", ANALYZE)
    assert start <= s <= e <= end
    if text[start:end].strip():
        assert s < e and text[s:e] == text[s:e].strip()


def test_the_caching_highlighter_agrees_with_highlight_span_over_the_corpus():
    # Real documents cut into windows, real questions, each window asked several times:
    # remembered sentences must give exactly what analysing afresh gives.
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}
    questions = [json.loads(line)["question"]
                 for line in (CORPUS.parent / "eval" / "questions.jsonl").open()][:40]
    rng = random.Random(7)
    windows = [(doc_id, start, min(len(text), start + 900))
               for doc_id, text in texts.items() for start in range(0, len(text), 700)]
    highlighter = Highlighter(ANALYZE, cache_size=64)
    checked = 0
    for question in questions:
        span = highlighter.for_question(question)
        for doc_id, start, end in rng.sample(windows, 20):
            text = texts[doc_id]
            assert span(doc_id, text, start, end) == highlight_span(text, start, end,
                                                                     question, ANALYZE)
            checked += 1
    assert checked == 800 and len(highlighter._sentences) == 64
