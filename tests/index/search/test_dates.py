"""index.search.dates: a date read alike in figures and in words, and what it does for a
planning's rows (a real workbook, the real loader, the highlight)."""

from datetime import date, timedelta

import openpyxl
import pytest

from ragqa.index.documents.chunking import ChunkingParams, chunk_document, make_splitter
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.sections import split_sections
from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
from ragqa.index.search.dates import ABBREVIATIONS, MONTHS, Day, WordedDates, in_figures
from ragqa.index.search.highlight import Highlighter


@pytest.mark.parametrize("word, day", [
    ("14/04/2025", Day(4, 14, 2025)), ("(14/04/2025).", Day(4, 14, 2025)),
    ("1/4/25", Day(4, 1, 2025)), ("31/12/99", Day(12, 31, 1999)),
    ("14-04-2025", Day(4, 14, 2025)), ("14.04.2025", Day(4, 14, 2025)),
    ("2025-04-14", Day(4, 14, 2025)), ("04/2025", Day(4, None, 2025)),
    ("21/04", Day(4, 21)), ("(01/05)", Day(5, 1)),
    ("1.2.10", None), ("1/2", None), ("24/7", None), ("50/50", None), ("14.04.25", None),
    ("14/04-2025", None), ("13/13/2025", None),
    ("0/04/2025", None), ("192.168.1.1", None), ("2025-4-14", None), ("3/4", None),
])
def test_dates_in_figures_read_day_first(word, day):
    assert in_figures(word) == day


def test_a_ranges_days_abbreviated_months_and_a_month_before_a_question_mark():
    read = WordedDates(MONTHS["french"], ABBREVIATIONS["french"])
    assert list(read("que se passe-t-il le 14 avril?")) == [Day(4, 14)]
    assert list(read("du 14 au 16 avril 2025")) == [Day(4, 14, 2025), Day(4, 16, 2025)]
    assert list(read("les 3 et le 4 mai")) == [Day(5, 3), Day(5, 4)]
    assert list(read("14-15 avril")) == [Day(4, 14), Day(4, 15)]
    assert list(read("le 14 févr. 2025 et le 3 sept.")) == [Day(2, 14, 2025), Day(9, 3)]
    assert list(read("2019-2020, 45 avril, 14 avrils")) == []


def test_dates_in_words_with_or_without_their_year():
    read = WordedDates(MONTHS["french"])
    text = "réunion le 1er mai, puis le 14 avril 2025 et le 3 fevrier 2024 ; 45 mars ; 2,5 mai"
    assert list(read(text)) == [Day(5, 1), Day(4, 14, 2025), Day(2, 3, 2024)]
    assert Day(4, 14, 2025).terms() == ("2025-04-14", "04-14")
    assert Day(4, None, 2025).terms() == ()


def test_a_planning_highlights_the_row_of_the_day_asked(tmp_path):
    """"La semaine du 14 avril 2025" is the row whose date is 14/04/2025, not the row of
    week 14 (which also holds "avril" and "2025": its week ends on 06/04/2025)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Astreintes"
    sheet.append(["Semaine", "Du", "Au", "Agent"])
    agents = ["Karim Alaoui", "Sophie Martin", "Youssef Bennani", "Claire Dubois"]
    for week, agent in enumerate(agents):
        monday = date(2025, 3, 31) + timedelta(weeks=week)
        sheet.append([14 + week, monday, monday + timedelta(days=6), agent])
        for column in (2, 3):
            sheet.cell(sheet.max_row, column).number_format = "dd/mm/yyyy"
    workbook.save(tmp_path / "astreintes.xlsx")
    doc = load_document(tmp_path / "astreintes.xlsx", "astreintes.xlsx")
    passages = chunk_document(doc, split_sections(doc.text, doc.title), frozenset(),
                              make_splitter(ChunkingParams()))
    highlighter = Highlighter(Analyzer(AnalyzerConfig()))
    for question, agent in (("Qui est d'astreinte la semaine du 14 avril 2025 ?", "Bennani"),
                            ("qui est d'astreinte le 21/04 ?", "Dubois")):
        start, end = highlighter.span(highlighter.focus(question), doc.doc_id, doc.text,
                                      passages[0].start, passages[-1].end)
        assert agent in doc.text[start:end], (question, doc.text[start:end])
