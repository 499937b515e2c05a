"""The product's promise: every passage is an exact slice of its document."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragqa.index.documents.boilerplate import find_boilerplate, find_generic_headings, normalise_line
from ragqa.index.documents.chunking import ChunkingParams, chunk_document, make_splitter
from ragqa.index.documents.reading import Document, extract_title, load_text_document, scan_corpus
from ragqa.index.documents.processing import CorpusContext, corpus_context, process_document
from ragqa.index.documents.sections import split_sections
from tests.conftest import CORPUS


def _chunk_corpus(params: ChunkingParams):
    docs = [load_text_document(p, p.name) for p in scan_corpus(CORPUS)]
    split = [split_sections(d.text, d.title) for d in docs]
    boilerplate = find_boilerplate((d.text, s) for d, s in zip(docs, split))
    splitter = make_splitter(params)
    return [(d, chunk_document(d, s, boilerplate, splitter)) for d, s in zip(docs, split)], boilerplate


@pytest.mark.parametrize("size, overlap", [(1000, 150), (500, 50), (200, 0), (1500, 300)])
def test_offsets_invariant_over_the_whole_corpus(size, overlap):
    chunked, boilerplate = _chunk_corpus(ChunkingParams(size, overlap))
    total = 0
    for doc, passages in chunked:
        assert passages, doc.doc_id
        previous_start = -1
        for p in passages:
            quote = doc.text[p.start : p.end]
            assert 0 < len(quote) <= size
            assert quote == quote.strip()
            assert p.start >= previous_start  # document order
            previous_start = p.start
            # Never a boilerplate line inside a passage.
            for line in quote.split("\n")[1:]:
                assert normalise_line(line) not in boilerplate
            total += 1
    assert total > 100


def test_every_live_blog_entry_yields_passages_citing_it():
    chunked, _ = _chunk_corpus(ChunkingParams())
    doc, passages = next((d, ps) for d, ps in chunked if d.doc_id.startswith("004"))
    sections = {s.title for s in split_sections(doc.text, doc.title)}
    cited = {p.section for p in passages}
    assert cited <= sections
    assert len(cited) >= 60
    first_entry = "18-04 à 17:52 “Fusion AI préfigure les systèmes autonomes de demain” (Mohamed Benouda)"
    assert first_entry in cited


def test_content_is_covered_apart_from_boilerplate():
    """Chunking drops no content: every non-boilerplate line lies inside some passage."""
    chunked, boilerplate = _chunk_corpus(ChunkingParams())
    for doc, passages in chunked:
        covered = bytearray(len(doc.text))
        for p in passages:
            covered[p.start : p.end] = b"\x01" * (p.end - p.start)
        offset = 0
        for line in doc.text.split("\n"):
            if line.strip() and any(c.isalnum() for c in line) and normalise_line(line) not in boilerplate:
                start = offset + (len(line) - len(line.lstrip()))
                assert covered[start], (doc.doc_id, line[:60])
            offset += len(line) + 1


_words = st.text(
    alphabet=st.sampled_from(list("abcdeéèàçô ZXY’'«»\u00a0.,;:!?…-\n\t0123456789#")),
    min_size=0,
    max_size=60,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(
        st.one_of(
            _words,
            st.sampled_from(["\n\n", "\n# Titre\n", "\n 18-04 à 17:52 Entrée\n", "\r\n", "\nPIED DE PAGE RÉPÉTÉ ICI\n"]),
        ),
        max_size=80,
    ),
    size=st.integers(min_value=50, max_value=400),
    overlap_ratio=st.floats(min_value=0, max_value=0.45),
)
def test_offsets_invariant_on_generated_text(parts, size, overlap_ratio):
    text = "".join(parts).replace("\r\n", "\n")
    if not text.strip():
        return
    doc = Document("gen.txt", text, "Gen", "0")
    sections = split_sections(text, "Gen")
    boilerplate = find_boilerplate([(text, sections)])
    params = ChunkingParams(size, int(size * overlap_ratio))
    # Every heading generic, so that empty sections are dropped too.
    generic = find_generic_headings([[s.title for s in sections]], min_documents=1)
    for p in chunk_document(doc, sections, boilerplate, make_splitter(params), generic):
        quote = text[p.start : p.end]
        assert 0 < len(quote) <= size
        assert any(c.isalnum() for c in quote)
        assert p.section in {s.title for s in sections}


def test_paginated_documents_never_cross_pages():
    pages_text = ["Page un. " * 30, "Page deux. " * 30, "Page trois. " * 30]
    text = "\n".join(pages_text)
    starts, offset = [], 0
    for page in pages_text:
        starts.append(offset)
        offset += len(page) + 1
    doc = Document("a.pdf", text, "A", "0", pages=tuple(starts))
    sections = split_sections(text, "A")
    passages = chunk_document(doc, sections, frozenset(), make_splitter(ChunkingParams(200, 20)))
    for p in passages:
        assert p.page is not None
        page_start = starts[p.page - 1]
        page_end = starts[p.page] if p.page < len(starts) else len(text)
        assert page_start <= p.start < p.end <= page_end
    assert {p.page for p in passages} == {1, 2, 3}


def test_bad_chunking_parameters_are_refused():
    with pytest.raises(ValueError):
        ChunkingParams(20, 0)
    with pytest.raises(ValueError):
        ChunkingParams(500, 400)


def test_a_section_holding_only_a_generic_heading_yields_no_passage():
    text = ("# Aide au logement\n\n## Qui est concerné ?\n\n## Cas général\n\n"
            "Les locataires d'un logement décent peuvent en bénéficier.\n\n"
            "## Vidéo : la ministre présente l'aide\n")
    doc = Document("a.md", text, "Aide au logement", "0")
    sections = split_sections(text, doc.title)
    splitter = make_splitter(ChunkingParams())
    generic = frozenset({"qui est concerné ?", "cas général"})
    passages = chunk_document(doc, sections, frozenset(), splitter, generic)
    # The title and a distinctive heading are content even alone; the generic one is not.
    assert [p.section for p in passages] == [
        "Aide au logement", "Cas général", "Vidéo : la ministre présente l'aide"]
    assert text[passages[1].start : passages[1].end] == (
        "## Cas général\n\nLes locataires d'un logement décent peuvent en bénéficier.")
    kept = chunk_document(doc, sections, frozenset(), splitter)
    assert [p.section for p in kept][1] == "Qui est concerné ?"


def test_a_heading_right_above_a_deeper_one_opens_its_section():
    # "## Messagerie" right above "### Boîte pleine" was a passage of its line alone.
    text = ("# FAQ\n\n## Messagerie\n\n### Boîte pleine\n\nLe quota est de 50 Go.\n\n"
            "### Pièces jointes\n\nLa limite est de 25 Mo.\n\n"
            "## Qui est concerné ?\n\n### Cas général\n\nTout agent.\n")
    doc = Document("faq.md", text, "FAQ", "0")
    sections = split_sections(text, doc.title)
    assert [s.title for s in sections] == ["FAQ", "Boîte pleine", "Pièces jointes",
                                           "Cas général"]
    assert len(split_sections(text, doc.title, nest=False)) == 6
    passages = chunk_document(doc, sections, frozenset(), make_splitter(ChunkingParams()),
                              frozenset({"qui est concerné ?", "cas général"}))
    quotes = [text[p.start:p.end] for p in passages]
    assert quotes[1:3] == ["## Messagerie\n\n### Boîte pleine\n\nLe quota est de 50 Go.",
                          "### Pièces jointes\n\nLa limite est de 25 Mo."]
    assert quotes[-1] == "## Qui est concerné ?\n\n### Cas général\n\nTout agent."
    # two heading lines left alone above a block too long to share a passage with them
    items = "\n".join(f"- Le site {n} ouvre au public en {2025 + n}." for n in range(8))
    long = f"# Plan\n\n## Calendrier\n\n### Sites\n\n{items}\n"
    doc = Document("p.md", long, "Plan", "0")
    quotes = [long[p.start:p.end] for p in chunk_document(
        doc, split_sections(long, "Plan"), frozenset(), make_splitter(ChunkingParams(120, 0)))]
    assert all(q.startswith("- Le site") for q in quotes if q != "# Plan")


def test_a_heading_left_alone_above_a_long_block_makes_no_passage():
    # A list too long to share a passage with its heading left the heading a passage of
    # its own, which outscored the list for a question worded like it.
    items = "\n".join(f"- Le site {n} ouvre au public en {2025 + n} après rénovation."
                      for n in range(8))
    text = f"# Plan\n\n## Calendrier des sites\n\n{items}\n"
    doc = Document("a.md", text, "Plan", "0")
    passages = chunk_document(doc, split_sections(text, "Plan"), frozenset(),
                              make_splitter(ChunkingParams(200, 0)))
    quotes = [text[p.start : p.end] for p in passages]
    assert "## Calendrier des sites" not in quotes
    assert all(q.startswith("- Le site") for q in quotes if q != "# Plan")
    assert sum(q.count("- Le site") for q in quotes) == 8
    # Alone in its section, a distinctive heading is still content.
    alone = "# Plan\n\n## Vidéo : la ministre présente le plan\n"
    doc = Document("b.md", alone, "Plan", "0")
    assert [alone[p.start : p.end] for p in chunk_document(
        doc, split_sections(alone, "Plan"), frozenset(), make_splitter(ChunkingParams()))] == [
        "# Plan", "## Vidéo : la ministre présente le plan"]


def test_generic_headings_are_those_of_several_documents():
    titles = [["Aide A", "Qui est concerné ?"], ["Aide B", "Qui est  concerné ?"],
              ["Aide C", "QUI EST CONCERNÉ ?", "Recours"], ["Aide D", "Recours"]]
    assert find_generic_headings(titles) == {"qui est concerné ?"}


def test_a_document_that_is_only_generic_headings_keeps_them():
    text = "## Sous-titre\n"
    doc = Document("t.md", text, "Titre", "0")
    passages = chunk_document(doc, split_sections(text, "Titre"), frozenset(),
                              make_splitter(ChunkingParams()), frozenset({"sous-titre"}))
    assert [text[p.start : p.end] for p in passages] == ["## Sous-titre"]


def _processed(text: str, doc_id: str = "a.md"):
    """``text``'s passages as the stores cut them (its own title, no corpus context)."""
    doc = Document(doc_id, text, extract_title(text, "fallback"), "0")
    return [text[p.start : p.end] for p in
            process_document(doc, CorpusContext(), make_splitter(ChunkingParams()),
                             contextual=True).passages]


