"""Titles: the real headline, not the paywall, login, rubric or breadcrumb lines above it."""

from pathlib import Path

import pytest

from ragqa.index.documents.reading import load_text_document
from ragqa.index.documents.formats import load_html_document, load_pdf_document
from ragqa.index.files.generations import load_index
from ragqa.index.documents.titles import headline, metadata_title, preamble_lines, shared_preamble_lines
from tests.support import build_index
from tests.conftest import CORPUS
from tests.make_pdf import make_pdf

# What a reader sees as each bundled document's headline.
CORPUS_TITLES = {
    "000_53d6d8110b4badda.txt": "Huawei Maroc contribue à la résilience stratégique du Maroc "
                                "face à la pandémie de la Covid-19",
    "001_d52cea156ab06147.txt": "Maroc : Huawei s’engage à accompagner l’écosystème des "
                                "startups à travers son programme « SPARK »",
    "002_3fd3ba12ca1ab0c9.txt": "Nokia et le gouvernement du Maroc signent un protocole "
                                "d’accord pour faire avancer la stratégie Maroc Numérique 2030",
    "003_269b4ea9b94f60aa.txt": "Les géants américains lorgnent le marché Marocain",
    "004_ec1b8a876384ec69.txt": "GITEX 2025",  # a live blog: its topic line, not chrome
}
BODY = ("Le ministère a présenté mardi à Rabat un plan de cinq ans pour la fibre optique, "
        "qui doit couvrir toutes les communes rurales du royaume d'ici la fin de la décennie, "
        "avec un budget de deux milliards de dirhams.")


@pytest.mark.parametrize("doc_id", sorted(CORPUS_TITLES))
def test_bundled_corpus_titles_are_the_headlines(doc_id):
    assert load_text_document(CORPUS / doc_id, doc_id).title == CORPUS_TITLES[doc_id]


@pytest.mark.parametrize("preamble, title", [
    # paywall chrome and calls to action before the headline
    ("Un proche vous offre cet article\n\nInscrivez-vous gratuitement pour lire cet article.\n\n"
     "Vous êtes déjà inscrit ? Se connecter\n\nLa fibre arrive dans les campagnes",
     "La fibre arrive dans les campagnes"),
    ("Subscribe to read the full story\n\nSign in\n\nRural broadband plan unveiled in Rabat",
     "Rural broadband plan unveiled in Rabat"),
    # a rubric label glued or in capitals, then the real heading
    ("EconomieUne\n\nLa fibre arrive dans les campagnes", "La fibre arrive dans les campagnes"),
    ("## COMMUNIQUÉ DE PRESSE\n\n---\n\n### **La fibre arrive dans les campagnes**",
     "La fibre arrive dans les campagnes"),
    # a breadcrumb and a skip link
    ("Skip to main content\n\nAccueil › Économie › Télécoms\n\n# La fibre arrive dans les "
     "campagnes", "La fibre arrive dans les campagnes"),
    # a heading is preferred to a plain line above it
    ("Le Quotidien du Matin édition numérique\n\n# La fibre arrive dans les campagnes",
     "La fibre arrive dans les campagnes"),
    # a label alone stays the title when no headline follows
    ("Menu\n\nGITEX 2025\n\nSuivez en direct", "GITEX 2025"),
    # bullets, rules, copyright lines are never titles
    ("© D.R\n\n  • Par la rédaction\n\n* * *\n\nLa fibre arrive dans les campagnes",
     "La fibre arrive dans les campagnes"),
])
def test_generated_documents_get_their_headline(preamble, title):
    assert headline(f"{preamble}\n\n{BODY}\n\n## Une section\n\nSuite.\n", "fallback") == title


def test_the_body_and_live_blog_entries_are_not_the_title():
    # no headline: the first line, as long as a headline at most
    assert headline(f"{BODY}\n\n## Plus loin\n\ntexte", "stem") == (
        " ".join(BODY.split()[:12]) + " …")
    live = "GITEX 2025\n\n 18-04 à 17:52 Une annonce importante du ministre\n\ntexte\n"
    assert headline(live, "stem") == "GITEX 2025"
    assert headline("\n\n---\n\n", "stem") == "stem"
    # a short title above a one-sentence body stays the title
    assert headline("Zorglub Telecom\n\nZorglub installe un câble à Dakhla.\n", "x") == "Zorglub Telecom"


