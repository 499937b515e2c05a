"""The passages-only answer: the question's language, whole quotes, a visible cut."""

from ragqa.service.llm.listing import MAX_QUOTE_CHARS, passages_text
from ragqa.service.schemas import PassageOut


def passage(quote: str, **kw) -> PassageOut:
    fields = dict(rank=1, score=1.0, doc_id="a.txt", title="Titre", section="Titre",
                  quote=quote, start=10, end=10 + len(quote))
    return PassageOut(**{**fields, **kw})


def test_the_language_follows_the_question():
    p = [passage("Le câble relie Dakhla aux Canaries.")]
    fr = passages_text("Où arrive le câble sous-marin ?", p, False)
    en = passages_text("Where does the submarine cable land?", p, False)
    assert fr.startswith("Aucun LLM") and "a.txt, caractères 10–45" in fr
    assert en.startswith("No LLM") and "a.txt, characters 10–45" in en
    assert passages_text("Where is it?", [], False).startswith("No LLM is configured and no")
    assert passages_text("Où est-il ?", p, True).startswith("Les documents ne semblent pas")


def test_quotes_are_whole_with_their_lines_and_sections_not_repeated():
    quote = "Première ligne du passage.\n\nSeconde ligne, après un blanc."
    text = passages_text("Quelle ligne ?", [passage(quote, page=3)], False)
    assert "[1] Titre (a.txt, caractères 10–68, p. 3)\n> Première ligne du passage.\n>\n" \
           "> Seconde ligne, après un blanc." in text
    assert "Titre — Titre" not in text
    other = passages_text("Quelle ligne ?", [passage(quote, section="Partie 2")], False)
    assert "[1] Titre — Partie 2 (" in other


def test_an_overlong_quote_is_cut_visibly_at_a_word():
    quote = "mot " * (MAX_QUOTE_CHARS // 2)
    text = passages_text("Quel mot ?", [passage(quote)], False)
    body = text.split("\n> ", 1)[1]
    assert body.endswith("(passage coupé ; texte complet aux caractères indiqués)")
    assert "mot […]" in body and len(body) < MAX_QUOTE_CHARS + 100
