"""index.highlight: the best-matching sentence of a passage, in document offsets.

(Lives here rather than in tests/index/ while that folder is being reworked elsewhere.)
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import Analyzer, AnalyzerConfig
from index.highlight import highlight_span, sentence_spans

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
