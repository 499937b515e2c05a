"""HTML pages (index/documents/webpages.py): the main text as a person reads it, headings as
sections with their heading path, ``<pre>`` lines as content, tables as "header : value"
lines, and no syntax a converter would add."""

from __future__ import annotations

import hashlib
import re

import pytest

from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import OutlinedDocument, document_sections
from ragqa.index.errors import DocumentError

from tests.index.documents.structured import assert_plain, passages, section_titles

# A chapter of an administrator's manual, as a documentation generator writes it: a
# navigation bar and a footer around the chapter, source lines wrapped at 80 columns.
CHAPTER = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>Chapitre 9. Sauvegardes</title></head>
<body>
<nav><a href="index.html">Accueil</a> | <a href="ch08.html">Chapitre précédent</a></nav>
<div class="chapter">
<h1>Sauvegardes</h1>
<p>Les sauvegardes protègent les données du serveur contre les pannes et les erreurs
humaines. Ce chapitre présente les outils disponibles dans Debian et la façon de les
<em>combiner</em> pour une politique de sauvegarde complète.</p>
<h2>Rotation des bandes</h2>
<p>La rotation des bandes suit un calendrier fixé par l'administrateur. On prépare
d'abord le support avec <code>mkfs.ext4</code> puis on recharge le service de messagerie
avec <code>postfix reload</code> pour vider sa file d'attente.</p>
<pre class="screen"># mkfs.ext4 /dev/loop1
# mount /dev/loop1 /mnt/sauvegarde
    tar czf /mnt/sauvegarde/etc.tgz /etc
