"""The formats eval: articles written in other formats, gold spans followed into the text
their loader made (eval/blocks.py, eval/spanmap.py, eval/formats_eval.py)."""

import json

import pytest

from ragqa.eval.blocks import Block, context_blocks
from ragqa.eval.formats_eval import (format_id, heading_above, heading_key, map_questions,
                                     read_articles)
from ragqa.eval.spanmap import map_spans
from ragqa.eval.squad import load_squad
from ragqa.eval.writing import PRINTABLE, WRITERS, sectioned_slides
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import HEADING_PATH_SEPARATOR, document_sections

CONTEXT = ("## Qui est concerné ?\n\nLa prime  est versée\naux ménages modestes.\n\n"
           "- un logement ancien\n- des travaux d'isolation\n\n## Montant\n\n"
           "Le plafond est de 4 000 euros.")
SQUAD = {"data": [{"title": "Prime_rénovation", "paragraphs": [
    {"context": "Une aide de l'Agence nationale de l'habitat.", "qas": [
        {"id": "q0", "question": "Qui verse l'aide ?",
         "answers": [{"text": "Agence nationale de l'habitat", "answer_start": 14}]}]},
    {"context": CONTEXT, "qas": [
        {"id": "q1", "question": "Quel est le plafond ?",
         "answers": [{"text": "4 000 euros", "answer_start": CONTEXT.index("4 000")}]},
        {"id": "q2", "question": "Quels travaux ?",
         "answers": [{"text": "travaux d'isolation", "answer_start": CONTEXT.index("travaux")}]},
        {"id": "q3", "question": "À qui ?",
         "answers": [{"text": "versée\naux ménages", "answer_start": CONTEXT.index("versée")}]},
    ]}]}]}


def _span(context: str, answer: str) -> tuple[int, int]:
    return context.index(answer), context.index(answer) + len(answer)


def test_spans_follow_blocks_through_layout_changes():
    blocks = context_blocks(CONTEXT)
    assert [b.kind for b in blocks] == ["heading", "paragraph", "item", "item", "heading",
                                        "paragraph"]
    # What a loader makes of it: no markup, lines joined, blocks one per line.
    canonical = ("Qui est concerné ?\n\nLa prime est versée aux ménages modestes.\n"
                 "un logement ancien\ndes travaux d'isolation\nMontant\n"
                 "Le plafond est de 4 000 euros.")
    answers = ["versée\naux ménages", "travaux d'isolation", "4 000 euros"]
    mapping = map_spans(canonical, blocks, [_span(CONTEXT, a) for a in answers])
    assert [canonical[s:e] for s, e in mapping.spans] == [
        "versée aux ménages", "travaux d'isolation", "4 000 euros"]
    assert not mapping.lost_blocks


def test_a_block_the_loader_lost_is_reported_not_dropped():
    blocks = context_blocks(CONTEXT)
    canonical = "Qui est concerné ?\n\nLe plafond est de 4 000 euros."
    mapping = map_spans(canonical, blocks, [_span(CONTEXT, "travaux d'isolation"),
                                            _span(CONTEXT, "4 000 euros")])
    assert mapping.spans[0] is None and mapping.spans[1] is not None
    assert {b.text for b in mapping.lost_blocks} == {
        "La prime  est versée\naux ménages modestes.", "un logement ancien",
        "des travaux d'isolation", "Montant"}


def test_a_block_cut_by_a_page_footer_places_its_spans_by_their_text():
    context = "Le plafond est de 4 000 euros par foyer et par an, sans condition."
    canonical = ("Le plafond est de 4 000 euros par foyer Rapport - page 1 / 2\n\n"
                 "et par an, sans condition.")
    mapping = map_spans(canonical, context_blocks(context),
                        [_span(context, "4 000 euros"), _span(context, "sans condition")])
    assert [canonical[s:e] for s, e in mapping.spans] == ["4 000 euros", "sans condition"]
    assert mapping.by_answer == 2 and len(mapping.lost_blocks) == 1


def test_the_markdown_writer_is_the_squad_document(tmp_path):
    path = tmp_path / "set.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    documents, questions = load_squad(path)
    articles, _ = read_articles(path)
    WRITERS["md"](tmp_path / "doc.md", articles[0].title, articles[0].blocks)
    assert (tmp_path / "doc.md").read_text(encoding="utf-8") == documents[articles[0].doc_id]
    mapped = map_questions(articles, questions, "md", {"0000_Prime_rénovation.md":
                                                       documents[articles[0].doc_id]})
    assert [q.spans for q in mapped.questions] == [q.spans for q in questions]


@pytest.mark.parametrize("fmt", ["docx", "html", "pdf", "pptx-sections", "docx-bold", "odt-bold",
                                 "html-bold", "html-css", "pdf-bold", "txt", "txt-typed",
                                 "txt-caps"])
