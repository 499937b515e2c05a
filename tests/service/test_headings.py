"""Where a quote is shown from: real documents read by the real loaders and cut by the
indexer's own processing, whose passages start with their section's heading line."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from odfdo import Document as OdfDocument
from odfdo import Header, Paragraph
from ragqa.index.documents.chunking import ChunkingParams, make_splitter
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.processing import corpus_context, process_document
from ragqa.eval.pdfwriting import make_pdf
from ragqa.service.headings import heading_key, shown_from

from tests.index.documents.test_pdfheadings import with_outline

CONDITIONS = ("Le demandeur doit résider dans la commune depuis au moins deux ans et "
              "justifier de revenus inférieurs au plafond.")
PIECES = ("Il faut fournir un avis d'imposition, un justificatif de domicile et une pièce "
          "d'identité.")
DELAIS = "La commission examine les dossiers complets dans un délai de trente jours ouvrés."


def make_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Guide des aides au logement", 0)
    document.add_paragraph("Ce guide présente les aides au logement proposées aux familles.")
    document.add_heading("Conditions à remplir", 1)
    document.add_paragraph(CONDITIONS)
    document.add_heading("Pièces justificatives", 1)
    document.add_heading("Cas général", 2)  # right under its parent: one section, two lines
    document.add_paragraph(PIECES)
    document.add_heading("2. Délais de traitement", 1)
    document.add_paragraph(DELAIS)
    document.save(path)


def make_odt(path: Path) -> None:
    document = OdfDocument("text")
    document.body.clear()
    document.body.append(Header(1, "Conditions à remplir"))
    document.body.append(Paragraph(CONDITIONS))
    document.body.append(Header(1, "Délais"))
    document.body.append(Paragraph(DELAIS))
    document.save(path)


FILES = {
    "guide.docx": make_docx,
    "guide.odt": make_odt,
    "guide.html": lambda path: path.write_text(
        "<!doctype html><html lang=fr><head><meta charset=utf-8><title>Guide</title></head>"
        f"<body><h1>Guide des aides</h1><h2>Conditions à remplir</h2><p>{CONDITIONS}</p>"
        f"<h2>Délais</h2><p>{DELAIS}</p></body></html>", encoding="utf-8"),
    "guide.md": lambda path: path.write_text(
        f"# Guide des aides\n\n## **Conditions à remplir**\n\n{CONDITIONS}\n\n"
        f"Pièces justificatives\n---------------------\n\n{PIECES}\n", encoding="utf-8"),
    "guide.txt": lambda path: path.write_text(
        f"Guide des aides\n\n1. Conditions à remplir\n\n{CONDITIONS}\n\n2. Délais\n\n{DELAIS}\n",
        encoding="utf-8"),
}


def passages_of(path: Path) -> list[tuple[str, str, str, int]]:
    """``(title, section, quote, start)`` of each passage the indexer cuts ``path`` into."""
    titled, context = corpus_context([load_document(path, path.name)])
    doc = titled[0]
    done = process_document(doc, context, make_splitter(ChunkingParams()), contextual=False)
    return [(doc.title, p.section, doc.text[p.start:p.end], p.start) for p in done.passages]


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_passage_is_shown_without_the_heading_its_card_names(tmp_path, name):
    path = tmp_path / name
    FILES[name](path)
    passages = passages_of(path)
    conditions = next(p for p in passages if CONDITIONS in p[2])
    title, section, quote, _ = conditions
    assert "Conditions à remplir" in section
    assert "Conditions à remplir" in quote[:quote.index(CONDITIONS)]  # the text opens with it
    at = shown_from(quote, title, section)
    assert quote[at:] == CONDITIONS  # the heading line (and the blank after it) left out
    for title, section, quote, _ in passages:
        shown = quote[shown_from(quote, title, section):]
        first = heading_key(shown.split("\n", 1)[0])
        assert first not in {heading_key(title), heading_key(section.split(" › ")[-1])}, name


def test_the_headings_above_a_section_go_with_its_own_and_the_offsets_stay_exact(tmp_path):
    path = tmp_path / "guide.docx"
    make_docx(path)
    text = load_document(path, path.name).text
    by_text = {quote: (title, section, start) for title, section, quote, start in passages_of(path)}
    pieces = next(q for q in by_text if PIECES in q)
    title, section, start = by_text[pieces]
    assert section == "Pièces justificatives › Cas général"
    assert pieces.startswith("Pièces justificatives\n")  # the parent's line, then its own
    at = shown_from(pieces, title, section)
    assert pieces[at:] == PIECES
    assert text[start + at:start + len(pieces)] == PIECES  # what is shown is text[a:b]
    delais = next(q for q in by_text if DELAIS in q)
    assert delais[shown_from(delais, *by_text[delais][:2]):] == DELAIS  # "2. Délais..."


def test_a_numbered_item_that_names_the_section_is_shown(tmp_path):
    # A Word numbered list under the heading "Inscription" whose first step is
    # "Inscription": the reader writes "1. Inscription", a line the heading does not say.
    path = tmp_path / "adhesion.docx"
    document = docx.Document()
    document.add_heading("Procédure d'adhésion", 0)
    document.add_paragraph("Cette page décrit la procédure d'adhésion à la médiathèque.")
    document.add_heading("Inscription", 1)
    for item in ("Inscription", "Paiement de la cotisation", "Confirmation par courriel"):
        document.add_paragraph(item, style="List Number")
    document.add_paragraph("Le dossier est traité sous huit jours par le service des adhésions.")
    document.save(path)
    title, section, quote, _ = next(p for p in passages_of(path) if p[1] == "Inscription")
    assert quote.startswith("Inscription\n\n1. Inscription\n2. Paiement")
    assert quote[shown_from(quote, title, section):].startswith("1. Inscription\n")


def test_a_lettered_line_that_names_the_section_is_shown(tmp_path):
    # A staff directory in markdown: the section "Martin", then "B. Martin" and their role.
    path = tmp_path / "annuaire.md"
    path.write_text("# Annuaire des services\n\n## Martin\n\nB. Martin\nDirecteur des services "
                    "techniques depuis 2019.\n\n## Durand\n\nC. Durand\nResponsable de "
                    "l'accueil et de l'état civil.\n", encoding="utf-8")
    title, section, quote, _ = next(p for p in passages_of(path) if p[1] == "Martin")
    assert quote[shown_from(quote, title, section):] == (
        "B. Martin\nDirecteur des services techniques depuis 2019.")


def test_a_title_wrapped_in_large_type_is_shown_once(tmp_path):
    # A PDF whose outline lists its sections but not its title, set in large type over two
    # lines: the title (and the section of the text above the first heading) joins them,
    # the text keeps them as printed (the second line starts with a capital: no wrap).
    intro = ("Le présent règlement fixe les conditions d'accueil des élèves pendant la pause "
             "méridienne.")
    bodies = {"Inscription": "L'inscription se fait en mairie avant le 31 août.",
              "Tarifs": "Le prix du repas dépend du quotient familial.",
              "Horaires": "Le service est ouvert les lundis, mardis, jeudis et vendredis."}
    lines = [(20, "Règlement du service de restauration"), (20, "Année scolaire 2025-2026"),
             (11, intro)]
    for heading, body in bodies.items():
        lines += [(16, heading), (11, body)]
    path = tmp_path / "cantine.pdf"
    path.write_bytes(with_outline(make_pdf([lines]), [(h, 0, None) for h in bodies]))
    title, section, quote, start = passages_of(path)[0]
    assert title == section == "Règlement du service de restauration Année scolaire 2025-2026"
    assert quote.startswith("Règlement du service de restauration\nAnnée scolaire 2025-2026\n")
    at = shown_from(quote, title, section)
    assert quote[at:] == intro
    assert load_document(path, path.name).text[start + at:start + len(quote)] == intro


def test_an_underlined_heading_wrapped_over_two_lines_is_shown_once(tmp_path):
    # Markdown's setext heading over two lines: the section joins them, the text keeps them
    # (the first line was left at the end of the passage above, the second named the section)
    path = tmp_path / "cantine.md"
    path.write_text(f"# Guide des aides\n\nConditions d'accès au service\nde restauration "
                    f"scolaire\n----------------------\n\n{CONDITIONS}\n\n## Délais\n\n"
                    f"{DELAIS}\n", encoding="utf-8")
    passages = passages_of(path)
    title, section, quote, _ = next(p for p in passages if CONDITIONS in p[2])
    assert section == "Conditions d'accès au service de restauration scolaire"
    assert quote.startswith("Conditions d'accès au service\nde restauration scolaire\n---")
    assert quote[shown_from(quote, title, section):] == CONDITIONS
    assert not any(p[2].rstrip().endswith("au service") for p in passages)


# (quote, title, section, what is shown): the rule's table, which the widget's headingEnd
# must follow too (tests/service/browser/test_widget.py runs it in a real Chromium).
CASES = [
    ("Horaires\nLundi 9h-17h", "Mairie", "Mairie › Horaires", "Lundi 9h-17h"),
    ("Horaires d'ouverture : du lundi au vendredi\nsuite", "Mairie",
     "Mairie › Horaires d'ouverture", "Horaires d'ouverture : du lundi au vendredi\nsuite"),
    # An outline number is part of the heading as written, in the section as in the line.
    ("## 2. Conditions à remplir\n\nÊtre agent titulaire.", "Guide",
     "Guide › 2. Conditions à remplir", "Être agent titulaire."),
    ("## 2. Conditions à remplir\n\nÊtre agent titulaire.", "Guide",
     "Guide › Conditions à remplir", "## 2. Conditions à remplir\n\nÊtre agent titulaire."),
    ("1. Inscription\n2. Paiement\n3. Confirmation", "Procédure", "Procédure › Inscription",
     "1. Inscription\n2. Paiement\n3. Confirmation"),
    ("B. Martin\nDirecteur", "Annuaire", "Annuaire › Martin", "B. Martin\nDirecteur"),
    ("a) Contexte\nLe projet...", "Projet", "Projet › Contexte", "a) Contexte\nLe projet..."),
    ("IV. Budget\nLe budget...", "Rapport", "Rapport › IV. Budget", "Le budget..."),
    ("**1.2 Délais**\nTrente jours.", "Guide", "1. Procédure › 1.2 Délais", "Trente jours."),
    # A closing colon, markdown's marks, spaces (a no-break one before the colon) and case.
    ("Conditions à remplir :\nÊtre agent.", "Guide", "Guide › Conditions à remplir",
     "Être agent."),
    ("Horaires\u00a0:\nLundi", "Mairie", "Mairie › Horaires", "Lundi"),
    ("Overview:\nThe service opens at 9.", "Remote work policy", "Remote work policy › Overview",
     "The service opens at 9."),
    ("# MAIRIE   DE  LYON #\nTexte.", "Mairie de Lyon", "Mairie de Lyon", "Texte."),
    ("Straße\nText", "STRASSE", "STRASSE", "Text"),
    ("ΟΔΟΣ\nΚείμενο", "Οδος", "Οδος", "Κείμενο"),
    ("\u0130stanbul\nText", "istanbul", "istanbul", "\u0130stanbul\nText"),
    # What a reader does not see: a byte order mark, control and zero-width characters.
    ("\ufeffHoraires\nLundi", "Mairie", "Mairie › Horaires", "Lundi"),
    ("Horai\u200bres\u00ad\nLundi", "Mairie", "Mairie › Horaires", "Lundi"),
    ("C'est\x1fok\nx", "c'est ok", "c'est ok", "C'est\x1fok\nx"),
    ("Mairie\n\ufeff\x1f\nHoraires\nLundi", "Mairie", "Mairie › Horaires", "Lundi"),
    ("Mairie\x85\nLundi", "Mairie", "Mairie", "Lundi"),
    # Underlines, repeated lines, blank lines, nothing else left.
    ("Horaires\n--\nLundi", "Mairie", "Mairie › Horaires", "Lundi"),
    ("Mairie\n\nHoraires\n=====\nLundi", "Mairie", "Mairie › Horaires", "Lundi"),
    ("Horaires\nHoraires\nLundi", "Horaires", "Horaires", "Lundi"),
    ("Horaires\n\n", "Mairie", "Mairie › Horaires", "Horaires\n\n"),
    ("Total\nService : Total ; Montant : 12", "budget.xlsx", "Total",
     "Service : Total ; Montant : 12"),
    ("\u201cRemote work\u201d\nAgents may...", "Remote work", "Remote work",
     "\u201cRemote work\u201d\nAgents may..."),
    # A heading wrapped over consecutive lines that the section (or the title) joins: left
    # out whole, spaces and line ends aside, its underline with it; never a part of a line,
    # nor lines a blank one parts, nor more than MAX_WRAPPED_LINES (4) of them.
    ("Conditions d'accès au service\nde restauration scolaire\nLes élèves inscrits...",
     "Règlement", "Règlement › Conditions d'accès au service de restauration scolaire",
     "Les élèves inscrits..."),
    ("  Conditions d'accès  au service \n de restauration\u00a0scolaire :\nTexte.", "Règlement",
     "Conditions d'accès au service de restauration scolaire", "Texte."),
    ("Conditions d'accès au service\nde restauration scolaire\n---------------\n\nTexte.",
     "Guide", "Guide › Conditions d'accès au service de restauration scolaire", "Texte."),
    ("Plan de continuité\nd'activité\nObjet du plan\nLe plan...", "Plan de continuité d'activité",
     "Plan de continuité d'activité › Objet du plan", "Le plan..."),
    ("Conditions d'accès\nau service est ouvert à tous.", "Guide",
     "Guide › Conditions d'accès au service", "Conditions d'accès\nau service est ouvert à tous."),
    ("Conditions d'accès au service\nde restauration scolaire ouvert à tous.", "Guide",
     "Conditions d'accès au service de restauration scolaire",
     "Conditions d'accès au service\nde restauration scolaire ouvert à tous."),
    ("Conditions d'accès au service\n\nde restauration scolaire\nTexte.", "Guide",
     "Conditions d'accès au service de restauration scolaire",
     "Conditions d'accès au service\n\nde restauration scolaire\nTexte."),
    ("Tarifs\n2024\nLe repas...", "Cantine", "Cantine › Tarifs 2024", "Le repas..."),
    ("Tarifs\n2024 : le repas...", "Cantine", "Cantine › Tarifs 2024",
     "Tarifs\n2024 : le repas..."),
    ("Conditions d'accès au service\nde restauration scolaire", "Guide",
     "Guide › Conditions d'accès au service de restauration scolaire",
     "Conditions d'accès au service\nde restauration scolaire"),
    ("Un\ndeux\ntrois\nquatre\nTexte.", "Guide", "Un deux trois quatre", "Texte."),
    ("Un\ndeux\ntrois\nquatre\ncinq\nTexte.", "Guide", "Un deux trois quatre cinq",
     "Un\ndeux\ntrois\nquatre\ncinq\nTexte."),
]


@pytest.mark.parametrize(("quote", "title", "section", "shown"), CASES,
                         ids=[str(n) for n in range(len(CASES))])
def test_the_table_of_cases(quote, title, section, shown):
    assert quote[shown_from(quote, title, section):] == shown


def test_lines_that_do_not_repeat_the_head_are_shown():
    quote = "Le demandeur doit résider ici.\nConditions à remplir"
    assert shown_from(quote, "Guide", "Conditions à remplir") == 0  # not a first line
    assert shown_from("Conditions à remplir\n\n", "Guide", "Conditions à remplir") == 0
    assert shown_from("Conditions à remplir", "Guide", "Conditions à remplir") == 0
    assert shown_from("Conditions générales\nTexte.", "Guide", "Conditions à remplir") == 0


def test_a_marked_sentence_that_starts_in_the_heading_keeps_the_quote_whole():
    quote = "Conditions à remplir\nLe demandeur doit résider ici."
    assert shown_from(quote, "Guide", "Conditions à remplir", keep=21) == 21
    assert shown_from(quote, "Guide", "Conditions à remplir", keep=0) == 0
