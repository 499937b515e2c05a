"""Meeting invitations (``text/calendar``, iCalendar), read with the ``icalendar`` package.

An invitation sent by Outlook may be a message whose only part is the event: what a
mail client shows of it is the meeting, so that is its text, one block per event:
"Événement : Comité de direction", "Quand : 2026-11-05 14:00 – 15:30 (Romance Standard
Time)" (the event's own local time and the name of its time zone, as the invitation
gives them), "Lieu : ...", "Organisateur : Alice Martin <alice@example.fr>", then the
description's paragraphs. A repeated meeting says how it repeats, in words ("Répétition :
chaque semaine le mardi, jusqu'au 29 juin 2027, sauf le 22 décembre 2026, et aussi le
8 janvier 2027": :mod:`~ragqa.index.documents.recurrence`), and who is invited is named
("Participants : Alice Martin ; bob@example.fr", then "Participants facultatifs : ...";
a name where the invitation gives one, else the address; rooms and equipment, the
place's, left out; :data:`MAX_ATTENDEES` named, then how many more). A cancelled meeting
says so ("Événement annulé : ..."). The ``icalendar`` package unfolds the lines,
unescapes ``\\,`` and ``\\n`` and reads the time zones (``TZID``, an Outlook
``VTIMEZONE``, UTC). A property given twice reads as its first value (the places, the
descriptions: all of them); a malformed line (a date past 9999, a floating start beside a
UTC end, an exception date "2026-12-22") is left out of its event, and the event and the
mail's other parts stay.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from ragqa.index.documents.layout import clean_lines, one_line, unwrap
from ragqa.index.documents.recurrence import dates_words, repeat_words

__all__ = ["event_blocks", "invitation_blocks"]

MAX_ATTENDEES = 20  # named, of each list; then "et N autres"
_ROOMS = frozenset({"ROOM", "RESOURCE"})
# What makes an attached calendar an invitation (RFC 5546's methods of a meeting sent to
# people), else the few events of one.
INVITATION_METHODS = frozenset({"REQUEST", "CANCEL", "REPLY", "COUNTER", "DECLINECOUNTER",
                                "ADD"})
MAX_INVITATION_EVENTS = 3
_METHOD = re.compile(r"^METHOD(?:;[^:\r\n]*)?:[ \t]*([A-Za-z-]+)", re.M | re.I)
_EVENT_START = re.compile(r"^BEGIN:VEVENT[ \t]*\r?$", re.M | re.I)


# What icalendar or a malformed value may raise while one line of an event is read: a
# date out of range (DTSTART 9999-12-31 with a DURATION), a floating time beside a UTC one,
# a value of an unexpected type. Such a line is left out, not the event nor the mail.
_UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError)


def event_blocks(content: str, details: bool = True) -> list[list[str]]:
    """The blocks of lines a reader sees of the iCalendar ``content``: for each event its
    summary, when, where and organiser lines, then (``details``) its description's
    paragraphs. An unreadable calendar gives no block, an unreadable event or line of an
    event is left out; nothing raises."""
    import icalendar

    try:  # a part may hold several VCALENDARs
        calendars = icalendar.Calendar.from_ical(content, multiple=True)
    except _UNREADABLE:
        return []  # a malformed calendar: nothing a reader could make out
    blocks: list[list[str]] = []
    for calendar in calendars:
        method = _read(lambda: _first(calendar.get("method", ""))).upper()
        try:
            events = calendar.walk("VEVENT")
        except _UNREADABLE:
            continue
        for event in events:
            blocks.extend(_event(event, method, details))
    return blocks


def invitation_blocks(content: str) -> list[list[str]]:
    """:func:`event_blocks` of the attached calendar ``content`` when it is an invitation:
    its METHOD one of :data:`INVITATION_METHODS`, or :data:`MAX_INVITATION_EVENTS` events
    at most; else none (an agenda's export of thousands of events is a file, not a
    meeting). Told from the text before it is parsed."""
    methods = {m.upper() for m in _METHOD.findall(content)}
    if not methods & INVITATION_METHODS and (
            len(_EVENT_START.findall(content)) > MAX_INVITATION_EVENTS):
        return []
    return event_blocks(content)


def _read(value) -> str:
    """``value()``, or "" where the line it reads is malformed."""
    try:
        return value()
    except _UNREADABLE:
        return ""


def _first(value) -> str:
    """A property's text; of a property given twice (icalendar's list), the first's."""
    return str(value[0] if isinstance(value, list) and value else value)


def _all(value, separator: str) -> str:
    """A property's text; of a property given twice, each one's, joined."""
    return separator.join(map(str, value)) if isinstance(value, list) else str(value)


def _event(event, method: str, details: bool) -> list[list[str]]:
    status = _read(lambda: _first(event.get("status", ""))).upper()
    cancelled = method == "CANCEL" or status == "CANCELLED"
    lines = []
    summary = _read(lambda: one_line(_first(event.get("summary", ""))))
    label = "Événement annulé" if cancelled else "Événement"
    if summary or cancelled:
        lines.append(f"{label} : {summary}".rstrip(" :"))
    when = _read(lambda: _when(event))
    if when:
        lines.append(f"Quand : {when}")
    location = _read(lambda: one_line(_all(event.get("location", ""), ", ")))
    if location:
        lines.append(f"Lieu : {location}")
    repeat = _read(lambda: _repeat(event))
    if repeat:
        lines.append(f"Répétition : {repeat}")
    organizer = _read(lambda: _person(event.get("organizer")))
    if organizer:
        lines.append(f"Organisateur : {organizer}")
    for label, names in _read(lambda: _attendees(event.get("attendee"))) or ():
        lines.append(f"{label} : {names}")
    blocks = [lines] if lines else []
    if details:  # read as a plain-text body: paragraphs, hard wraps joined
        description = _read(lambda: _all(event.get("description", ""), "\n\n"))
        paragraph: list[str] = []
        for line in [*clean_lines(description), ""]:
            if line.strip():
                paragraph.append(line)
            elif paragraph:
                blocks.append(unwrap(paragraph))
                paragraph = []
    return blocks


