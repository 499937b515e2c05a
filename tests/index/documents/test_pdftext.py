"""A PDF's text as a person reads it (index/documents/pdftext.py): words hyphenated at line
ends joined, ligature glyphs as letters, hard-wrapped lines as paragraphs, page offsets
kept."""

import time
import unicodedata
from pathlib import Path

import pytest

from ragqa.index.documents.chunking import (
    ChunkingParams,
    chunk_document,
    make_splitter,
    page_of,
)
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import document_sections
from ragqa.index.documents.pdftext import pdf_text
from ragqa.index.documents.processing import front_matter
from ragqa.index.documents.sections import split_sections
from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
from ragqa.index.search.highlight import Highlighter
from tests.make_pdf import make_pdf

# A justified page: the title line, then a paragraph whose lines end anywhere.
RULES = ["Règlement intérieur",
         "Le présent règlement s'applique à l'ensemble des salariés de l'entreprise, quel",
         "que soit leur lieu de travail. Le délai de préve-",
         "nance est fixé à quinze jours ouvrés pour toute de-",
         "mande de congés payés adressée au service du personnel.",
         "Les horaires collectifs sont affichés dans chaque établissement."]


def load(tmp_path: Path, pages: list[list[str]], name: str = "doc.pdf"):
    path = tmp_path / name
    path.write_bytes(make_pdf(pages))
    return load_document(path, name)


def test_words_hyphenated_at_line_ends_are_joined(tmp_path):
    doc = load(tmp_path, [RULES])
    assert "Le délai de prévenance est fixé" in doc.text
    assert "pour toute demande de congés" in doc.text
    assert "-\n" not in doc.text


@pytest.mark.parametrize("lines, read", [
    # the hyphenated form elsewhere in the document: a compound
    (["Le porte-parole du syndicat a lu la déclaration. Le porte-",
      "parole a ensuite répondu aux questions."], "Le porte-parole a ensuite"),
    # the joined word elsewhere in the document: a word cut by the layout
    (["Le télétravail est possible deux jours par semaine. Le télé-",
      "travail est organisé par accord."], "Le télétravail est organisé"),
    # no evidence: a word that only ends compounds keeps its hyphen
    (["Le délai sera peut-", "être prolongé."], "sera peut-être prolongé."),
    (["Il viendra, dit-", "il, en juin."], "dit-il, en juin."),
    (["Le montant est de vingt-", "deux euros."], "vingt-deux euros."),
    # a hyphen inside the word at the line end: a compound
    (["C'est-à-", "dire le lundi."], "C'est-à-dire le lundi."),
    (["Y a-t-", "il un délai ?"], "Y a-t-il un délai ?"),
    # one letter before the hyphen: no layout cuts a word there
    (["Envoyez un e-", "mail au service."], "Envoyez un e-mail au service."),
    # a capital after the hyphen: a compound whose next part is a name, joined as one
    (["La croissance au Moyen-", "Orient ralentit."], "au Moyen-Orient ralentit."),
    (["Un discours anti-", "Américain."], "Un discours anti-Américain."),
    # no evidence: a word that starts compounds and no other word keeps its hyphen
    (["Le rendez-vous est fixé dans l'après-", "midi."], "dans l'après-midi."),
    (["Il vit chez sa grand-", "mère."], "chez sa grand-mère."),
    (["Le sous-", "traitant a livré."], "Le sous-traitant a livré."),
    (["Le mot-", "clé, le week-", "end, le chef-", "d'oeuvre."],
     "Le mot-clé, le week-end, le chef-d'oeuvre."),
    (["Les mots-", "clés du rapport."], "Les mots-clés du rapport."),
    (["Les états-", "majors et la belle-", "soeur."], "Les états-majors et la belle-soeur."),
    (["Une demi-", "heure de non-", "conformité."], "Une demi-heure de non-conformité."),
    (["Le porte-", "parole, le garde-", "fou et le vice-", "président."],
     "Le porte-parole, le garde-fou et le vice-président."),
    (["Il le porte-", "ra, le garde-", "rait à la garde-", "rie."],
     "Il le portera, le garderait à la garderie."),
    (["À la mi-", "mars, à mi-", "temps, le mi-", "nistre."],
     "À la mi-mars, à mi-temps, le ministre."),
    (["Le président et l'ex-", "président, par ex-", "ception."],
     "Le président et l'ex-président, par exception."),
    # a word after "ex-" is no evidence: "ex-" keeps its hyphen before a role or a bond only
    (["La salle d'ex-", "position, la position ; un ex-", "trait, le trait ; son ex-",
      "mari, l'ex-", "tension du réseau."],
     "La salle d'exposition, la position ; un extrait, le trait ; son ex-mari, "
     "l'extension du réseau."),
    (["Est-", "ce vingt-", "deux ou quatre-", "vingt-dix ?"],
     "Est-ce vingt-deux ou quatre-vingt-dix ?"),
    # no evidence: two i's that the hyphen keeps apart
    (["Un traitement anti-", "inflammatoire."], "Un traitement anti-inflammatoire."),
    # an address or a URL keeps its own hyphens
    (["Voir https://www.exemple.fr/rapport-", "annuel pour le détail."],
     "Voir https://www.exemple.fr/rapport-annuel pour le détail."),
    (["Écrire à jean-", "marc.dupont@exemple.fr pour le détail."],
     "Écrire à jean-marc.dupont@exemple.fr pour le détail."),
    # a sentence's period after the next part is no address
    (["Les congés sont posés avec un délai de préve-", "nance. Le service répond."],
     "un délai de prévenance. Le service répond."),
    # words that also begin ordinary words are no evidence: "autorisation", "anticiper"
    (["La demande d'auto-", "risation est à anti-", "ciper."],
     "La demande d'autorisation est à anticiper."),
    # no evidence: the default joins the word (a justified line's hyphen cuts a word)
    (["Les congés sont posés avec un délai de préve-", "nance d'un mois."],
     "un délai de prévenance d'un mois."),
])
def test_line_end_hyphens_keep_compounds_and_join_cut_words(tmp_path, lines, read):
    assert read in load(tmp_path, [lines]).text


