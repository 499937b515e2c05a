"""A workbook cell's number, date or time as the spreadsheet shows it, from its format.

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
names them "mm-dd-yy" and "m/d/yy h:mm") and the system's long date and time
(``[$-F800]``, ``[$-x-sysdate]``; ``[$-F400]``, ``[$-x-systime]``) follow the reader's own
settings, which a file does not hold: they are shown as a French Excel shows them
("14/04/2025", "lundi 14 avril 2025", "18:00:00"), ragqa's language by default; so are
dates under the General format.

Numbers (:func:`format_number`) take the code's decimals, grouping, percent, currency and
literal text ("#,##0.00 €" shows 1254300.5 as "1 254 300,50 €", "0.0%" 0.06274 as "6,3 %",
"00 00 00 00 00" 612345678 as "06 12 34 56 78"), with a French Excel's separators (a space
between thousands, a decimal comma), as under the General format ("3,5"); a code this
does not read (a fraction, a scientific one) shows the number as General does. A comma
after the digits divides by 1,000 ("#,##0," shows thousands), and halves round away from
zero, as Excel rounds them (2.5 under "0" shows 3).
"""

from __future__ import annotations

import decimal
import functools
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
_SYSTEM_TIME = "hh:mm:ss"
_SYSTEM_FORMATS = {"mm-dd-yy": _SHORT_DATE, "m/d/yy h:mm": _SHORT_DATE_TIME,
                   "general": "", "": ""}
_TOKEN = re.compile(
    r'"(?P<quoted>[^"]*)"|\\(?P<escaped>.)|(?P<ampm>AM/PM|A/P)'
    r"|(?P<code>y+|m+|d+|h+|s+)|(?P<other>.)", re.IGNORECASE | re.DOTALL)
_BRACKET = re.compile(r"\[[^\]]*\]")
_MIDNIGHT = re.compile(r"^(.*?)[\s,T]*[hH].*$", re.DOTALL)  # a code's part before its hours
_ENGLISH_TAG = re.compile(r"\[\$[^\]]*-(?:[0-9a-f]*09|en(?:-[a-z]+)?)\]", re.IGNORECASE)
_ROUND = decimal.Context(rounding=decimal.ROUND_HALF_UP)


def format_date(value: date | datetime | time, number_format: str = "") -> str:
    """``value`` as the cell's ``number_format`` shows it (see the module)."""
    code = number_format.split(";", 1)[0].strip()
    names = _ENGLISH if _ENGLISH_TAG.search(code) else _FRENCH
    upper = code.upper()
    if "[$-F800]" in upper or "[$-X-SYSDATE]" in upper:
        code = _LONG_DATE
    elif "[$-F400]" in upper or "[$-X-SYSTIME]" in upper:
        code = _SYSTEM_TIME
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


_NUMBER_TOKEN = re.compile(
    r'"(?P<quoted>[^"]*)"|\\(?P<escaped>.)|_(?P<space>.)|\*(?P<fill>.)'
    r"|\[\$(?P<symbol>[^\]-]*)[^\]]*\]|(?P<bracket>\[[^\]]*\])"
    r"|(?P<digits>[0#?][0#?,. ]*[0#?]|[0#?])|(?P<other>.)", re.DOTALL)
_GENERAL_DIGITS = 10  # significant digits General shows in a cell of usual width


def format_number(value: float, number_format: str = "") -> str:
    """``value`` as the cell's ``number_format`` shows it (see the module)."""
    if number_format in ("General", ""):  # most cells: no parsing
        return _general(value)
    sections = _sections(number_format)
    if not sections or sections[0].strip().lower() in ("", "general", "@"):
        return _general(value)
    code = sections[0]
    if value < 0 and len(sections) > 1 and sections[1].strip():
        code, value = sections[1], -value  # the negative section writes its own sign
    elif value == 0 and len(sections) > 2 and sections[2].strip():
        code = sections[2]
    shown = _number(value, code)
    return _general(value) if shown is None else shown


@functools.lru_cache(maxsize=256)
def _sections(code: str) -> tuple[str, ...]:
    """A code's sections (positive; negative; zero; text), split at semicolons outside
    quotes."""
    out, current, quoted = [], [], False
    for char in code:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            out.append("".join(current))
            current = []
        else:
            current.append(char)
    out.append("".join(current))
    return tuple(out)


def _general(value: float) -> str:
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:.{_GENERAL_DIGITS}g}".replace(".", ",")