# postfix reload</pre>
<h3>Rotation hebdomadaire</h3>
<p>Une bande complète est écrite chaque lundi, et une bande incrémentale les autres jours
de la semaine.</p>
<table>
<thead><tr><th>Jour</th><th>Type</th><th>Durée</th></tr></thead>
<tbody><tr><td>Lundi</td><td>Complète</td><td>4 h</td></tr>
<tr><td>Mardi</td><td>Incrémentale</td><td>1 h</td></tr></tbody>
</table>
<h3>Rotation mensuelle</h3>
<p>La dernière bande du mois est conservée <strong>un an</strong> dans un coffre hors
site, à l'abri du feu.</p>
<ul><li>Étiqueter la bande avec le mois.</li>
<li>Noter son numéro dans le registre, puis
<ul><li>vérifier la lecture de la bande.</li></ul></li></ul>
<h2>Restauration</h2>
<p>Pour restaurer un fichier, on monte la bande<br>puis on copie le fichier à sa place
d'origine.<br>Le service redémarre ensuite.</p>
<dl><dt>rsync</dt><dd>Outil de synchronisation de fichiers.</dd></dl>
</div>
<footer>Copyright 2025 Projet Debian — Mentions légales — Plan du site</footer>
</body></html>
"""

SECTIONS = ["Sauvegardes", "Sauvegardes › Rotation des bandes",
            "Sauvegardes › Rotation des bandes › Rotation hebdomadaire",
            "Sauvegardes › Rotation des bandes › Rotation mensuelle",
            "Sauvegardes › Restauration"]
# What a converter to markdown adds: backticks and fences, table pipes and rules, heading
# marks, bullets, emphasis.
MARKDOWN = re.compile(r"`|\||^\s*#|^\s*[-*+]\s|\*\*|^\s*-{3,}|^\s*~~~", re.MULTILINE)


def load(tmp_path, html: str, name: str = "manuel/ch09.html") -> OutlinedDocument:
    path = tmp_path / name.replace("/", "_")
    path.write_text(html, encoding="utf-8")
    doc = load_document(path, name)
    assert isinstance(doc, OutlinedDocument)
    return doc


def pre_span(doc: OutlinedDocument) -> tuple[int, int]:
    start = doc.text.index("# mkfs.ext4")
    return start, doc.text.index("# postfix reload") + len("# postfix reload")


def test_headings_are_sections_with_their_heading_path(tmp_path):
    doc = load(tmp_path, CHAPTER)
    assert doc.title == "Sauvegardes" and doc.title_source == "metadata"
    assert section_titles(doc) == SECTIONS
    for heading in doc.headings:  # every heading is a line of the text, at its offset
        assert doc.text[heading.start:].startswith(heading.path[-1] + "\n")
    assert doc.text.startswith("Sauvegardes\n\nLes sauvegardes protègent")
    found = passages(doc, size=200)  # exact slices, each inside its section
    assert {p.section for p in found} == set(SECTIONS)
    table = doc.text.index("Jour : Lundi")
    assert next(p for p in found if p.start <= table < p.end).section == SECTIONS[2]


def test_pre_lines_are_content_never_headings(tmp_path):
    doc = load(tmp_path, CHAPTER)
    assert ("# mkfs.ext4 /dev/loop1\n# mount /dev/loop1 /mnt/sauvegarde\n"
            "    tar czf /mnt/sauvegarde/etc.tgz /etc\n# postfix reload") in doc.text
    titles = section_titles(doc)
    assert not any("mkfs" in t or "postfix" in t for t in titles)
    start, end = pre_span(doc)
    section = next(s for s in document_sections(doc) if s.start <= start < s.end)
    assert section.title == "Sauvegardes › Rotation des bandes" and end <= section.end


def test_pre_lines_are_no_section_on_a_page_without_headings(tmp_path):
    page = ("<html><head><title>Commandes</title></head><body><article>"
            "<p>Voici les commandes à taper pour préparer le disque de sauvegarde du "
            "serveur, dans cet ordre, avec les droits de l'administrateur.</p>"
            "<pre># mkfs.ext4 /dev/loop1\n# postfix reload</pre>"
            "<p>Le disque est alors prêt à recevoir la première sauvegarde complète.</p>"
            "</article></body></html>")
    doc = load(tmp_path, page, "commandes.html")
    assert "# mkfs.ext4 /dev/loop1\n# postfix reload" in doc.text
    assert section_titles(doc) == ["Commandes"]


def test_a_table_is_header_value_lines(tmp_path):
    doc = load(tmp_path, CHAPTER)
    assert ("Jour : Lundi ; Type : Complète ; Durée : 4 h\n"
            "Jour : Mardi ; Type : Incrémentale ; Durée : 1 h") in doc.text
    assert "Jour\n" not in doc.text  # the header row is in every row, not a line of its own


def test_no_markdown_syntax_reaches_the_text(tmp_path):
    doc = load(tmp_path, CHAPTER)
    start, end = pre_span(doc)
    outside_pre = doc.text[:start] + doc.text[end:]
    assert not MARKDOWN.search(outside_pre), MARKDOWN.search(outside_pre)
    assert "```" not in doc.text and "`" not in doc.text and "\\" not in doc.text
    assert "avec mkfs.ext4 puis on recharge" in doc.text  # inline code: its words only
    assert "*" not in outside_pre and "_" not in outside_pre
    assert "conservée un an dans un coffre" in doc.text  # emphasis: its words only


def test_lists_are_lines_without_bullets(tmp_path):
    doc = load(tmp_path, CHAPTER)
    assert ("Étiqueter la bande avec le mois.\n"
            "Noter son numéro dans le registre, puis\n"
            "vérifier la lecture de la bande.") in doc.text
    assert "rsync : Outil de synchronisation de fichiers." in doc.text


def test_hard_wrapped_source_lines_are_one_line(tmp_path):
    doc = load(tmp_path, CHAPTER)
    assert ("Les sauvegardes protègent les données du serveur contre les pannes et les "
            "erreurs humaines. Ce chapitre présente les outils disponibles dans Debian et la "
            "façon de les combiner pour une politique de sauvegarde complète.\n") in doc.text
    # A <br> in the middle of a sentence is joined; one after a full stop is a new line.
    assert ("Pour restaurer un fichier, on monte la bande puis on copie le fichier à sa "
            "place d'origine.\nLe service redémarre ensuite.") in doc.text


def test_navigation_and_footer_are_dropped(tmp_path):
    doc = load(tmp_path, CHAPTER)
    for chrome in ("Accueil", "Chapitre précédent", "Copyright", "Mentions légales",
                   "Plan du site"):
        assert chrome not in doc.text


def test_the_text_is_plain_outside_pre(tmp_path):
    page = CHAPTER.replace(CHAPTER[CHAPTER.index("<pre"):CHAPTER.index("</pre>") + 6], "")
    doc = load(tmp_path, page)
    assert_plain(doc)
    assert section_titles(doc) == SECTIONS
    passages(doc, size=120)


def test_dated_entries_of_a_live_blog_are_sections(tmp_path):
    page = ("<html><head><title>Direct : GITEX 2025</title></head><body><article>"
            "<h1>Direct : GITEX 2025</h1>"
            "<p>18-04 à 17:52 Clôture du salon</p><p>Le salon ferme ses portes sur un record "
            "de fréquentation, avec plus de quarante mille visiteurs sur quatre jours.</p>"
            "<p>18-04 à 15:10 Annonce d'Orange<br>Orange annonce un nouveau centre de données "
            "à Rabat, qui ouvrira ses portes au public en juin prochain.</p>"
            "</article></body></html>")
    doc = load(tmp_path, page, "direct.html")
    assert section_titles(doc) == [
        "Direct : GITEX 2025 › 18-04 à 17:52 Clôture du salon",
        "Direct : GITEX 2025 › 18-04 à 15:10 Annonce d'Orange"]
    passages(doc)


def test_a_code_block_keeps_its_lines(tmp_path):
    page = ("<html><head><title>Script</title></head><body><main><h1>Script de sauvegarde"
            "</h1><p>Le script suivant est lancé chaque nuit par cron sur le serveur de "
            "fichiers, et envoie son rapport par courrier.</p>"
            '<pre><code class="language-sh">#!/bin/sh\n# sauvegarde de /etc\n'
            'tar czf /srv/etc.tgz /etc\n</code></pre></main></body></html>')
    doc = load(tmp_path, page, "script.html")
    assert "#!/bin/sh\n# sauvegarde de /etc\ntar czf /srv/etc.tgz /etc" in doc.text
    assert section_titles(doc) == ["Script de sauvegarde"]


def test_markdown_files_keep_their_headings(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nIntro.\n\n## Rotation\n\nUne bande par jour.\n",
                    encoding="utf-8")
    doc = load_document(path, "notes.md")
    assert not isinstance(doc, OutlinedDocument)
    assert doc.text.startswith("# Notes\n")  # as the user wrote it
    assert section_titles(doc) == ["Notes", "Rotation"]


def test_a_heading_right_above_a_sub_heading_opens_its_section(tmp_path):
    # An administrative page: "Qui est concerné ?" says nothing before "Cas général". Alone
    # it would be a passage of three words that outscores real ones.
    page = ("<html><head><title>Allocation logement</title></head><body><article>"
            "<h1>Allocation logement</h1><h2>Qui est concerné ?</h2><h3>Cas général</h3>"
            "<p>Toute personne qui paie un loyer pour sa résidence principale peut demander "
            "l'allocation, sous conditions de ressources.</p><h3>Cas particulier</h3>"
            "<p>Les étudiants logés en résidence universitaire la demandent en ligne.</p>"
            "</article></body></html>")
    doc = load(tmp_path, page, "allocation.html")
    assert section_titles(doc) == [
        "Allocation logement › Qui est concerné ? › Cas général",
        "Allocation logement › Qui est concerné ? › Cas particulier"]
    first = passages(doc)[0]
    assert doc.text[first.start:first.end].startswith(
        "Allocation logement\n\nQui est concerné ?\n\nCas général\n\nToute personne")


def test_a_utf16_page_with_its_bom_is_read(tmp_path):
    """Windows PowerShell 5.1's ConvertTo-Html | Out-File writes UTF-16LE with a BOM."""
    html = ("<html><head><title>Inventaire des serveurs</title></head><body>\r\n"
            "<p>Inventaire réalisé le 3 novembre 2026.</p>\r\n<table>\r\n"
            "<tr><th>Nom</th><th>Système</th></tr>\r\n"
            "<tr><td>SRV-PAIE-01</td><td>Windows Server 2022</td></tr>\r\n</table>\r\n"
            "</body></html>\r\n")
    path = tmp_path / "inventaire.html"
    path.write_bytes(b"\xff\xfe" + html.encode("utf-16-le"))
    doc = load_document(path, "inventaire.html")
    assert doc.text == ("Inventaire réalisé le 3 novembre 2026.\n\n"
                        "Nom : SRV-PAIE-01 ; Système : Windows Server 2022")
    assert doc.title == "Inventaire des serveurs"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_page_without_a_bom_is_read_and_keeps_the_file_hash(tmp_path, codec):
    """Refused on main as "a binary file (NUL bytes)"."""
    html = ("<html><head><title>Inventaire des serveurs</title></head><body>\r\n"
            "<p>Inventaire réalisé le 3 novembre 2026.</p>\r\n</body></html>\r\n")
    path = tmp_path / "inventaire.html"
    path.write_bytes(html.encode(codec))
    doc = load_document(path, "inventaire.html")
    assert doc.text == "Inventaire réalisé le 3 novembre 2026."
    assert doc.title == "Inventaire des serveurs"
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("codec", ["cp1252", "latin-1"])
def test_a_legacy_page_without_a_declared_charset_reads_as_text_files_do(tmp_path, codec):
    """Left to trafilatura's guess, "à" read as cp1250's "ŕ" and "fêtes" as "fętes"; a page
    that declares its charset is read as it says."""
    html = ("<html><head><title>Chauffage</title></head><body><p>La température est fixée "
            "à 19 °C dans les salles des fêtes ; le coût a baissé.</p></body></html>")
    path = tmp_path / "note.html"
    path.write_bytes(html.encode(codec))
    doc = load_document(path, "note.html")
    assert "fixée à 19 °C dans les salles des fêtes ; le coût" in doc.text
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    declared = html.replace("<head>", '<head><meta charset="utf-8">')  # read as it says
    path.write_bytes(declared.encode("utf-8"))
    assert "fixée à 19 °C" in load_document(path, "note.html").text