def test_ligature_glyphs_read_as_letters(tmp_path):
    doc = load(tmp_path, [["Le \ufb01nancement du \ufb02ux est e\ufb00ectif."]])
    assert doc.text == "Le financement du flux est effectif."
    ligatures = "".join(map(chr, range(0xFB00, 0xFB07)))  # all of Unicode's Latin ones
    assert pdf_text([ligatures]).text == unicodedata.normalize("NFKC", ligatures)


def test_soft_hyphens_are_invisible():
    assert pdf_text(["Le délai de pré\xadve\xad\nnance."]).text == "Le délai de prévenance."


def test_hard_wrapped_lines_read_as_paragraphs(tmp_path):
    doc = load(tmp_path, [RULES])
    assert doc.text.split("\n") == [
        "Règlement intérieur",
        "Le présent règlement s'applique à l'ensemble des salariés de l'entreprise, quel que "
        "soit leur lieu de travail. Le délai de prévenance est fixé à quinze jours ouvrés "
        "pour toute demande de congés payés adressée au service du personnel.",
        "Les horaires collectifs sont affichés dans chaque établissement."]
    assert doc.title == "Règlement intérieur"


def test_the_highlight_of_a_wrapped_pdf_is_the_whole_sentence(tmp_path):
    doc = load(tmp_path, [RULES])
    passages = chunk_document(doc, split_sections(doc.text, doc.title), frozenset(),
                              make_splitter(ChunkingParams()))
    highlighter = Highlighter(Analyzer(AnalyzerConfig()))
    focus = highlighter.focus("Quel est le délai de prévenance d'une demande de congés ?")
    start, end = highlighter.span(focus, doc.doc_id, doc.text, passages[0].start,
                                  passages[-1].end)
    assert doc.text[start:end] == (
        "Le délai de prévenance est fixé à quinze jours ouvrés pour toute demande de congés "
        "payés adressée au service du personnel.")


def test_page_offsets_hold_after_the_text_is_reshaped(tmp_path):
    doc = load(tmp_path, [RULES, ["Le \ufb01nancement de la forma-", "tion est annuel."],
                          ["Annexe"]])
    assert len(doc.pages) == 3 and doc.pages[0] == 0
    assert doc.text[doc.pages[1]:].startswith("Le financement de la formation est annuel.")
    assert doc.text[doc.pages[2]:] == "Annexe"
    assert page_of(doc.pages, doc.text.index("Annexe")) == 3


