"""Which of a sheet's first rows name its columns, over one row or two.

A table's header is one row ("Ville | Visiteurs"), or two: an upper row naming groups of
columns over a lower one naming each column of a group, "Service | Titulaires | | Contractuels
|" over " | Hommes | Femmes | Hommes | Femmes". A column of a two-level header is named by
both levels joined by a space, the upper first: "Titulaires Hommes" (the upper alone where
the lower cell under it is empty, the lower alone where no group stands above it), so that a
row reads "Service : Paie ; Titulaires Hommes : 12 ; Titulaires Femmes : 9 ; ...", not two
"Hommes" that a reader cannot tell apart.

A group's label stands in its first column with blanks to its right up to the next label:
whether the cells are merged (Excel's merged range, ODF's ``number-columns-spanned``) or
the label merely written there, as often in real files and always in a CSV export, they read
alike (a merged range's covered cells are empty), and are told apart by the rows' text alone
(:func:`two_level_header`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

HEADER_SEARCH_ROWS = 10  # the header is looked for among a sheet's first filled rows
FIGURE = re.compile(r"^[\s\d.,:/%€$£+-]+$")  # a cell of figures: an amount, a date, a rate
_YEAR = re.compile(r"^(?:19|20)\d\d$")  # a year names a column as well as a word does


def names_columns(values: Sequence[str]) -> bool:
    """Whether a row reads as a table's header: two cells or more, none of them a number
    or a date (years as column names, "2024", do not count as words here: a row of them
    under a title is as often data)."""
    filled = [v for v in values if v]
    return len(filled) >= 2 and not any(FIGURE.search(v) for v in filled)


def width(values: Sequence[str]) -> int:
    """How far a row goes: the column of its last value (0 for an empty row)."""
    return next((i + 1 for i in range(len(values) - 1, -1, -1) if values[i]), 0)


def header_row(top: Sequence[Sequence[str]], gaps: Sequence[bool]) -> int | None:
    """Which of a sheet's first rows (``gaps``: whether blank rows stand above each) is its
    header (its upper row, where it has two: :func:`two_level_header`).

    Not merely the first with two values: an office sheet often opens with a title block
    ("Mis à jour le | date", "Service | Paie") and a blank row above its table. The header
    is the first row of two values or more that is not a line of such a block (one that a
    blank row and a wider row follow); failing one, the first row with two values. Whether
    its cells are words or numbers does not count: years are column names ("Ville | 2024 |
    2025") over rows of words as often as words over numbers. A data row wider than its
    header (a note in a column without a name) leaves the header as it is: only a blank
    row tells a title block from a table."""
    candidates = [i for i, row in enumerate(top[:HEADER_SEARCH_ROWS])
                  if sum(1 for v in row if v) >= 2]
    for i in candidates:
        if i + 1 < len(top) and gaps[i + 1] and width(top[i + 1]) > width(top[i]):
            continue  # a line of a title block
        return i
    return candidates[0] if candidates else None


def two_level_header(upper: Sequence[str], lower: Sequence[str]) -> list[str] | None:
    """The names of a two-level header's columns (see the module's docstring), or None
    when ``lower``, the row right under the header ``upper``, is not its second level.

    It is one when
    * a group of ``upper`` (a label, blanks to its right) has two values or more of
      ``lower`` under it: sub-labels, where a one-level header would have named each;
    * ``lower`` names columns: words, or years ("Effectifs" over "2024 | 2025"), no amount;
    * where ``upper`` names a column alone (its next column has a label too), ``lower``
      is empty or repeats it ("Service" merged down over both rows): a data row fills its
      key column;
    * and the table shows it some way of its own: such a column, a name of ``lower``
      left of the first group (" | Titulaires" over "Service | Hommes"), or a name of
      ``lower`` repeated under two groups ("Hommes | Femmes | Hommes | Femmes").
    The last two rules keep one-level: a header over its first data row (its key column
    filled), and "Nom | | Fonction |" over "Dupont | Jean | Directeur | Finances"."""
    if any(FIGURE.search(v) and not _YEAR.match(v) for v in lower if v):
        return None  # an amount, a date: a data row
    span = max(width(upper), width(lower))
    labels = [i for i in range(span) if i < len(upper) and upper[i]]
    if not labels or sum(1 for v in lower if v) < 2:
        return None
    bounds = list(zip(labels, labels[1:] + [span]))
    grouped = alone = repeated = False
    seen: dict[str, int] = {}  # a lower name -> the group it first stands under
    for start, end in bounds:
        below = [lower[i] for i in range(start, end) if i < len(lower) and lower[i]]
        if end - start == 1:
            if below and below[0] != upper[start]:
                return None  # a value under a column's own name: a data row
            alone = True
        elif len(below) >= 2:
            grouped = True
        for name in below:
            repeated = repeated or seen.setdefault(name.casefold(), start) != start
    keyed_left = any(lower[i] for i in range(min(labels[0], len(lower))))
    if not grouped or not (alone or keyed_left or repeated):
        return None
    names: list[str] = []
    group = ""
    for i in range(span):
        if i < len(upper) and upper[i]:
            group = upper[i]
        sub = lower[i] if i < len(lower) else ""
        names.append(f"{group} {sub}" if group and sub and sub != group else group or sub)
    return names