def test_a_callout_keeps_the_space_after_its_bold_label(tmp_path):
    """trafilatura read a div of text and inline elements as a paragraph without the space
    after its first element: "Attention :la DSI"."""
    html = ("<html><body><main><h1>Consignes</h1><p>La charte informatique s'applique à "
            "tous les agents de la collectivité.</p><div class=\"alert\"><strong>Attention "
            ":</strong> la DSI ne demande jamais votre mot de passe.</div><p>Signalez tout "
            "courriel suspect au support informatique.</p></main></body></html>")
    path = tmp_path / "consignes.html"
    path.write_text(html, encoding="utf-8")
    assert "Attention : la DSI ne demande jamais" in load_document(path, "consignes.html").text


def test_a_binary_named_html_is_still_refused(tmp_path):
    path = tmp_path / "image.html"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with pytest.raises(DocumentError, match="binary"):
        load_document(path, "image.html")


def test_text_standing_directly_in_body_keeps_its_first_line(tmp_path):
    """trafilatura drops the body's own text: a page of <br> lines lost its first one."""
    people = [("paie", "M. Martin"), ("formation", "Mme Leroy"), ("accueil", "M. Petit"),
              ("informatique", "Mme Roux"), ("juridique", "M. Blanc"), ("achats", "Mme Noir")]
    lines = [f"Service {s} : {n}, poste {1000 + i}" for i, (s, n) in enumerate(people)]
    doc = load(tmp_path, "<html><head><title>Annuaire</title></head><body>"
               + "<br>\n".join(lines) + "<br><br>\nHoraires : de 9h à 17h.<br>\n"
               "Fermé les jours fériés.</body></html>", name="annuaire.html")
    assert doc.text == "\n".join([*lines, "Horaires : de 9h à 17h.", "Fermé les jours fériés."])