def test_an_indented_next_line_is_joined_too():
    assert pdf_text(["Le délai de préve-\n  nance est fixé."]).text == (
        "Le délai de prévenance est fixé.")


def test_a_word_hyphenated_at_a_page_end_is_joined_on_the_page_it_starts_on():
    shaped = pdf_text(["Le délai de préve-", "nance, fixé par accord.\nAnnexe"])
    assert shaped.text == "Le délai de prévenance, fixé par accord.\nAnnexe"
    assert shaped.pages == (0, len("Le délai de prévenance, "))
    shaped = pdf_text(["La croissance au Moyen-", "Orient ralentit."])
    assert shaped.text == "La croissance au Moyen-Orient ralentit."
    shaped = pdf_text(["Le porte-", "parole.\nIl a lu la déclaration du syndicat."])
    assert shaped.text == "Le porte-parole.\n\nIl a lu la déclaration du syndicat."
    assert shaped.pages == (0, len("Le porte-parole.\n\n"))


def test_a_paragraph_runs_over_the_page_break_without_running_lines(tmp_path):
    footer = "Rapport d'activité 2024 – page {}"
    pages = [["Rapport d'activité 2024", "Le conseil municipal a adopté le pro-",
              footer.format(1)],
             ["Rapport d'activité 2024", "gramme de rénovation des écoles, qui",
              footer.format(2)],
             ["Rapport d'activité 2024", "sera conduit en 2025.", "Annexe", footer.format(3)],
             [],
             ["5", "Le budget est voté."], ["6", "Fin du rapport."]]
    doc = load(tmp_path, pages)
    assert doc.text == (
        "Rapport d'activité 2024\nLe conseil municipal a adopté le programme de rénovation "
        "des écoles, qui sera conduit en 2025.\nAnnexe\n\nLe budget est voté.\n\n"
        "Fin du rapport.")
    starts = [doc.text[start:].split("\n")[0][:12] for start in doc.pages]
    assert starts == ["Rapport d'ac", "de rénovatio", "sera conduit", "Le budget es",
                      "Le budget es", "Fin du rappo"]
    assert page_of(doc.pages, doc.text.index("Fin du rapport")) == 6


def test_page_footers_go_on_two_pages_on_one_or_glued_to_a_line():
    # pypdf reads a footer printed level with the page's last line at that line's end.
    shaped = pdf_text([
        "Les Ulis\nVérifié le 2 janvier 2025\nLe ruisseau prend sa source de 2 à 3 m plus "
        "haut, dans la commune voisine, composée d'un Les Ulis - page 1 / 2",
        "grand cratère central.\nHaut de page\nLes Ulis - page 2 / 2"])
    assert shaped.text == (
        "Les Ulis\nVérifié le 2 janvier 2025\nLe ruisseau prend sa source de 2 à 3 m plus "
        "haut, dans la commune voisine, composée d'un grand cratère central.\nHaut de page")
    assert pdf_text(["Sport\nLe sport est une activité.\nSport - page 1 / 1"]).text == (
        "Sport\nLe sport est une activité.")
    assert pdf_text(["Bilan\nLe total est de\n1"]).text == "Bilan\nLe total est de 1"
    # the blank lines between a page's paragraphs stay where its running lines go
    assert pdf_text(["Titre\n\nUn paragraphe sans point\n\nSuite.\n- 1 -", "Fin.\n- 2 -"]).text == (
        "Titre\n\nUn paragraphe sans point\n\nSuite.\n\nFin.")
    # a document of two pages with the same header on both: the second page's goes
    assert pdf_text(["Ministère de l'Intérieur\nNote aux agents du", "Ministère de "
                     "l'Intérieur\nservice des titres."]).text == (
        "Ministère de l'Intérieur\nNote aux agents du service des titres.")


def test_a_short_line_before_a_capital_stays_apart_over_the_break():
    shaped = pdf_text(["Le budget.\nConclusion", "Le conseil a voté.", "Article 3\nSuite.",
                       "Article 4\nFin.", "Article 5\nFin."])
    assert shaped.text.split("\n\n") == ["Le budget.\nConclusion", "Le conseil a voté.",
                                          "Article 3\nSuite.", "Article 4\nFin.",
                                          "Article 5\nFin."]