# A justified text file: a short title, then a paragraph whose lines end mid-sentence.
REGLEMENT = ["Règlement intérieur",
             "Le présent règlement s'applique à l'ensemble des salariés de l'entreprise, quel",
             "que soit leur lieu de travail. Il fixe les règles d'hygiène et de sécurité ainsi",
             "que les règles générales et permanentes relatives à la discipline."]


def test_a_wrapped_body_line_is_not_the_title(tmp_path):
    text = "\n".join(REGLEMENT) + "\n"
    assert headline(text, "x") == "Règlement intérieur"
    (tmp_path / "reglement.txt").write_text(text, encoding="utf-8")
    assert load_text_document(tmp_path / "reglement.txt", "reglement.txt").title == (
        "Règlement intérieur")
    # The preamble ends where the wrapped paragraph starts: its lines are content.
    assert [line.text for line in preamble_lines(text)] == ["Règlement intérieur"]
    # A title wrapped onto a second line is still a title: its paragraph is no prose.
    wrapped = ("Rapport sur le déploiement de la fibre optique dans les\ncampagnes "
               f"marocaines\n\n{BODY}\n")
    assert headline(wrapped, "x") == "Rapport sur le déploiement de la fibre optique dans les"


def test_a_wrapped_line_cut_before_a_capital_does_not_end_the_paragraph():
    """Wrapped at 72 columns, a line can stop short before a long capitalised word: the
    paragraph goes on (it is as long as a wrapped line), so its first line is no title."""
    text = ("Guide du télétravail\n\n"
            "Le télétravail est ouvert aux agents dont les missions le permettent, après\n"
            "accord de leur responsable et avis de la\n"
            "Direction régionale des ressources humaines qui instruit la demande dans un\n"
            "délai d'un mois.\n")
    assert headline(text, "x") == "Guide du télétravail"


def test_a_numbered_part_of_the_text_is_not_its_title():
    """A short first line is a label, but a numbered part or an article below it is the
    document's outline, not its headline."""
    assert headline("Recrutement d'un vacataire\n\n1. Avant le recrutement\n"
                    "Le service vérifie les crédits.\n", "x") == "Recrutement d'un vacataire"
    assert headline("RÈGLEMENT DU CONCOURS\n\nArticle 1 : Organisateur\n"
                    "La mairie organise le concours.\n", "x") == "RÈGLEMENT DU CONCOURS"
    news = "5 startups à suivre en 2025"
    assert headline(f"{news}\n\nTexte.\n", "x") == news


def test_lines_in_the_preamble_of_several_documents_are_chrome():
    texts = [f"Le Journal des Télécoms\n\nTitre numéro {n} de la journée\n\n{BODY}"
             for n in range(3)]
    chrome = shared_preamble_lines(texts)
    assert "le journal des télécoms" in chrome and len(chrome) == 1
    assert headline(texts[0], "x") == "Le Journal des Télécoms"  # alone, it looks like one
    assert headline(texts[0], "x", chrome) == "Titre numéro 0 de la journée"
    assert shared_preamble_lines(texts[:2]) == frozenset()  # two documents are not "several"


@pytest.mark.parametrize("raw, expected", [
    ("Rapport annuel 2024", "Rapport annuel 2024"),
    ("Microsoft Word - rapport_v3.docx", None), ("untitled", None), ("scan0001.pdf", None),
    ("(anonymous)", None),  # reportlab's default when no title is set
    ("  ", None), (None, None),
])
def test_metadata_titles_naming_a_file_or_template_are_ignored(raw, expected):
    assert metadata_title(raw) == expected


def test_html_title_comes_from_og_title_or_title(tmp_path: Path):
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head><title>Ignored | Site</title>"
        '<meta property="og:title" content="La fibre arrive dans les campagnes"></head>'
        f"<body><nav>Accueil | Contact</nav><article><p>EconomieUne</p><p>{BODY}</p>"
        "</article></body></html>", encoding="utf-8")
    doc = load_html_document(page, "p.html")
    assert doc.title == "La fibre arrive dans les campagnes" and doc.title_source == "metadata"


def test_pdf_metadata_title_is_used_unless_it_is_junk(tmp_path: Path):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(make_pdf([["Un proche vous offre cet article", "Le vrai titre du rapport"]],
                             title="Microsoft Word - r.docx"))
    doc = load_pdf_document(pdf, "r.pdf")
    assert doc.title == "Le vrai titre du rapport" and doc.title_source == "text"
    pdf.write_bytes(make_pdf([["Texte"]], title="Rapport annuel 2024"))
    assert load_pdf_document(pdf, "r.pdf").title == "Rapport annuel 2024"


