"""index.highlight: the best-matching sentence of a passage, in document offsets."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
import json

from ragqa.index.search.highlight import Highlighter, highlight_span, is_heading_only, sentence_spans
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


@pytest.mark.parametrize("text, sentences", [
    # an initial, "M." and the usual abbreviations end no sentence
    ("Présents : M. Martin, Mme Durand et Dr. Petit. La séance est ouverte.",
     ["Présents : M. Martin, Mme Durand et Dr. Petit.", "La séance est ouverte."]),
    ("Le livre de J. K. Rowling est paru. Il a plu.",
     ["Le livre de J. K. Rowling est paru.", "Il a plu."]),
    ("Fondée en 44 av. J.-C. par César. Voir p. 12. Fin.",
     ["Fondée en 44 av. J.-C. par César.", "Voir p. 12.", "Fin."]),
    ("Voir art. 4 du code. Né en 1950 av. J.-C. Il meurt.",
     ["Voir art. 4 du code.", "Né en 1950 av. J.-C.", "Il meurt."]),
    # a word that is an abbreviation too, or a lone capital, still ends a sentence
    ("Il a signalé le vol. La police est venue. C'est de l'art. Le reste suit.",
     ["Il a signalé le vol.", "La police est venue.", "C'est de l'art.", "Le reste suit."]),
    # an initial after a name, unless a sentence's opening word follows ("Franklin D.
    # Roosevelt", not "la Station F. Quel ...")
    ("Franklin D. Roosevelt est élu. Elle est à la Station F. Quel est son rôle ?",
     ["Franklin D. Roosevelt est élu.", "Elle est à la Station F.", "Quel est son rôle ?"]),
    # ... or after a preposition introducing a name
    ("Le compte rendu signé par C. Martin est validé. Voir chez B. Durand. Fin.",
     ["Le compte rendu signé par C. Martin est validé.", "Voir chez B. Durand.", "Fin."]),
    ("Les agents sont classés de A à E. Chaque niveau donne une prime.",
     ["Les agents sont classés de A à E.", "Chaque niveau donne une prime."]),
    ("Rendez-vous au bâtiment B. Merci. Voir l'annexe A. Les montants sont en euros.",
     ["Rendez-vous au bâtiment B.", "Merci.", "Voir l'annexe A.",
      "Les montants sont en euros."]),
    # nor does the number opening a line (a numbered heading or list item); a number
    # ending a sentence does
    ("3. Délais de paiement\n2.1. Les factures sont payées à 30 jours. Le total est de 3. "
     "Fin.", ["3. Délais de paiement", "2.1. Les factures sont payées à 30 jours.",
              "Le total est de 3.", "Fin."]),
])
def test_a_full_stop_after_an_abbreviation_or_a_line_number_ends_no_sentence(text, sentences):
    assert [text[s:e] for s, e in sentence_spans(text, 0, len(text))] == sentences


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
        focus = highlighter.focus(question)
        for doc_id, start, end in rng.sample(windows, 20):
            text = texts[doc_id]
            assert highlighter.span(focus, doc_id, text, start, end) == highlight_span(
                text, start, end, question, ANALYZE)
            checked += 1
    assert checked == 800 and len(highlighter._cache) == 64


# ---- headings are not answers -------------------------------------------------------------

ABOUT = ("## **A PROPOS DE HUAWEI MAROC :**\n\n"
         "Huawei Maroc est un fournisseur de solutions TIC présent au Maroc depuis 1999. "
         "Le groupe emploie des ingénieurs locaux.\n")


def test_a_heading_only_line_is_never_the_highlight_when_a_content_sentence_matches():
    span = highlight_span(ABOUT, 0, len(ABOUT), "Qu'est-ce que Huawei Maroc ?", ANALYZE)
    assert ABOUT[span[0]:span[1]].startswith("Huawei Maroc est un fournisseur")


def test_a_heading_is_the_highlight_only_when_nothing_else_matches():
    text = "Chiffres clés :\nLe réseau couvre 98 % de la population."
    # the sentence under a matching heading says what the heading announces
    span = highlight_span(text, 0, len(text), "chiffres clés", ANALYZE)
    assert text[span[0]:span[1]] == "Le réseau couvre 98 % de la population."
    span = highlight_span(text, 0, len(text), "zzz", ANALYZE)  # nothing: first content
    assert text[span[0]:span[1]] == "Le réseau couvre 98 % de la population."
    last = "Le réseau couvre 98 % de la population.\nChiffres clés :"
    span = highlight_span(last, 0, len(last), "chiffres clés", ANALYZE)
    assert last[span[0]:span[1]] == "Chiffres clés :"  # no content sentence matches


def test_an_interview_question_points_to_the_answer_after_it():
    text = ("Quels services Ericsson propose-t-il aux TPE marocaines ?\n"
            "Nous mettons à disposition notre programme Educate, une plateforme en ligne.\n"
            "Le reste de l'entretien porte sur la 5G.")
    span = highlight_span(text, 0, len(text), "Quels services Ericsson propose aux TPE ?", ANALYZE)
    assert text[span[0]:span[1]].startswith("Nous mettons à disposition")


@pytest.mark.parametrize("line, heading", [
    ("## **A PROPOS DE HUAWEI MAROC :**", True),
    ("### Une section", True),
    (" 18-04 à 17:52 Une entrée de live blog sans point final", True),
    ("**Chiffres clés**", True),
    ("COMMUNIQUÉ DE PRESSE", True),
    ("Contexte :", True),
    ("Télémédecine, IA et dossier médical partagé", True),
    ("Le réseau couvre 98 % de la population.", False),
    ("**Casablanca, le 7 juin 2021 – Le Maroc s’est retrouvé face à une migration.**", False),
    ("Quels gains tangibles ont été observés par l'entreprise cliente ?", False),
    # a label and its value is a fact (a slide's "Microsoft 365 E3 : 1 200 licences" was
    # never highlighted), a numbered part with its name a heading
    ("Microsoft 365 E3 : 1 200 licences", False),
    ("**Fournisseur retenu : Bechtle**", False),
    ("Article 3 : Durée", True),
])
def test_heading_only_lines(line, heading):
    text = f"Avant.\n{line}\nAprès."
    start = text.index(line.strip())
    assert is_heading_only(text, start, start + len(line.strip())) is heading


def test_part_of_a_line_is_never_a_heading():
    text = "## Titre. Suite"
    assert not is_heading_only(text, 3, 9)


def test_bundled_press_release_about_section_highlights_content():
    text = (CORPUS / "000_53d6d8110b4badda.txt").read_text(encoding="utf-8")
    start = text.index("## **A PROPOS DE HUAWEI MAROC")
    span = highlight_span(text, start, len(text), "À propos de Huawei Maroc", ANALYZE)
    assert not is_heading_only(text, *span) and "A PROPOS" not in text[span[0]:span[1]]


# ---- the model's similarity ---------------------------------------------------------------

class FakeModel:
    """Vectors by keyword: a sentence about "tarif" points one way, anything else another."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, texts):
        self.calls += 1
        return np.array([[1.0, 0.0] if "prix" in t or "tarif" in t else [0.0, 1.0]
                         for t in texts], dtype=np.float32)