def test_empty_pages_add_no_blank_lines():
    shaped = pdf_text(["", "Le budget.", "  \n", "", "Annexe.", ""])
    assert shaped.text == "Le budget.\n\nAnnexe."
    assert shaped.pages == (0, 0, 12, 12, 12, 19)


def test_a_long_unbroken_token_is_read_in_linear_time():
    # A hash or a base64 block printed on one line: looking for a line-end hyphen from
    # every position inside it took minutes (quadratic); the limit is far above a linear run.
    token = "0123456789abcdef" * 6250  # 100,000 characters
    start = time.perf_counter()
    shaped = pdf_text([f"Annexe : empreinte\n{token}\nLe délai de préve-\nnance est fixé."])
    assert time.perf_counter() - start < 20
    assert token in shaped.text and shaped.text.endswith("Le délai de prévenance est fixé.")


def test_a_long_heading_or_table_row_is_not_joined_to_the_next_line(tmp_path):
    # A line of 60 characters or more does not reach the margin of a page whose paragraph
    # lines are wrapped further out (or that shows no wrapped line at all): a heading or a
    # table row, whose next line starts a block of its own.
    heading = "Rapport annuel sur la situation économique et financière de la région"
    doc = load(tmp_path, [[
        heading, "Le présent rapport présente les principaux indicateurs de l'année écoulée.",
        "Il a été adopté par le conseil régional le 12 mars."]])
    assert doc.text.split("\n")[0] == heading and doc.title == heading
    table = ["Nom Prénom Service Téléphone Adresse électronique Bureau",
             "Dupont Jean Ressources humaines 01 23 45 67 89 jean.dupont@x.fr B12",
             "Martin Claire Comptabilité et finances 01 23 45 67 90 claire.martin@x.fr B14",
             "Durand Paul Informatique 01 23 45 67 91 paul.durand@x.fr B15"]
    assert pdf_text(["\n".join(table)]).text.split("\n") == table
    article = ["Article 12 – Conditions de résiliation du contrat par l'une des parties",
               "Le contrat peut être résilié par chacune des parties à tout moment par lettre "
               "recommandée",
               "avec avis de réception adressée à l'autre partie trois mois avant la date prévue."]
    assert pdf_text(["\n".join(article)]).text.split("\n") == [
        article[0], f"{article[1]} {article[2]}"]


def test_a_line_wrapped_at_the_margin_is_joined_to_a_capital(tmp_path):
    # The paragraph's lines reach the margin (the ones wrapped before a lower-case word
    # show where it is): one wrapped before a name is joined too.
    lines = ["Le comité de direction s'est réuni le mardi 4 mars dans les locaux de la",
             "direction régionale de l'emploi pour examiner le budget prévisionnel de",
             "l'exercice et les projets en cours dans les différents services de la ville de",
             "Paris, avant de les présenter au conseil municipal lors de sa prochaine séance.",
             "Annexe"]
    assert pdf_text(["\n".join(lines)]).text.split("\n") == [" ".join(lines[:4]), "Annexe"]


def test_a_page_in_columns_joins_its_lines_wrapped_before_a_capital_or_a_digit():
    # A newsletter's column wraps at about 45 characters: its lines wrapped before a lower-
    # case word show the column's width, and one as wide is joined before a capital or a
    # digit too ("de 6 h" / "30 à 15 h"); a short line (a heading) before a capital is not.
    column = ["Horaires d'été",
              "Du 1er juillet au 31 août, l'accueil de la",
              "mairie est ouvert du lundi au vendredi de 6 h",
              "30 à 15 h sans interruption. Les services",
              "techniques restent joignables par téléphone",
              "en cas d'urgence et le samedi matin pour les",
              "démarches d'état civil déjà programmées avec",
              "Madame la secrétaire générale de la commune.",
              "Travaux"]
    assert pdf_text(["\n".join(column)]).text.split("\n") == [
        column[0], " ".join(column[1:8]), "Travaux"]


