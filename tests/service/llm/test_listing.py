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


def test_a_quote_does_not_repeat_the_heading_its_head_names(tmp_path):
    # A Word section's passage opened with its heading line, named just above it as well.
    import re

    from ragqa.index.documents.loaders import load_document

    from tests.service.test_headings import CONDITIONS, make_docx, passages_of

    path = tmp_path / "guide.docx"
    make_docx(path)
    text = load_document(path, path.name).text
    title, section, quote, start = next(p for p in passages_of(path) if CONDITIONS in p[2])
    listed = passages_text("Quelles conditions ?", [passage(
        quote, doc_id=path.name, title=title, section=section, start=start,
        end=start + len(quote))], False)
    assert f"[1] {title} — Conditions à remplir (" in listed
    assert "> Conditions à remplir" not in listed and f"\n> {CONDITIONS}" in listed
    a, b = map(int, re.search(r"caractères (\d+)–(\d+)", listed).groups())
    assert text[a:b] == CONDITIONS  # the offsets are those of what is quoted