def test_gold_answers_are_found_in_the_loaded_text(tmp_path, fmt):
    path = tmp_path / "set.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    articles, questions = read_articles(path)
    written = tmp_path / format_id("0000_Prime_rénovation.md", fmt)
    WRITERS[fmt](written, articles[0].title, articles[0].blocks)
    text = load_document(written, written.name).text
    mapped = map_questions(articles, questions, fmt, {written.name: text})
    assert mapped.unmapped_spans == 0 and len(mapped.questions) == 4
    printable = PRINTABLE.get(fmt, str)
    for question, original in zip(mapped.questions, questions):
        (start, end), = question.spans
        answer = SQUAD["data"][0]["paragraphs"][0 if original.id == "q0" else 1]
        answer = next(a["text"] for p in SQUAD["data"][0]["paragraphs"] for qa in p["qas"]
                      if qa["id"] == original.id for a in qa["answers"])
        assert " ".join(text[start:end].split()) == " ".join(printable(answer).split())


@pytest.mark.parametrize("fmt", ["docx-bold", "odt-bold", "html-bold", "html-css",
                                 "pdf-bold", "txt-typed", "txt-caps"])
def test_headings_set_by_hand_name_the_answers_sections(tmp_path, fmt):
    """The ``-bold`` and ``html-css`` writers set no heading style, and the loader still
    reads their bold lines as the markdown's headings (a plain text file's numbered lines
    and lines in capitals, as :func:`heading_key` compares them): each answer lies in the
    section it falls under."""
    path = tmp_path / "set.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    articles, questions = read_articles(path)
    written = tmp_path / format_id("0000_Prime_rénovation.md", fmt)
    WRITERS[fmt](written, articles[0].title, articles[0].blocks)
    raw = written.read_bytes()
    assert b"Heading" not in raw and b"<h2" not in raw  # no styled heading (.odt: zipped)
    assert not raw.startswith(b"#") and b"\n#" not in raw  # nor a markdown one
    doc = load_document(written, written.name)
    sections = document_sections(doc)
    mapped = map_questions(articles, questions, fmt, {written.name: doc.text})
    for question, original in zip(mapped.questions, questions):
        start = question.spans[0][0]
        section = next(s for s in sections if s.start <= start < s.end)
        expected = heading_above(articles[0], original.spans[0][0])
        assert heading_key(section.title.split(HEADING_PATH_SEPARATOR)[-1]) == heading_key(
            expected), question.id
    assert {heading_above(articles[0], q.spans[0][0]) for q in questions} == {
        "Prime rénovation", "Qui est concerné ?", "Montant"}


def test_a_sectioned_deck_has_numbered_section_headers_over_other_titles():
    blocks = [Block("heading", "Montant", 2), Block("paragraph", "Le plafond est de 4 000 "
                                                     "euros par foyer et par an."),
              Block("heading", "Cas particuliers", 3), Block("paragraph", "Un bailleur aussi."),
              Block("heading", "Démarches", 2), Block("paragraph", "En ligne.")]
    assert [(layout, title) for layout, title, _ in sectioned_slides("Prime", blocks)] == [
        ("title", "Prime"), ("section", "1. Montant"),
        ("content", "Le plafond est de 4 000"), ("content", "Cas particuliers"),
        ("section", "2. Démarches"), ("content", "En ligne.")]


def test_heading_key_reads_numbers_and_capitals_as_the_heading():
    assert heading_key("2.1 Cas général") == heading_key("CAS GÉNÉRAL") == "cas général"
    assert heading_key("IV. Budget") == "budget" and heading_key("2024 en bref") == "2024 en bref"


def test_the_plain_text_writers_lay_out_as_people_do(tmp_path):
    """Word's "save as text" (one line a paragraph, no blank line), a typed text (numbered
    headings, wrapped at 72 columns), capitals for the top headings."""
    blocks = [Block("heading", "Qui est concerné ?", 2), Block("heading", "Cas général", 3),
              Block("paragraph", "mot " * 30), Block("item", "un logement"),
              Block("heading", "Montant", 2), Block("paragraph", "Le plafond est fixé.")]
    for fmt in ("txt", "txt-typed", "txt-caps"):
        WRITERS[fmt](tmp_path / f"{fmt}.txt", "Prime", blocks)
    assert (tmp_path / "txt.txt").read_text(encoding="utf-8").splitlines()[:3] == [
        "Prime", "Qui est concerné ?", "Cas général"]
    typed = (tmp_path / "txt-typed.txt").read_text(encoding="utf-8")
    assert "\n\n1. Qui est concerné ?\n\n1.1 Cas général\n\n" in typed
    assert "\n\n2. Montant\n\n" in typed and max(map(len, typed.splitlines())) <= 72
    caps = (tmp_path / "txt-caps.txt").read_text(encoding="utf-8")
    assert "\n\nQUI EST CONCERNÉ ?\n\nCas général\n\n" in caps