def test_a_list_above_a_short_narrow_paragraph_makes_no_column():
    # Four lines wrapped at 45 characters under a list of lines as long: the list's lines
    # were joined before their capitals.
    lines = ["Liste des contacts utiles de la mairie",
             "Service de l'état civil et des élections",
             "Mairie centrale, guichet 2, rez-de-chaussée",
             "Service de l'urbanisme et du droit des sols",
             "Centre technique municipal, bâtiment B",
             "Service des affaires scolaires et périscolaires",
             "Hôtel de ville, premier étage, bureau 12",
             "Les demandes de rendez-vous se font en ligne",
             "sur le site de la commune ou par téléphone",
             "auprès de chaque service, du lundi au vendredi",
             "entre 9 heures et 17 heures, sauf jours fériés",
             "et pendant les congés annuels des agents."]
    assert pdf_text(["\n".join(lines)]).text.split("\n") == [*lines[:7], " ".join(lines[7:])]


def test_a_few_wrapped_table_cells_make_no_column():
    # Two cells wrapped in a table of short rows: no page in columns, its rows stay apart.
    table = ["Service Responsable Téléphone",
             "Ressources humaines et gestion des",
             "carrières Claire Martin 01 23 45 67 90",
             "Informatique et systèmes d'information",
             "Paul Durand 01 23 45 67 91",
             "Comptabilité Jean Dupont 01 23 45 67 89"]
    assert pdf_text(["\n".join(table)]).text.split("\n") == [
        table[0], f"{table[1]} {table[2]}", *table[3:]]


def test_a_title_wrapped_over_two_lines_is_the_whole_title(tmp_path):
    # Its first line ends with a word no title ends with: the second line goes on with it,
    # whatever its case (a line ending with "A" or "D", capitals, is no such line).
    doc = load(tmp_path, [["Plan de continuité d'activité de la",
                           "Direction régionale des finances",
                           "Le présent plan décrit les mesures prises en cas de crise.",
                           "Annexe A", "Liste des sites et des", "Responsables désignés"]])
    assert doc.title == "Plan de continuité d'activité de la Direction régionale des finances"
    assert doc.text.split("\n")[2:] == ["Annexe A", "Liste des sites et des Responsables désignés"]


def test_a_passage_read_over_the_break_cites_the_page_it_starts_on(tmp_path):
    # A page break is the paper's: the sentence joined over it is read whole, passages run
    # across it, and each cites the page it starts on.
    doc = load(tmp_path, [
        ["Règlement intérieur", "Article 1",
         "Les agents sont tenus de respecter les horaires fixés par la direction",
         "et de signaler toute absence à leur responsable hiérarchique dans les"],
        ["meilleurs délais, par écrit ou par courriel.", "Article 2",
         "Le télétravail est autorisé deux jours par semaine sur demande motivée.",
         "Article 3", "Les congés annuels sont posés au moins un mois à l'avance."]])
    second = doc.pages[1]
    assert doc.text[second - 1] == " "  # page 2 starts mid-line
    passages = chunk_document(doc, split_sections(doc.text, doc.title), frozenset(),
                              make_splitter(ChunkingParams(chunk_size=160, chunk_overlap=0)))
    assert len(passages) > 1
    for p in passages:
        assert p.page == (2 if p.start >= second else 1)
    assert any("dans les meilleurs délais" in doc.text[p.start:p.end] and p.page == 1
               for p in passages)


def test_a_page_break_reads_the_last_page_only_not_the_text_so_far(monkeypatch):
    # A paragraph over hundreds of pages was rebuilt whole at every break (quadratic).
    from ragqa.index.documents import pdftext

    seen = []
    over_the_break = pdftext._over_the_break

    def recording(text, *args):
        seen.append(len(text))
        return over_the_break(text, *args)

    monkeypatch.setattr(pdftext, "_over_the_break", recording)
    line = "les agents du service instruisent les demandes de subvention déposées par"
    page = "\n".join([line] * 10)
    shaped = pdf_text([page] * 30)
    assert "\n" not in shaped.text and len(seen) == 29
    assert max(seen) <= len(page) + 2