BODY = ("Le ministère a présenté mardi à Rabat un plan de cinq ans pour la fibre optique, "
        "qui doit couvrir toutes les communes rurales du royaume d'ici la fin de la décennie.")


def test_page_chrome_and_kickers_are_in_no_passage():
    text = ("Un proche vous offre cet article\n\n"
            "Inscrivez-vous gratuitement pour lire cet article, habituellement réservé aux "
            "lecteurs abonnés.\n\nVous êtes déjà inscrit ? Se connecter\n\n"
            "## COMMUNIQUÉ DE PRESSE\n\n---\n\n## La fibre arrive à Dakhla\n\n" + BODY + "\n")
    assert _processed(text) == ["## La fibre arrive à Dakhla\n\n" + BODY]


def test_chrome_inside_a_passage_is_cut_out_of_it():
    text = ("La fibre arrive à Dakhla\n\nPartagez sur Facebook\n\n" + BODY + "\n")
    # Without the chrome line, the title is left alone (no passage) above the body.
    assert _processed(text) == [BODY]
    standfirst = ("La fibre arrive à Dakhla\n\nToutes les communes rurales raccordées\n\n"
                  "Partagez sur Facebook\n\n" + BODY + "\n")
    assert _processed(standfirst) == [
        "La fibre arrive à Dakhla\n\nToutes les communes rurales raccordées", BODY]


