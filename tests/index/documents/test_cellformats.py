"""A workbook's dates and times as their number format shows them (cellformats.py)."""

from __future__ import annotations

from datetime import date, datetime, time

import openpyxl
import pytest
from ragqa.index.documents.cellformats import format_date, format_number
from ragqa.index.documents.loaders import load_document

MONDAY = datetime(2025, 4, 14)
MORNING = datetime(2025, 4, 14, 8, 5)


@pytest.mark.parametrize(("value", "code", "shown"), [
    # the reader's own short date, the General format: as a French Excel shows them
    (MONDAY, "mm-dd-yy", "14/04/2025"), (MONDAY, "General", "14/04/2025"),
    (MONDAY, "", "14/04/2025"), (MORNING, "m/d/yy h:mm", "14/04/2025 08:05"),
    (date(2019, 9, 2), "dd/mm/yyyy", "02/09/2019"),
    (MONDAY, "d mmmm yyyy", "14 avril 2025"), (MONDAY, "[$-40C]d mmmm yyyy;@", "14 avril 2025"),
    (MONDAY, "dddd d mmm yy", "lundi 14 avr. 25"), (MONDAY, "ddd dd/mm", "lun. 14/04"),
    (MONDAY, "yyyy-mm-dd", "2025-04-14"), (MONDAY, "mmm-yy", "avr.-25"),
    (MONDAY, "[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy", "lundi 14 avril 2025"),
    (MONDAY, "[$-409]mmmm d, yyyy", "April 14, 2025"),  # a code in English says so
    # Excel 365's system long date and time: the reader's own, as a French Excel shows them
    (MONDAY, "[$-x-sysdate]dddd, mmmm dd, yyyy", "lundi 14 avril 2025"),
    (datetime(2025, 4, 14, 18, 0), "[$-x-systime]h:mm:ss AM/PM", "18:00:00"),
    (time(18, 0), "[$-F400]h:mm:ss AM/PM", "18:00:00"),
    (MONDAY, '"le "d/m/yyyy', "le 14/4/2025"),
    # m is minutes after an hour or before seconds
    (MORNING, "dd/mm/yyyy hh:mm", "14/04/2025 08:05"), (MORNING, "h:mm AM/PM", "8:05 AM"),
    (time(17, 30), "hh:mm", "17:30"), (time(17, 30), "", "17:30"),
    (time(17, 30, 5), "h:mm:ss", "17:30:05"), (time(9, 0), "mm:ss", "00:00"),
    # a date at midnight under a code with hours (openpyxl's default): the date alone
    (MONDAY, "yyyy-mm-dd h:mm:ss", "2025-04-14"), (MORNING, "yyyy-mm-dd h:mm:ss",
                                                   "2025-04-14 8:05:00"),
])
def test_dates_and_times_as_their_format_shows_them(value, code, shown):
    assert format_date(value, code) == shown


@pytest.mark.parametrize(("value", "code", "shown"), [
    (1254300.5, '#,##0.00 "€"', "1 254 300,50 €"), (1254300.5, "#,##0.00\\ [$€-40C]",
                                                    "1 254 300,50 €"),
    (0.06274, "0.0%", "6,3 %"), (0.25, "0%", "25 %"), (0.1234, "0.00%", "12,34 %"),
    (3.5, "#,##0.00 €", "3,50 €"), (1234567, "#,##0", "1 234 567"), (7.0, "0.0", "7,0"),
    (612345678, "00 00 00 00 00", "06 12 34 56 78"), (12345, "000-000", "012-345"),
    (42, '"N° "0', "N° 42"), (1500, '#,##0_-"€"', "1 500 €"),
    # sections: negative, zero
    (-1200, "#,##0;[Red]-#,##0", "-1 200"), (-1200, "#,##0 €;(#,##0 €)", "(1 200 €)"),
    (0, '#,##0;-#,##0;"-"', "-"), (-5.5, "0.0", "-5,5"),
    # a comma after the digits divides by 1,000; halves round away from zero, as in Excel
    (1254300, "#,##0,", "1 254"), (1254300, '#,##0.0,,"M"', "1,3M"),
    (1254300, '#,##0,"k€"', "1 254k€"), (2.5, "0", "3"), (-2.5, "0", "-3"),
    (0.125, "0%", "13 %"), (-0.0001, "0.00", "0,00"),
    # General, and what is read as General: a fraction, a scientific code
    (3.5, "General", "3,5"), (125400.5, "", "125400,5"), (45000, "", "45000"),
    (0.5, "# ?/?", "0,5"), (12345, "0.00E+00", "12345"),
])
def test_numbers_as_their_format_shows_them(value, code, shown):
    assert format_number(value, code) == shown


def test_a_workbook_s_dates_read_as_the_sheet_shows_them(tmp_path):
    # "Quels agents sont entrés le 02/09/2019 ?" found "2019-09-02" in no row.
    path = tmp_path / "agents.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Agents"
    sheet.append(["Nom", "Entrée", "Prise de service"])
    sheet.append(["Martin", datetime(2019, 9, 2), time(17, 30)])
    sheet["B2"].number_format = "dd/mm/yyyy"
    sheet["C2"].number_format = "hh:mm"
    workbook.save(path)
    assert load_document(path, "agents.xlsx").text.split("\n")[2] == (
        "Nom : Martin ; Entrée : 02/09/2019 ; Prise de service : 17:30")