def test_body_lines_at_page_edges_that_look_like_running_lines_stay():
    body = "Le présent document décrit les modalités de travail des agents du service."
    # years heading a timeline's pages are no page numbers
    years = pdf_text([f"Chronologie\n{body}"] + [f"{y}\nEn {y}, une antenne a ouvert."
                                                 for y in (2023, 2024, 2025)])
    assert all(f"{y}\nEn {y}" in years.text for y in (2023, 2024, 2025))
    # "3)" opens a list's item, not a page
    items = pdf_text(["Procédure\n1) Ouvrir le dossier."]
                     + [f"{n})\nVérifier la pièce {n}." for n in (2, 3, 4)])
    assert all(f"{n})\nVérifier" in items.text for n in (2, 3, 4))
    # bare numbers on two pages of a longer document: no page numbers
    counts = pdf_text(["Inventaire\nArticles :", "6\nchaises.", "7\ntables.", "Fin."])
    assert "6 chaises." in counts.text and "7 tables." in counts.text
    # a cover page of one line whose title the footer repeats keeps it
    cover = pdf_text(["Rapport annuel 2024"] + [
        f"Le service compte {n} agents.\nRapport annuel 2024" for n in (40, 41, 42, 43)])
    assert cover.text.startswith("Rapport annuel 2024\n\nLe service compte 40 agents.")
    assert cover.text.count("Rapport annuel 2024") == 1
    # the signature of mail-merged letters stays with each letter
    letters = pdf_text([f"Madame {name},\nVotre inscription est confirmée.\nLe Directeur des "
                        "ressources humaines\nJean Dupont" for name in ("Martin", "Durand",
                                                                       "Petit", "Moreau")])
    assert letters.text.count("Jean Dupont") == 4
    # a footer of one line and page numbers still go
    assert pdf_text([f"Titre {n}\n{body}\nConfidentiel\n{n}" for n in (1, 2, 3)]).text == (
        "\n\n".join(f"Titre {n}\n{body}" for n in (1, 2, 3)))


def test_a_heading_or_a_table_row_ending_with_a_small_word_stays_a_line():
    wrapped = ("Les agents du service instruisent les demandes de subvention déposées par les\n"
               "associations du territoire et vérifient la complétude des dossiers avant leur\n"
               "passage en commission.")
    for block in ("Le pour et le contre\nLe projet présente des avantages.",
                  "Image et son\nRéglez la luminosité.", "Who this guide is for\nManagers.",
                  "Sign in\nEnter your password.",
                  "Français fr\nAnglais en\nAllemand de\nEspagnol es",
                  "Voix pour\n12\nVoix contre\n3"):
        text = pdf_text([f"{block}\n{wrapped}"]).text
        assert text.startswith(block + "\n"), text


def test_bare_numbers_topping_pages_that_each_start_afresh_count_items(tmp_path):
    # Articles or steps laid one a page, their numbers on a line of their own: the numbers
    # follow the pages, but nothing else numbers the pages and each page starts afresh.
    steps = load(tmp_path, [["Procédure d'inscription", "Suivez les étapes ci-dessous."],
                            ["2", "Ouvrir le dossier", "Vérifier le nom du demandeur."],
                            ["3", "Joindre les pièces", "Un justificatif de domicile."],
                            ["4", "Signer", "La demande est signée et datée."]])
    assert [block.split("\n")[0] for block in steps.text.split("\n\n")] == [
        "Procédure d'inscription", "2", "3", "4"]
    assert "2\nOuvrir le dossier" in steps.text
    # a running header above them is still left out
    articles = pdf_text(["Statuts\nL'association est créée."] + [
        f"Statuts de l'association\n{n}\nArticle {n}\n{rule}" for n, rule in zip(
            (2, 3, 4), ("Le bureau se réunit.", "Les membres votent.", "Le siège est à Lyon."))])
    assert articles.text.count("Statuts de l'association") == 0
    assert all(f"\n{n}\nArticle {n}\n" in f"\n{articles.text}\n" for n in (2, 3, 4))


