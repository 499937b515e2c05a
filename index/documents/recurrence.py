"""A meeting's repeat rule (iCalendar ``RRULE``) in French words.

``icalendar`` reads the rule (its ``vRecur``: FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH,
BYSETPOS, UNTIL, COUNT); this module only says it as a reader would: "chaque semaine le
mardi et le jeudi, jusqu'au 29 juin 2027", "chaque mois le dernier vendredi",
"toutes les 2 semaines le lundi, 10 fois", "chaque année le 1er janvier", "tous les jours
du lundi au vendredi", "chaque mois le dernier jour ouvré" (several days and a BYSETPOS:
one day of them). A COUNT or an INTERVAL below 1 is left out, as is a part it cannot
say (BYHOUR, BYWEEKNO...), and a rule with no frequency it knows gives "".

Its exceptions (``EXDATE``) and extra dates (``RDATE``) are said as the dates they are,
in the event's time zone (:func:`dates_words`): "le 25 décembre 2026", "les 21 et
28 décembre 2026 et le 4 janvier 2027", "le 7 janvier 2027 à 15:00" (a time only where it
is not the meeting's own), :data:`MAX_DATES` of them, then how many more.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

__all__ = ["MAX_DATES", "dates_words", "repeat_words"]

# Dates said of a list of exceptions or extra dates, the soonest; then "et N autres dates".
# An invitation that skips every holiday for years is read for its rule, not its calendar.
MAX_DATES = 10

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
        try:
            until = until.astimezone(start.tzinfo)
        except OverflowError:  # "UNTIL=99991231T235959Z" east of UTC: the day as written
            pass
    if isinstance(until, date):
        day = until.date() if isinstance(until, datetime) else until
        text += f", jusqu'au {_day_of_month(day.day)} {MONTHS[day.month - 1]} {day.year}"
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


def dates_words(values, start: date | None = None) -> str:
    """The dates ``values`` (icalendar's ``.dt`` of EXDATE or RDATE: a date, a date-time,
    or a PERIOD's (start, end or duration)) as a reader says them, in order, once each:
    "le 25 décembre 2026", "les 21 et 28 décembre 2026 et le 4 janvier 2027" (the days of
    one month together), :data:`MAX_DATES` of them then "et 3 autres dates". A date-time
    is read in the time zone of ``start`` (the event's first start), its time said only
    where it is not the meeting's own ("le 7 janvier 2027 à 15:00", a period "de 15:00 à
    16:30"): an exception at the meeting's hour is the day it does not take place."""
    said = sorted(filter(None, {_local(value, start) for value in values}))
    more = len(said) - MAX_DATES
    groups: list[tuple[int, int, list[str], str]] = []  # year, month, days, time
    for day, time in said[:MAX_DATES]:
        last = groups[-1] if groups else None
        if last and not time and not last[3] and last[:2] == (day.year, day.month):
            last[2].append(_day_of_month(day.day))
        else:
            groups.append((day.year, day.month, [_day_of_month(day.day)], time))
    words = [f"{'les' if len(days) > 1 else 'le'} {_joined(days)} {MONTHS[month - 1]} {year}"
             + (f" {time}" if time else "") for year, month, days, time in groups]
    if more > 0:
        words.append(f"{more} autres dates" if more > 1 else "1 autre date")
    return _joined(words) if words else ""


def _local(value, start: date | None) -> tuple[date, str] | None:
    """The day of the date or date-time ``value`` in the time zone of ``start``, and the
    time to say of it ("à 15:00", "de 15:00 à 16:30", "" for a date or the meeting's own
    time); None of a value that is not a date."""
    end = None
    if isinstance(value, tuple) and len(value) == 2:  # a PERIOD: (start, end or duration)
        value, end = value
        end = value + end if isinstance(end, timedelta) else end
    if not isinstance(value, date):
        return None
    if not isinstance(value, datetime):
        return value, ""
    value, end = _in_zone(value, start), _in_zone(end, start)
    if not isinstance(start, datetime):  # an all-day meeting: its dates are days
        return value.date(), ""
    if isinstance(end, datetime) and (end.tzinfo is None) == (value.tzinfo is None) \
            and end.date() == value.date() and end > value:
        return value.date(), f"de {value:%H:%M} à {end:%H:%M}"
    if (value.hour, value.minute) != (start.hour, start.minute):
        return value.date(), f"à {value:%H:%M}"
    return value.date(), ""


def _in_zone(value, start):
    """``value`` in the time zone of ``start`` where both have one, else as written."""
    if isinstance(value, datetime) and value.tzinfo and isinstance(start, datetime) \
            and start.tzinfo:
        return value.astimezone(start.tzinfo)
    return value


def _day_of_month(n: int) -> str:
    return "1er" if n == 1 else str(n)
