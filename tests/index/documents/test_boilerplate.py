from ragqa.index.documents.boilerplate import find_boilerplate, normalise_line
from ragqa.index.documents.reading import load_text_document
from ragqa.index.documents.sections import split_sections
from tests.conftest import CORPUS, LIVE_BLOG


def test_live_blog_footer_is_found_without_being_told():
    doc = load_text_document(CORPUS / LIVE_BLOG, LIVE_BLOG)
    found = find_boilerplate([(doc.text, split_sections(doc.text, doc.title))])
    assert normalise_line("Suivez la chaîne Médias24 sur WhatsApp") in found
    assert any(line.startswith("© médias24. toute reproduction interdite") for line in found)
    assert normalise_line("Si vous voulez que l'information se rapproche de vous") in found
    # Nothing that is real content: every boilerplate line repeats in many entries.
    assert len(found) <= 5


def test_lines_shared_across_documents_stay_content():
    # Issue 14: administrative pages share definitions and contact blocks that a question
    # may target; a line found once in each of several documents is not their template.
    shared = "Allô Service Public répond au 39 39 du lundi au vendredi"
    docs = []
    for i in range(3):
        text = f"Article {i}\n\nContenu propre numéro {i} sur le numérique.\n\n{shared}\n"
        docs.append((text, split_sections(text, f"A{i}")))
    assert find_boilerplate(docs) == frozenset()


def test_a_line_one_document_repeats_is_boilerplate_everywhere():
    footer = "Abonnez-vous à notre lettre d'information hebdomadaire"
    blog = "".join(f"# Entrée {i}\nNouvelle numéro {i} du jour.\n{footer}\n" for i in range(3))
    other = f"# Autre\nUn autre article.\n{footer}\n"
    found = find_boilerplate([(blog, split_sections(blog, "B")), (other, split_sections(other, "O"))])
    assert found == {normalise_line(footer)}


def test_content_repeated_twice_is_kept():
    para = "Ce paragraphe est cité deux fois dans le même document, ce n'est pas du bruit."
    text = f"# Un\n{para}\n# Deux\n{para}\n# Trois\nautre chose de différent ici\n"
    assert find_boilerplate([(text, split_sections(text, "D"))]) == frozenset()