def test_bare_numbers_topping_pages_are_page_numbers_where_a_page_goes_on(tmp_path):
    body = ["Le conseil a voté le budget.", "Le programme est adopté.", "Il sera",
            "conduit en 2025."]
    # a paragraph over a page break: the page goes on after its number
    prose = pdf_text([body[0]] + [f"{n}\n{line}" for n, line in zip((2, 3, 4), body[1:])])
    assert prose.text == "Le conseil a voté le budget.\n\nLe programme est adopté.\n\n" \
                         "Il sera conduit en 2025."
    # every page starts afresh, but a page number elsewhere shows the pages are numbered
    # (at the bottom of a page, followed by a running header, in a page number's shape)
    fresh = ["Budget\nLe conseil a voté.", "Travaux\nLes écoles sont rénovées.",
             "Personnel\nDeux agents sont recrutés."]
    for first in ("Rapport\nLe budget est voté.\n1", "Rapport\nLe budget est voté.\n- 1 -"):
        assert pdf_text([first] + [f"{n}\n{page}" for n, page in zip((2, 3, 4), fresh)]).text \
            == "Rapport\nLe budget est voté.\n\n" + "\n\n".join(fresh)
    headed = pdf_text(["Rapport\nLe budget est voté."] + [
        f"{n}\nRapport annuel\n{page}" for n, page in zip((2, 3, 4), fresh)])
    assert headed.text == "Rapport\nLe budget est voté.\n\n" + "\n\n".join(fresh)


def test_running_lines_stacked_at_the_top_are_all_left_out(tmp_path):
    # A header, the page number and the footer all printed at the top of each page (as
    # reportlab draws a page's template first): the third line runs too, and a paragraph
    # over the break is read without the footer in it.
    chrome = ["ACME Industries – Règlement intérieur", "Page {}",
              "Document interne – ne pas diffuser"]
    body = [["Règlement intérieur", "Article 1 – Horaires",
             "En cas de doute sur cet article, le salarié peut"],
            ["s'adresser au service des ressources humaines.", "Article 2 – Retards",
             "Tout retard est justifié dans la journée."],
            ["Article 3 – Accès", "L'entrée des visiteurs est soumise à autorisation."]]
    pages = [[line.format(n) for line in chrome] + lines for n, lines in enumerate(body, 1)]
    doc = load(tmp_path, pages)
    assert doc.text.count("Document interne") == 1  # the first page's, kept
    assert "le salarié peut s'adresser au service" in doc.text
    # the first page's running lines stay in its text but make no passage of their own
    assert doc.page_chrome_kept == {"acme industries – règlement intérieur", "page 1"}
    assert doc.page_chrome_stacked == {"document interne – ne pas diffuser"}
    skipped, minor = front_matter(doc, frozenset())
    passages = chunk_document(doc, document_sections(doc), frozenset(),
                              make_splitter(ChunkingParams()), skipped=skipped, minor=minor)
    quotes = [doc.text[p.start:p.end] for p in passages]
    assert not any("ACME" in quote for quote in quotes)
    # the line stacked under them is content where it stands, never a passage alone
    assert "Document interne – ne pas diffuser" not in [q.strip() for q in quotes]


def test_a_repeated_line_below_body_text_at_a_page_top_stays():
    # Stacked running lines are only those under running lines: a line that tops three
    # pages' text below a body line is the text's.
    pages = ["Rapport 2024\nIntroduction du rapport.\nRésumé\nLe budget est voté.",
             "Rapport 2024\nLa suite est lue.\nRésumé\nLe budget est exécuté.",
             "Rapport 2024\nLa fin est écrite.\nRésumé\nLe budget est clos."]
    assert pdf_text(pages).text.count("Résumé") == 3


def test_a_table_header_row_repeated_on_each_page_is_content_where_it_first_stands(tmp_path):
    # Stacked under the running lines, the header row is left out of pages 2 and 3 but was
    # then in no passage at all.
    rows = [f"{name} Comptabilité {1000 + n}" for n, name in enumerate(
        ["Petit", "Leroy", "Moreau", "Simon", "Durand", "Martin"])]
    pages = [["ACME – Annuaire interne", f"Page {n}", "Nom Service Poste", *rows[2 * n - 2:2 * n]]
             for n in (1, 2, 3)]
    doc = load(tmp_path, pages)
    assert doc.text.count("Nom Service Poste") == 1
    skipped, minor = front_matter(doc, frozenset())
    passages = chunk_document(doc, document_sections(doc), frozenset(),
                              make_splitter(ChunkingParams()), skipped=skipped, minor=minor)
    quotes = [doc.text[p.start:p.end] for p in passages]
    assert any("Nom Service Poste" in quote and "Petit" in quote for quote in quotes)
    assert not any("ACME" in quote for quote in quotes)