PRICES = ("Le forfait Orange inclut la fibre. Son tarif mensuel est de 249 dirhams. "
          "Orange Maroc annonce aussi la fibre à Rabat.")


def test_the_models_similarity_joins_the_term_match():
    question, vector = "Combien coûte le forfait Orange ?", np.array([1.0, 0.0], np.float32)
    model = FakeModel()
    by_terms = highlight_span(PRICES, 0, len(PRICES), question, ANALYZE)
    assert PRICES[by_terms[0]:by_terms[1]] == "Le forfait Orange inclut la fibre."
    both = highlight_span(PRICES, 0, len(PRICES), question, ANALYZE, query_vector=vector,
                          embed=model, weight=2.0)
    assert PRICES[both[0]:both[1]] == "Son tarif mensuel est de 249 dirhams."


def test_sentence_vectors_are_embedded_once_per_passage_and_the_cache_is_bounded():
    model = FakeModel()
    highlighter = Highlighter(ANALYZE, cache_size=2, embed=model, weight=2.0)
    vector = np.array([1.0, 0.0], np.float32)
    for question in ("Combien coûte le forfait ?", "Quel est le prix ?", "Orange Rabat ?"):
        span = highlighter.span(highlighter.focus(question, vector), "a", PRICES, 0,
                                len(PRICES))
        assert PRICES[span[0]:span[1]] == "Son tarif mensuel est de 249 dirhams."
    assert model.calls == 1
    for n in range(3):
        highlighter.span(highlighter.focus("prix", vector), f"doc{n}", PRICES, 0, len(PRICES))
    assert len(highlighter._cache) == 2 and model.calls == 4
    # without a question vector, or with weight 0, the model is not used at all
    assert not Highlighter(ANALYZE, embed=model, weight=0).uses_model
    highlighter.span(highlighter.focus("prix"), "new", PRICES, 0, len(PRICES))
    assert model.calls == 4