def test_a_title_alone_makes_no_passage_but_a_standfirst_does():
    alone = "# La fibre arrive à Dakhla\n\n## Le plan\n\n" + BODY + "\n"
    assert _processed(alone) == ["## Le plan\n\n" + BODY]
    standfirst = ("# La fibre arrive à Dakhla\n\nToutes les communes rurales seront raccordées "
                  "avant la fin de la décennie\n\n## Le plan\n\n" + BODY + "\n")
    assert _processed(standfirst)[0] == (
        "# La fibre arrive à Dakhla\n\nToutes les communes rurales seront raccordées avant la "
        "fin de la décennie")


def test_a_document_that_is_only_a_title_keeps_it():
    assert _processed("Zorglub Telecom\n", "z.txt") == ["Zorglub Telecom"]
    assert _processed("## COMMUNIQUÉ DE PRESSE\n\n---\n") == ["## COMMUNIQUÉ DE PRESSE\n\n---"]


def test_the_bundled_corpus_indexes_no_paywall_notice_and_no_kicker_alone():
    docs = [load_text_document(p, p.name) for p in scan_corpus(CORPUS)]
    titled, context = corpus_context(docs)
    splitter = make_splitter(ChunkingParams())
    quotes = [doc.text[p.start : p.end] for doc in titled
              for p in process_document(doc, context, splitter, contextual=True).passages]
    assert not [q for q in quotes if "vous offre cet article" in q or "Se connecter" in q]
    assert "## COMMUNIQUÉ DE PRESSE\n\n---" not in quotes
    assert len(quotes) > 400