@functools.lru_cache(maxsize=256)
def _tokens(code: str) -> tuple[re.Match[str], ...]:
    return tuple(_NUMBER_TOKEN.finditer(code))


def _number(value: float, code: str) -> str | None:
    tokens = list(_tokens(code))
    digits = [t for t in tokens if t["digits"]]
    if not digits:  # a section of text alone ("-" for zero)
        return _literals(tokens) or None
    if _template(tokens) and (len(digits) > 1 or " " in digits[0]["digits"]):
        return _fill_template(value, tokens)
    if len(digits) != 1 or re.search(r"[eE][+-]|/", code.replace("\\/", "")):
        return None  # a fraction, scientific, or several numbers: shown as General
    percent = sum(1 for t in tokens if t["other"] == "%")
    scaled = _scaling_commas(tokens)
    amount = decimal.Decimal(repr(float(value))) * 100 ** percent / 1000 ** len(scaled)
    out: list[str] = []
    for token in tokens:
        if token in scaled:
            continue
        if token["quoted"] is not None:
            out.append(token["quoted"])
        elif token["escaped"] is not None:
            out.append(token["escaped"])
        elif token["space"] is not None:
            out.append(" ")
        elif token["symbol"] is not None:
            out.append(token["symbol"])
        elif token["digits"]:
            out.append(_digits(amount, token["digits"]))
        elif token["other"] and token["other"] not in "*":
            out.append(" %" if token["other"] == "%" and not out[-1:] == [" "] else
                       token["other"])
    return " ".join("".join(out).split()) or None


def _literals(tokens: list[re.Match[str]]) -> str:
    return "".join(t["quoted"] if t["quoted"] is not None else t["escaped"]
                   if t["escaped"] is not None else t["other"] or "" for t in tokens).strip()


def _scaling_commas(tokens: list[re.Match[str]]) -> list[re.Match[str]]:
    """The commas right after a code's digits ("#,##0," thousands, "0.0,," millions): each
    divides the number by 1,000 and shows nothing."""
    at = next(i for i, t in enumerate(tokens) if t["digits"])
    commas = []
    for token in tokens[at + 1:]:
        if token["other"] != ",":
            break
        commas.append(token)
    return commas


def _digits(value: decimal.Decimal, pattern: str) -> str:
    """``value`` under one run of digit placeholders ("#,##0.00", "0.0", "0"), rounded as
    Excel rounds (halves away from zero: 2.5 shows 3)."""
    whole, _, decimals = pattern.partition(".")
    places = sum(1 for c in decimals if c in "0#?")
    kept = sum(1 for c in decimals if c == "0")
    grouped = "," in whole
    text = f"{abs(value).quantize(decimal.Decimal(1).scaleb(-places), context=_ROUND):f}"
    integer, _, fraction = text.partition(".")
    if fraction and kept < places:
        fraction = fraction.rstrip("0").ljust(kept, "0")
    minimum = sum(1 for c in whole.replace(",", "") if c == "0")
    if integer == "0" and minimum == 0:
        integer = ""
    integer = integer.zfill(minimum) if minimum else integer
    if grouped:
        integer = " ".join(_thirds(integer))
    sign = "-" if value < 0 and (integer.strip("0 ") or fraction.strip("0")) else ""
    return sign + integer + ("," + fraction if fraction else "")


def _thirds(integer: str) -> list[str]:
    head = len(integer) % 3 or 3
    return [integer[:head]] + [integer[i:i + 3] for i in range(head, len(integer), 3)]


def _template(tokens: list[re.Match[str]]) -> bool:
    """Whether a code is a template of digits between literals ("00 00 00 00 00", a phone
    number; "000-000"): zeros only, no decimals, grouping or percent."""
    return all(t["digits"] is None or set(t["digits"]) <= {"0", " "} for t in tokens) \
        and not any(t["other"] in ("%", ".", ",") for t in tokens if t["other"])


def _fill_template(value: float, tokens: list[re.Match[str]]) -> str:
    places = sum(t["digits"].count("0") for t in tokens if t["digits"])
    number = str(int(round(abs(value)))).zfill(places)
    extra, number = number[:-places] if len(number) > places else "", number[-places:]
    out, at = [extra], 0
    for token in tokens:
        if token["digits"]:
            for char in token["digits"]:
                if char == "0":
                    out.append(number[at])
                    at += 1
                else:
                    out.append(char)
        elif token["quoted"] is not None:
            out.append(token["quoted"])
        elif token["escaped"] is not None:
            out.append(token["escaped"])
        elif token["other"]:
            out.append(token["other"])
    return "".join(out).strip()
