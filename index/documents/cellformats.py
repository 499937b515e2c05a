"""A workbook cell's date or time as the spreadsheet shows it, from its number format.

Excel keeps a date as a number and a format code that says how to show it ("dd/mm/yyyy",
"d mmmm yyyy", "hh:mm"); openpyxl gives the date and the code. A date shown as the file's
reader sees it is also what they type in a question ("entrés le 02/09/2019", "la semaine
du 14 avril 2025"), where the ISO form ("2019-09-02") matched neither. The codes' date and
time parts are read here (``yyyy``, ``yy``, ``mmmm``, ``mmm``, ``mm``, ``m``, ``dddd``,
``ddd``, ``dd``, ``d``, ``hh``, ``h``, ``mm`` after an hour or before seconds, ``ss``,
``AM/PM``; quoted and escaped text kept; colours, conditions and locale tags dropped).
Month and day names are French unless the code's locale tag names another language
(``[$-409]``, ``[$-en-US]``: English).

A date at midnight under a code with hours shows its date alone (openpyxl writes every
date with "yyyy-mm-dd h:mm:ss"). Excel's built-in short date and date-time codes (openpyxl
names them "mm-dd-yy" and "m/d/yy h:mm") and the system's long date ``[$-F800]`` follow the
reader's own settings, which a file does not hold: they are shown as a French Excel shows
them ("14/04/2025", "lundi 14 avril 2025"), ragqa's language by default; so are dates
under the General format.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

_FRENCH = {
    "months": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre"),
    "short_months": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
                     "sept.", "oct.", "nov.", "déc."),
    "days": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "short_days": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
_ENGLISH = {
    "months": ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"),
    "short_months": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                     "Nov", "Dec"),
    "days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "short_days": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
# The reader's own short date (built-in format 14), date and time (22), long date.
_SHORT_DATE = "dd/mm/yyyy"
_SHORT_DATE_TIME = "dd/mm/yyyy hh:mm"
_LONG_DATE = "dddd d mmmm yyyy"
_SYSTEM_FORMATS = {"mm-dd-yy": _SHORT_DATE, "m/d/yy h:mm": _SHORT_DATE_TIME,
                   "general": "", "": ""}
_TOKEN = re.compile(
    r'"(?P<quoted>[^"]*)"|\\(?P<escaped>.)|(?P<ampm>AM/PM|A/P)'
    r"|(?P<code>y+|m+|d+|h+|s+)|(?P<other>.)", re.IGNORECASE | re.DOTALL)
_BRACKET = re.compile(r"\[[^\]]*\]")
_MIDNIGHT = re.compile(r"^(.*?)[\s,T]*[hH].*$", re.DOTALL)  # a code's part before its hours
_ENGLISH_TAG = re.compile(r"\[\$[^\]]*-(?:[0-9a-f]*09|en(?:-[a-z]+)?)\]", re.IGNORECASE)


def format_date(value: date | datetime | time, number_format: str = "") -> str:
    """``value`` as the cell's ``number_format`` shows it (see the module)."""
    code = number_format.split(";", 1)[0].strip()
    names = _ENGLISH if _ENGLISH_TAG.search(code) else _FRENCH
    if "[$-F800]" in code.upper():
        code = _LONG_DATE
    code = _SYSTEM_FORMATS.get(code.lower(), code)
    if not code:
        code = _default_code(value)
    code = _BRACKET.sub("", code)
    if isinstance(value, datetime) and value.time() == time(0):
        # A date written with a time part of midnight (openpyxl's default "yyyy-mm-dd
        # h:mm:ss"): its date alone, the midnight no one typed left out.
        day = _MIDNIGHT.match(code)
        if day and re.search(r"[dy]", day.group(1), re.IGNORECASE):
            code = day.group(1)
    shown = _render(value, code, names)
    return shown.strip() or _render(value, _default_code(value), names)


def _default_code(value: date | datetime | time) -> str:
    if isinstance(value, datetime):
        return _SHORT_DATE if value.time() == time(0) else _SHORT_DATE_TIME
    if isinstance(value, time):
        return "hh:mm:ss" if value.second else "hh:mm"
    return _SHORT_DATE


def _render(value: date | datetime | time, code: str, names: dict) -> str:
    tokens = list(_TOKEN.finditer(code))
    twelve = any(t["ampm"] for t in tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token["quoted"] is not None:
            out.append(token["quoted"])
        elif token["escaped"] is not None:
            out.append(token["escaped"])
        elif token["ampm"]:
            hour = getattr(value, "hour", 0)
            out.append(("AM" if hour < 12 else "PM") if len(token["ampm"]) > 3
                       else ("A" if hour < 12 else "P"))
        elif token["code"]:
            out.append(_part(value, token["code"].lower(), _is_minutes(tokens, i), twelve,
                             names))
        else:
            out.append(token["other"])
    return "".join(out)


def _is_minutes(tokens: list[re.Match[str]], at: int) -> bool:
    """Whether the ``m`` code at ``at`` is minutes: after an hour, or before seconds."""
    codes = [(i, t["code"].lower()[0]) for i, t in enumerate(tokens) if t["code"]]
    place = next(k for k, (i, _) in enumerate(codes) if i == at)
    before = codes[place - 1][1] if place > 0 else ""
    after = codes[place + 1][1] if place + 1 < len(codes) else ""
    return before == "h" or after == "s"


def _part(value: date | datetime | time, code: str, minutes: bool, twelve: bool,
          names: dict) -> str:
    kind, width = code[0], len(code)
    if kind == "h":
        hour = getattr(value, "hour", 0)
        if twelve:
            hour = hour % 12 or 12
        return f"{hour:02d}" if width >= 2 else str(hour)
    if kind == "s":
        second = getattr(value, "second", 0)
        return f"{second:02d}" if width >= 2 else str(second)
    if kind == "m" and minutes:
        minute = getattr(value, "minute", 0)
        return f"{minute:02d}" if width >= 2 else str(minute)
    if isinstance(value, time):
        return ""  # a date's part of a time of day: nothing to show
    if kind == "y":
        return f"{value.year % 100:02d}" if width <= 2 else f"{value.year:04d}"
    if kind == "m":
        if width >= 5:
            return names["months"][value.month - 1][0]
        if width == 4:
            return names["months"][value.month - 1]
        if width == 3:
            return names["short_months"][value.month - 1]
        return f"{value.month:02d}" if width == 2 else str(value.month)
    if width >= 4:
        return names["days"][value.weekday()]
    if width == 3:
        return names["short_days"][value.weekday()]
    return f"{value.day:02d}" if width == 2 else str(value.day)