def test_a_section_header_slide_under_a_generic_heading_yields_no_passage(tmp_path):
    # A deck's section-header slide holds only its title, and a passage never crosses a
    # slide: without a markdown "#", the line is still the section's own heading.
    from ragqa.eval.blocks import Block
    from ragqa.eval.writing import write_pptx
    from ragqa.index.documents.loaders import load_document

    docs = []
    for name, amount in (("a", 300), ("b", 450), ("c", 120)):
        path = tmp_path / f"{name}.pptx"
        write_pptx(path, f"Aide {name.upper()}", [
            Block("heading", "Quel est le montant ?", 2),
            Block("paragraph", f"Le montant est de {amount} euros par mois.")])
        docs.append(load_document(path, path.name))
    titled, context = corpus_context(docs)
    assert "quel est le montant ?" in context.generic_headings
    splitter = make_splitter(ChunkingParams())
    for doc in titled:
        quotes = [doc.text[p.start:p.end] for p in
                  process_document(doc, context, splitter, contextual=True).passages]
        assert "Quel est le montant ?" not in quotes, quotes
        assert any("euros par mois" in q for q in quotes)


def test_a_notice_shared_by_word_documents_titled_by_their_style_is_chrome(tmp_path):
    # Titles from the file (Word's Title style) still leave the notice all pages share
    # in no passage, as for documents titled by their text.
    from ragqa.eval.blocks import Block
    from ragqa.eval.writing import write_docx
    from ragqa.index.documents.loaders import load_document

    notice = "Vérifié le 2 janvier 2025 - Direction de l'information légale et administrative"
    docs = []
    for name, subject in (("a", "logement"), ("b", "transport"), ("c", "énergie")):
        path = tmp_path / f"{name}.docx"
        write_docx(path, f"Aide au {subject}", [
            Block("paragraph", notice),
            Block("paragraph", f"L'aide au {subject} est versée chaque mois aux foyers "
                               "qui en font la demande auprès de la mairie.")])
        docs.append(load_document(path, path.name))
    assert all(doc.title_source == "metadata" for doc in docs)
    titled, context = corpus_context(docs)
    splitter = make_splitter(ChunkingParams())
    for doc in titled:
        quotes = [doc.text[p.start:p.end] for p in
                  process_document(doc, context, splitter, contextual=True).passages]
        assert quotes and not any("Vérifié le" in q for q in quotes), quotes


def test_dated_lines_of_a_log_are_text_not_headings_left_alone():
    # A Word log of dated lines ("2024-03-12 14:30 Panne ...") lost most of its chunks to
    # the rule for markdown heading lines left alone.
    from ragqa.index.documents.chunking import _heading_only

    log = "2024-03-12 14:30 Panne du serveur\n2024-03-12 15:10 Redémarrage du serveur"
    assert not _heading_only(log, "Journal des incidents")
    assert _heading_only("## Messagerie\n\n### Boîte pleine", "Boîte pleine")
    assert not _heading_only("## Messagerie\n\n### Boîte pleine", "Autre section")