# An intranet's news page: a few items, each an <article> with its title and a paragraph
# or two. trafilatura took the first <article> for the main content: the others' headings
# were lost (their paragraphs recovered without them), or the items with them.
NEWS = ("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Actualités"
        "</title></head><body><nav><a href=\"/\">Accueil</a> <a href=\"/rh\">RH</a></nav>"
        "<main><h1>Actualités</h1>{items}</main>"
        "<footer>Direction de la communication</footer></body></html>")
ITEMS = [("Nouveau portail RH", ["Le portail RH ouvre le 3 juin.",
                                 "Il remplace l'ancien intranet des agents."]),
         ("Fermeture du restaurant", ["Le restaurant administratif sera fermé du 10 au 14 "
                                      "juin pour travaux."]),
         ("Campagne de vaccination", ["La campagne contre la grippe débute en octobre.",
                                      "Inscriptions auprès du service médical."])]


def news_page(items=ITEMS, main=True) -> str:
    html = NEWS.format(items="".join(
        f"<article><h2>{title}</h2>" + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article>" for title, paragraphs in items))
    return html if main else html.replace("<main>", "").replace("</main>", "")


@pytest.mark.parametrize("main", [True, False])
def test_every_item_of_a_news_listing_heads_its_own_section(tmp_path, main):
    doc = load(tmp_path, news_page(main=main), "actualites.html")
    assert section_titles(doc) == [f"Actualités › {title}" for title, _ in ITEMS]
    assert doc.text == "\n\n".join(["Actualités", *(
        f"{title}\n\n" + "\n\n".join(paragraphs) for title, paragraphs in ITEMS)])
    assert "Accueil" not in doc.text and "communication" not in doc.text
    passages(doc)


def test_a_longer_listing_keeps_every_item(tmp_path):
    """Items long enough for trafilatura's main pass: it kept the first, and only it."""
    sentence = ("Les agents concernés recevront un courriel de la direction des ressources "
                "humaines précisant les modalités pratiques et le calendrier retenu. ")
    items = [(f"Information n° {n}", [sentence * 2]) for n in range(1, 5)]
    doc = load(tmp_path, news_page(items), "actualites.html")
    assert section_titles(doc) == [f"Actualités › Information n° {n}" for n in range(1, 5)]
    assert doc.text.count(sentence.strip()) == 8


def test_a_post_and_its_teasers_are_no_listing(tmp_path):
    """One long article beside short ones: trafilatura's main content is the long one."""
    sentence = ("La mutuelle de la collectivité rembourse désormais les consultations de "
                "psychologue, dans la limite de huit séances par an et par agent. ")
    page = ("<html><head><title>Mutuelle</title></head><body>"
            f"<article><h1>Mutuelle</h1><p>{sentence * 6}</p><p>{sentence * 5}</p></article>"
            "<article><h2>À lire aussi</h2><p>Le restaurant ferme en juin.</p></article>"
            "</body></html>")
    doc = load(tmp_path, page, "mutuelle.html")
    assert "restaurant" not in doc.text and doc.text.startswith("Mutuelle\n\nLa mutuelle")


CLOSED = "Les bureaux seront fermés le 2 mai."
THANKS = "Merci de votre compréhension."


@pytest.mark.parametrize(("body", "after"), [
    (f"<p>{CLOSED}</p>", CLOSED),
    (f"<p>{CLOSED}</p><p>{THANKS}</p>", f"{CLOSED}\n\n{THANKS}"),
    (f"<ul><li>{CLOSED}</li><li>{THANKS}</li></ul>", f"{CLOSED}\n{THANKS}")])
def test_a_short_page_keeps_its_heading_and_its_lines(tmp_path, body, after):
    """trafilatura found too little there and dumped the page's text as one paragraph:
    "Fermeture exceptionnelle Les bureaux seront fermés le 2 mai. Merci de..."."""
    doc = load(tmp_path, f"<html><body><h1>Fermeture exceptionnelle</h1>{body}</body></html>",
               "fermeture.html")
    assert doc.title == "Fermeture exceptionnelle"
    assert doc.text == f"Fermeture exceptionnelle\n\n{after}"
    assert section_titles(doc) == ["Fermeture exceptionnelle"]
    assert doc.headings[0].start == 0


def test_a_page_all_in_its_chrome_keeps_its_lines(tmp_path):
    """Every word in a <header>: read all the same, its heading a heading (html2txt made
    one line of it)."""
    page = ("<html><body><header><h1>Portail des agents</h1><p>Le portail est en "
            "maintenance jusqu'à 14 h.</p></header></body></html>")
    doc = load(tmp_path, page, "portail.html")
    assert doc.text == "Portail des agents\n\nLe portail est en maintenance jusqu'à 14 h."
    assert section_titles(doc) == ["Portail des agents"]


# A staff table with two header levels: "Service" spans both header rows, "Titulaires"
# and "Contractuels" each span two columns; "DSI" spans three rows of the body.
STAFF = ("<table><tr><th rowspan=\"2\">Service</th><th colspan=\"2\">Titulaires</th>"
         "<th colspan=\"2\">Contractuels</th></tr><tr><th>Hommes</th><th>Femmes</th>"
         "<th>Hommes</th><th>Femmes</th></tr>"
         "<tr><td rowspan=\"3\">DSI</td><td>12</td><td>8</td><td>3</td><td>4</td></tr>"
         "<tr><td>5</td><td>6</td><td>1</td><td>0</td></tr>"
         "<tr><td>7</td><td>2</td><td>2</td><td>1</td></tr>"
         "<tr><td>RH</td><td>2</td><td>9</td><td>1</td><td>3</td></tr></table>")
STAFF_LINES = [
    "Service : DSI ; Titulaires Hommes : 12 ; Titulaires Femmes : 8 ; "
    "Contractuels Hommes : 3 ; Contractuels Femmes : 4",
    "Service : DSI ; Titulaires Hommes : 5 ; Titulaires Femmes : 6 ; "
    "Contractuels Hommes : 1 ; Contractuels Femmes : 0",
    "Service : DSI ; Titulaires Hommes : 7 ; Titulaires Femmes : 2 ; "
    "Contractuels Hommes : 2 ; Contractuels Femmes : 1",
    "Service : RH ; Titulaires Hommes : 2 ; Titulaires Femmes : 9 ; "
    "Contractuels Hommes : 1 ; Contractuels Femmes : 3"]


@pytest.mark.parametrize("long", [False, True])
def test_a_table_row_reads_with_both_header_levels(tmp_path, long):
    """trafilatura kept "Titulaires" apart from "Hommes", read the second header row as
    data, and left DSI's second and third rows without their service."""
    text = ("Les effectifs sont arrêtés au 31 décembre, agents à temps partiel compris, "
            "hors apprentis et stagiaires accueillis au cours de l'année. ") * (8 if long else 1)
    page = (f"<html><head><title>Effectifs</title></head><body><main><h1>Effectifs 2025</h1>"
            f"<p>{text}</p>{STAFF}</main></body></html>")
    doc = load(tmp_path, page, "effectifs.html")
    assert "\n".join(STAFF_LINES) in doc.text
    assert "Hommes ; Femmes" not in doc.text and "Service : Hommes" not in doc.text


def test_a_page_all_in_its_footer_is_still_read(tmp_path):
    page = ("<html><body><footer><p>Service informatique</p><p>Poste 4412</p></footer>"
            "</body></html>")
    assert load(tmp_path, page, "contact.html").text == "Service informatique\n\nPoste 4412"
