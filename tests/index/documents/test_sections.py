import re

from ragqa.index.documents.sections import entry_headline, heading_title, split_sections
from tests.conftest import CORPUS, LIVE_BLOG

ENTRY_LINE = re.compile(r"^\s*\d\d-\d\d à \d\d:\d\d", re.M)


def test_live_blog_entries_become_sections():
    text = (CORPUS / LIVE_BLOG).read_text(encoding="utf-8")
    sections = split_sections(text, "Live")
    entries = ENTRY_LINE.findall(text)
    assert len(sections) == len(entries) + 1  # + the preamble before the first entry
    assert sections[0].title == "Live" and sections[0].start == 0
    first = sections[1]
    assert first.title == "18-04 à 17:52 “Fusion AI préfigure les systèmes autonomes de demain” (Mohamed Benouda)"
    assert text[first.start : first.end].lstrip().startswith("18-04 à 17:52")
    # Sections tile the text exactly.
    assert sections[-1].end == len(text)
    # found by review: a bordered plain-text table made sections of its rows, and a rule,
    # a heading and a rule opening a file were taken for a front matter block
    table = "Rapport\n\n-------------\n| Nom | Ville |\n-------------\n| Ali | Rabat |\n"
    assert [s.title for s in split_sections(table, "Doc")] == ["Doc"]
    ruled = "---\n# Vrai titre\n\nDu texte.\n\n---\n\n## Suite\n\nFin.\n"
    assert [s.title for s in split_sections(ruled, "Doc")] == ["Doc", "Vrai titre", "Suite"]
    for a, b in zip(sections, sections[1:]):
        assert a.end == b.start


def test_markdown_headings_and_fences():
    text = "Intro\n# Titre un\ntexte\n```\n# pas un titre\n```\n## Titre deux ##\nfin\n"
    titles = [s.title for s in split_sections(text, "Doc")]
    assert titles == ["Doc", "Titre un", "Titre deux"]


def test_heading_title_variants():
    assert heading_title("### **Huawei Maroc**") == "Huawei Maroc"
    assert heading_title("\u00a018-04 à 17:52\u00a0“Titre”") == "18-04 à 17:52 “Titre”"
    assert heading_title("2025-04-18 09:30 Ouverture du salon") == "2025-04-18 09:30 Ouverture du salon"
    assert heading_title("Le 18-04, il a parlé") is None
    assert heading_title("Plus de 45.000 visiteurs") is None


def test_blank_lines_before_the_first_heading_make_no_section():
    text = "\n\n## Titre\ntexte\n"
    sections = split_sections(text, "Doc")
    assert [(s.title, s.start, s.end) for s in sections] == [("Titre", 0, len(text))]


def test_underlined_headings_are_sections_and_rules_are_not():
    """Markdown's setext headings (and plain text's underlines) were text of the section
    above: a question about "Télétravail" got the document title as its section."""
    text = ("Politique RH\n============\n\nIntro.\n\nTélétravail\n-----------\n\nDeux jours.\n\n"
            "---\n\nUne règle, pas un titre.\n- un point\n---\n```\ncode\n---\n```\n")
    sections = split_sections(text, "Doc")
    assert [s.title for s in sections] == ["Politique RH", "Télétravail"]
    assert text[sections[1].start:].startswith("Télétravail\n---")
    assert sections[-1].end == len(text)


def test_an_underlined_heading_wrapped_over_lines_is_read_whole():
    """Markdown reads the lines above an underline as one heading: its first line was left
    in the section above and its last line named the section."""
    text = ("Intro.\n\nConditions d'accès au service\nde restauration scolaire\n---\n\n"
            "Être inscrit.\n\nTarifs\n2025-2026\n===\n\nDeux euros.\n")
    sections = split_sections(text, "Doc")
    assert [s.title for s in sections] == [
        "Doc", "Conditions d'accès au service de restauration scolaire", "Tarifs 2025-2026"]
    assert text[:sections[1].start] == "Intro.\n\n"
    assert text[sections[1].start:].startswith("Conditions d'accès au service\nde restauration")
    # A paragraph that runs into a rule still names its section by its last line: one of
    # more than three lines, or whose lines before the last end a sentence.
    long = "Un\ndeux\ntrois\nQuatre\n---\n\nTexte.\n"
    assert [(s.title, s.start) for s in split_sections(long, "Doc")] == [
        ("Doc", 0), ("Quatre", long.index("Quatre"))]
    sentence = "Le service ouvre à 9 h.\nHoraires\n---\n\nTexte.\n"
    assert [s.title for s in split_sections(sentence, "Doc")] == ["Doc", "Horaires"]


def test_a_front_matter_block_is_no_heading_and_gives_the_title(tmp_path):
    """Its keys were read as a heading (`date: 2024` underlined by the closing `---`) and
    the title was "title: Politique de télétravail"."""
    from ragqa.index.documents.reading import load_text_document

    text = ('---\ntitle: "Politique de télétravail"\ndate: 2024-05-02\n---\n\n'
            "Le télétravail est ouvert à tous.\n\nModalités\n---------\n\nDeux jours.\n")
    assert [s.title for s in split_sections(text, "Doc")] == ["Doc", "Modalités"]
    (tmp_path / "teletravail.md").write_text(text, encoding="utf-8")
    document = load_text_document(tmp_path / "teletravail.md", "teletravail.md")
    assert document.title == "Politique de télétravail"
    assert document.title_source == "metadata" and document.text == text  # offsets hold
    (tmp_path / "plain.md").write_text("---\n\nNotes de réunion\n", encoding="utf-8")
    assert load_text_document(tmp_path / "plain.md", "plain.md").title == "Notes de réunion"


def test_an_entrys_headline_without_its_date_and_time():
    assert entry_headline(" 14-04 à 15:00\u00a0L'UM6P formera 200.000 jeunes") == (
        "L'UM6P formera 200.000 jeunes")
    assert entry_headline("2025-04-18 17:52 Titre") == "Titre"
    assert entry_headline("## Un titre") == "## Un titre"