def test_spans_embed_the_sentences_of_every_passage_in_one_call_and_agree_with_span():
    model = FakeModel()
    highlighter = Highlighter(ANALYZE, embed=model, weight=2.0)
    vector = np.array([1.0, 0.0], np.float32)
    passages = [(f"doc{n}", PRICES, 0, len(PRICES)) for n in range(4)]
    focus = highlighter.focus("Combien coûte le forfait ?", vector)
    spans = highlighter.spans(focus, passages)
    assert model.calls == 1  # one encoder call for the four passages' contenders
    alone = Highlighter(ANALYZE, embed=FakeModel(), weight=2.0)
    assert spans == [alone.span(alone.focus("Combien coûte le forfait ?", vector), *p)
                     for p in passages]
    highlighter.spans(focus, passages)
    assert model.calls == 1  # remembered


# Four sentences naming Orange before the one that answers, which names nothing asked.
ORANGE = ("Orange Maroc lance une offre. Orange Maroc vise les familles. Orange Maroc "
          "couvre Rabat. Orange Maroc étend la fibre. Son tarif mensuel est de 249 dirhams.")


def test_a_question_in_another_language_is_highlighted_by_the_models_cosine():
    """An English question over French passages shares names at most: its terms pick a
    sentence naming Orange, the model's cosine (over every sentence, not the three best by
    terms) the one that answers. (The fake encoder stands in for the model's cosines: what
    is tested is how they are weighed.)"""
    vector = np.array([1.0, 0.0], np.float32)
    highlighter = Highlighter(ANALYZE, embed=FakeModel())
    question = "How much does Orange Maroc charge a month?"
    as_french = highlighter.spans(highlighter.focus(question, vector),
                                  [("a", ORANGE, 0, len(ORANGE))])
    assert ORANGE[slice(*as_french[0])].startswith("Orange Maroc")
    foreign = highlighter.focus(question, vector, foreign=True)
    for span in (highlighter.spans(foreign, [("a", ORANGE, 0, len(ORANGE))])[0],
                 highlighter.span(foreign, "a", ORANGE, 0, len(ORANGE))):
        assert ORANGE[slice(*span)] == "Son tarif mensuel est de 249 dirhams."
    # Without the model (weight 0) there is nothing else to go by: the terms decide.
    plain = Highlighter(ANALYZE, embed=FakeModel(), weight=0)
    span = plain.span(plain.focus(question, vector, foreign=True), "a", ORANGE, 0, len(ORANGE))
    assert ORANGE[slice(*span)].startswith("Orange Maroc")
