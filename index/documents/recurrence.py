"""A meeting's repeat rule (iCalendar ``RRULE``) in French words.

``icalendar`` reads the rule (its ``vRecur``: FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH,
BYSETPOS, UNTIL, COUNT); this module only says it as a reader would: "chaque semaine le
mardi et le jeudi, jusqu'au 2027-06-29", "chaque mois le dernier vendredi",
"toutes les 2 semaines le lundi, 10 fois", "chaque année le 1er janvier", "tous les jours
du lundi au vendredi", "chaque mois le dernier jour ouvré" (several days and a BYSETPOS:
one day of them). A COUNT or an INTERVAL below 1 is left out, as is a part it cannot
say (BYHOUR, BYWEEKNO...), and a rule with no frequency it knows gives "".
"""

from __future__ import annotations

from datetime import date, datetime

__all__ = ["repeat_words"]

DAYS = {"MO": "lundi", "TU": "mardi", "WE": "mercredi", "TH": "jeudi", "FR": "vendredi",
        "SA": "samedi", "SU": "dimanche"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
# Each frequency: its words for "every one" and for "every n" (n > 1).
_EVERY = {"DAILY": ("tous les jours", "tous les {} jours"),
          "WEEKLY": ("chaque semaine", "toutes les {} semaines"),
          "MONTHLY": ("chaque mois", "tous les {} mois"),
          "YEARLY": ("chaque année", "tous les {} ans")}


def repeat_words(rule, start: date | None = None) -> str:
    """The ``vRecur`` ``rule`` in French words; ``start`` (the event's first start) gives
    the time zone an ``UNTIL`` is read in."""
    frequency = str(_one(rule, "FREQ") or "").upper()
    if frequency not in _EVERY:
        return ""
    interval = _number(_one(rule, "INTERVAL")) or 1
    every, every_n = _EVERY[frequency]
    words = [every if interval <= 1 else every_n.format(interval)]
    position = _number(_one(rule, "BYSETPOS"))
    codes = [str(day) for day in rule.get("BYDAY", [])]
    days = _days(codes, position)
    month_days = [_month_day(_number(day)) for day in rule.get("BYMONTHDAY", [])]
    months = [MONTHS[n - 1] for n in map(_number, rule.get("BYMONTH", [])) if n and 1 <= n <= 12]
    if days:
        words.append(days)
    month_days = _joined(month_days) if month_days and all(month_days) else ""
    if month_days and len(months) == 1:
        words.append(f"{month_days} {months[0]}")  # "le 1er janvier"
    elif month_days:
        words.append(month_days)
    if months and days:  # "le dernier dimanche de mars"
        words.append(_joined([f"d'{m}" if m[0] in "aeiou" else f"de {m}" for m in months]))
    elif months and not (month_days and len(months) == 1):
        words.append(f"en {_joined(months)}")
    text = " ".join(words)
    until = _one(rule, "UNTIL")
    if isinstance(until, datetime) and isinstance(start, datetime) and until.tzinfo \
            and start.tzinfo:
        until = until.astimezone(start.tzinfo)
    if isinstance(until, date):
        text += f", jusqu'au {(until.date() if isinstance(until, datetime) else until)}"
    count = _number(_one(rule, "COUNT"))
    if count and count > 0:
        text += f", {count} fois"
    return text


def _one(rule, key: str):
    values = rule.get(key)
    if isinstance(values, list):
        return values[0] if values else None
    return values


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_WEEK = list(DAYS)
_WORKING_DAYS = ["MO", "TU", "WE", "TH", "FR"]


def _days(codes: list[str], position: int | None) -> str:
    """The BYDAY values ``codes`` in words, "" where one is unread: "le mardi et le
    jeudi", "du lundi au vendredi" (three days or more in a row), "le dernier jour ouvré"
    or "le premier jour parmi samedi et dimanche" (several days and a BYSETPOS: the one
    day of the period that falls at that position among them)."""
    plain = [code.upper() for code in codes if code[-2:].upper() in DAYS and len(code) == 2]
    if len(codes) > 1 and len(plain) == len(codes):
        ordered = sorted(set(plain), key=_WEEK.index)
        if position:
            if ordered == _WORKING_DAYS:
                return f"{_rank(position)} jour ouvré"
            return f"{_rank(position)} jour parmi {_joined([DAYS[c] for c in ordered])}"
        first, last = _WEEK.index(ordered[0]), _WEEK.index(ordered[-1])
        if len(ordered) >= 3 and last - first + 1 == len(ordered):
            return f"du {DAYS[ordered[0]]} au {DAYS[ordered[-1]]}"
    days = [_day(code, position) for code in codes]
    return _joined(days) if days and all(days) else ""


def _day(code: str, position: int | None) -> str:
    """"le mardi", "le 2e mardi", "le dernier vendredi" of a BYDAY value ("TU", "2TU",
    "-1FR"; ``position``: the rule's BYSETPOS), "" of one unread."""
    name = DAYS.get(code[-2:].upper())
    if name is None:
        return ""
    n = _number(code[:-2]) if code[:-2] else position
    if not n:
        return f"le {name}"
    if n < -2:
        return f"le {-n}e {name} avant la fin"
    return f"{_rank(n)} {name}"


def _rank(n: int) -> str:
    """"le premier", "le 2e", "le dernier", "l'avant-dernier", "le 3e avant la fin"."""
    if n == -1:
        return "le dernier"
    if n == -2:
        return "l'avant-dernier"
    if n < 0:
        return f"le {-n}e avant la fin"
    return "le premier" if n == 1 else f"le {n}e"


def _month_day(n: int | None) -> str:
    if not n:
        return ""
    if n == -1:
        return "le dernier jour"
    return "le 1er" if n == 1 else f"le {n}" if n > 0 else f"le {-n}e jour avant la fin"


def _joined(parts: list[str]) -> str:
    """"le lundi et le jeudi", "le lundi, le mardi et le jeudi"."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} et {parts[-1]}"