def _when(event) -> str:
    """Start and end as the invitation gives them: a day (an all-day event, its end day
    included), else a time in the event's own time zone, named."""
    start_property = event.get("dtstart")
    if isinstance(start_property, list):  # DTSTART given twice: the first
        start_property = start_property[0] if start_property else None
    if start_property is None:
        return ""
    start, end = start_property.dt, None
    if isinstance(start, tuple):  # VALUE=PERIOD: a start and an end (or a duration)
        start, end = start[0], start[1] if isinstance(start[1], date) else start[0] + start[1]
    else:
        try:
            end = event.end
        except _UNREADABLE:  # InvalidCalendar (a DTEND and a DURATION), a date past 9999
            end = None
    if not isinstance(start, date):
        return ""
    if not isinstance(start, datetime):  # an all-day event: DTEND is the day after
        last = end - timedelta(days=1) if type(end) is date else start
        return start.isoformat() if last <= start else f"{start.isoformat()} – {last.isoformat()}"
    text = start.strftime("%Y-%m-%d %H:%M")
    # A floating end beside a zoned start (or the reverse) cannot be compared: left out.
    comparable = isinstance(end, datetime) and (end.tzinfo is None) == (start.tzinfo is None)
    if comparable and end > start:
        text += " – " + end.strftime("%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M")
    zone = start_property.params.get("TZID") or (
        "UTC" if start.tzinfo is not None and start.utcoffset() == timedelta(0) else "")
    return f"{text} ({zone})" if zone else text


def _repeat(event) -> str:
    """The event's repeat rules in words, then the dates it skips (EXDATE: "sauf le
    25 décembre 2026") and the dates it adds (RDATE: "et aussi le 7 janvier 2027"), all in
    the time zone of its first start. Exceptions without a rule or an extra date to
    except from are left unsaid: they only remove the first start."""
    rules = event.get("rrule")
    rules = rules if isinstance(rules, list) else [rules] if rules is not None else []
    start = event.get("dtstart")
    start = start[0] if isinstance(start, list) and start else start
    first = getattr(start, "dt", None)
    words = " ; ".join(filter(None, (_read(lambda r=rule: repeat_words(r, first))
                                     for rule in rules)))
    extra = _read(lambda: dates_words(_dates(event, "rdate"), first))
    skipped = _read(lambda: dates_words(_dates(event, "exdate"), first))
    parts = [words] if words else [f"aussi {extra}"] if extra else []
    if skipped and parts:
        parts.append(f"sauf {skipped}")
    if extra and words:
        parts.append(f"et aussi {extra}")
    return ", ".join(parts)


def _dates(event, name: str) -> list:
    """The values icalendar read of the date-list property ``name`` (EXDATE, RDATE), every
    line of it; a malformed line left out, not the others."""
    lines = event.get(name)
    lines = lines if isinstance(lines, list) else [lines] if lines is not None else []
    values = []
    for line in lines:
        try:
            values.extend([value.dt for value in line.dts])
        except _UNREADABLE:  # icalendar's broken property: "EXDATE:2026-12-24"
            continue
    return values


def _attendees(value) -> list[tuple[str, str]]:
    """The lines naming who is invited: the required (or unsaid) participants, then the
    optional ones; each a name, else an address; rooms and resources left out."""
    values = value if isinstance(value, list) else [value] if value is not None else []
    required: list[str] = []
    optional: list[str] = []
    for attendee in values:
        params = getattr(attendee, "params", {})
        if str(params.get("CUTYPE", "")).upper() in _ROOMS:
            continue
        name = one_line(str(params.get("CN", ""))).strip('"').strip()
        address = str(attendee).removeprefix("mailto:").removeprefix("MAILTO:").strip()
        who = name or address
        if any(c.isalnum() for c in who):  # "ATTENDEE:;;;" names no one
            role = str(params.get("ROLE", "")).upper()
            (optional if role == "OPT-PARTICIPANT" else required).append(who)
    lines = []
    for label, people in (("Participants", required), ("Participants facultatifs", optional)):
        people = list(dict.fromkeys(people))
        if people:
            # " ; " between people: a name may hold a comma ("Dupont, Marie")
            shown = " ; ".join(people[:MAX_ATTENDEES])
            more = len(people) - MAX_ATTENDEES
            lines.append((label, f"{shown} et {more} autres" if more > 0 else shown))
    return lines


def _person(value) -> str:
    """``Name <address>`` of an ORGANIZER, from its CN and its ``mailto:`` value."""
    if isinstance(value, list):  # ORGANIZER given twice: the first
        value = value[0] if value else None
    if value is None:
        return ""
    address = str(value)
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:"):]
    name = one_line(str(getattr(value, "params", {}).get("CN", ""))).strip('"')
    if name and address:
        return f"{name} <{address}>"
    return name or address
