"""What BM25 indexes for a passage: the document title, then the verbatim quote."""

from ragqa.index.documents.processing import bm25_text


def test_the_document_title_is_prefixed_not_the_generic_section():
    text = bm25_text("Allocation de rentrée scolaire", "Qui est concerné ?",
                     "Les familles ayant un enfant scolarisé.")
    assert text == "Allocation de rentrée scolaire\nLes familles ayant un enfant scolarisé."
    assert "concerné" not in text


def test_the_title_is_not_doubled_when_the_quote_opens_with_it():
    assert bm25_text("Sport", "Sport", "# Sport\n\nLe sport est...") == "# Sport\n\nLe sport est..."
    assert bm25_text("Sport", "Sport", "Sport et santé") == "Sport et santé"