def _titles(index_dir: Path) -> dict[str, str]:
    return {d: r.title for d, r in load_index(index_dir).documents.items()}


def test_explicit_title_sidecar_is_kept_and_a_change_reindexes(small_corpus, tmp_path, minilm,
                                                              embedder):
    index_dir = tmp_path / "index"
    build = lambda: build_index(small_corpus, index_dir, minilm, embedder)  # noqa: E731
    build()
    assert _titles(index_dir)["nokia.txt"] == "Nokia signe un protocole d'accord"
    (small_corpus / "nokia.txt.title").write_text("  Accord Nokia\n", encoding="utf-8")
    report = build()
    assert not report.up_to_date and report.documents == 2  # the sidecar is not a document
    assert _titles(index_dir)["nokia.txt"] == "Accord Nokia"
    assert build().up_to_date
    (small_corpus / "nokia.txt.title").unlink()
    assert not build().up_to_date
    assert _titles(index_dir)["nokia.txt"] == "Nokia signe un protocole d'accord"


def test_preamble_lines_are_classified_slices_of_the_text():
    text = ("Un proche vous offre cet article\n\n  ## COMMUNIQUÉ DE PRESSE\n---\n"
            "Le Journal des Télécoms\n## La fibre arrive à Dakhla\n\n" + BODY + "\n")
    lines = preamble_lines(text, frozenset({"le journal des télécoms"}))
    assert [(line.kind, text[line.start : line.end]) for line in lines] == [
        ("chrome", "Un proche vous offre cet article"),
        ("label", "  ## COMMUNIQUÉ DE PRESSE"),
        ("noise", "---"),
        ("chrome", "Le Journal des Télécoms"),
        ("headline", "## La fibre arrive à Dakhla"),
    ]
    assert lines[-1].text == "La fibre arrive à Dakhla"
    assert preamble_lines(BODY) == []


@pytest.mark.parametrize("text, title", [
    ("12 mars 2024\nNote de service relative aux congés\nd'été des agents titulaires.\n\n"
     "Les congés d'été sont posés avant avril.\n", "Note de service relative aux congés"),
    ("CONFIDENTIEL\nCompte rendu de la réunion\ndu comité de direction du 5 mars.\n\n"
     "Présents : A, B.\n", "Compte rendu de la réunion"),
    ("Ville de Lyon\nLe maire annonce la rénovation\ndu stade municipal.\n\n"
     "Le maire a annoncé hier la rénovation.\n", "Le maire annonce la rénovation"),
    # a paragraph wrapped at the text's width below the title is body text
    ("Règlement intérieur\nLe présent règlement s'applique à l'ensemble des salariés de "
     "l'entreprise, quel\nque soit leur lieu de travail et leur contrat. Il précise les règles "
     "d'hygiène.\n", "Règlement intérieur"),
    # the document's first lines, or the lines below a heading, ending a sentence: body
    ("# Guide d'installation\n\nCe guide explique comment installer le logiciel\n"
     "et le configurer.\n", "Guide d'installation"),
])
def test_a_headline_wrapped_onto_a_full_stop_below_a_label_is_the_title(text, title):
    assert headline(text, "x") == title


def test_a_short_level_one_markdown_heading_is_the_title():
    # Two words read as a rubric label, and the first question of the FAQ became the title
    # of every passage.
    faq = ("# FAQ informatique\n\n## Imprimantes\n\n### Comment ajouter une imprimante ?\n"
           "Ouvrez le Centre logiciel et cliquez sur Installer.\n")
    assert headline(faq, "faq") == "FAQ informatique"
    # a level-2 rubric above the headline stays a label
    assert headline("## COMMUNIQUÉ DE PRESSE\n\n### La fibre arrive dans les campagnes\n\n"
                    + BODY, "x") == "La fibre arrive dans les campagnes"


def test_a_long_first_line_gives_a_title_cut_at_its_first_break():
    numbers = " ; ".join(f"poste {n} – bureau {n}" for n in range(1000, 1040))
    assert headline(f"Liste des numéros utiles du site : {numbers}\n", "x") == (
        "Liste des numéros utiles du site")
    dates = "Le 12 - 14 mars 2024, séminaire des cadres : " + " ".join(["les équipes"] * 20)
    assert headline(dates, "x") == "Le 12 - 14 mars 2024, séminaire des cadres"  # not "Le 12"
    words = " ".join(f"mot{n}" for n in range(40))
    assert headline(words, "x") == " ".join(words.split()[:12]) + " …"
