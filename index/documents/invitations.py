"""Meeting invitations (``text/calendar``, iCalendar), read with the ``icalendar`` package.

An invitation sent by Outlook may be a message whose only part is the event: what a
mail client shows of it is the meeting, so that is its text, one block per event:
"Événement : Comité de direction", "Quand : 2026-11-05 14:00 – 15:30 (Romance Standard
Time)" (the event's own local time and the name of its time zone, as the invitation
gives them), "Lieu : ...", "Organisateur : Alice Martin <alice@example.fr>", then the
description's paragraphs. A cancelled meeting says so ("Événement annulé : ..."). The
``icalendar`` package unfolds the lines, unescapes ``\\,`` and ``\\n`` and reads the time
zones (``TZID``, an Outlook ``VTIMEZONE``, UTC).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ragqa.index.documents.layout import clean_lines, one_line, unwrap

__all__ = ["event_blocks"]


def event_blocks(content: str, details: bool = True) -> list[list[str]]:
    """The blocks of lines a reader sees of the iCalendar ``content``: for each event its
    summary, when, where and organiser lines, then (``details``) its description's
    paragraphs. An unreadable calendar gives no block."""
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(content)
        method = str(calendar.get("method", "")).upper()
        blocks: list[list[str]] = []
        for event in calendar.walk("VEVENT"):
            blocks.extend(_event(event, method, details))
        return blocks
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return []  # a malformed calendar: nothing a reader could make out


def _event(event, method: str, details: bool) -> list[list[str]]:
    cancelled = method == "CANCEL" or str(event.get("status", "")).upper() == "CANCELLED"
    lines = []
    summary = one_line(str(event.get("summary", "")))
    label = "Événement annulé" if cancelled else "Événement"
    if summary or cancelled:
        lines.append(f"{label} : {summary}".rstrip(" :"))
    when = _when(event)
    if when:
        lines.append(f"Quand : {when}")
    location = one_line(str(event.get("location", "")))
    if location:
        lines.append(f"Lieu : {location}")
    organizer = _person(event.get("organizer"))
    if organizer:
        lines.append(f"Organisateur : {organizer}")
    blocks = [lines] if lines else []
    if details:  # read as a plain-text body: paragraphs, hard wraps joined
        paragraph: list[str] = []
        for line in [*clean_lines(str(event.get("description", ""))), ""]:
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
    if start_property is None:
        return ""
    start = start_property.dt
    try:
        end = event.end
    except (ValueError, TypeError):  # icalendar's InvalidCalendar: a DTEND and a DURATION
        end = None
    if not isinstance(start, datetime):  # an all-day event: DTEND is the day after
        last = end - timedelta(days=1) if isinstance(end, date) else start
        return start.isoformat() if last <= start else f"{start.isoformat()} – {last.isoformat()}"
    text = start.strftime("%Y-%m-%d %H:%M")
    if isinstance(end, datetime) and end > start:
        text += " – " + end.strftime("%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M")
    zone = start_property.params.get("TZID") or (
        "UTC" if start.tzinfo is not None and start.utcoffset() == timedelta(0) else "")
    return f"{text} ({zone})" if zone else text


def _person(value) -> str:
    """``Name <address>`` of an ORGANIZER, from its CN and its ``mailto:`` value."""
    if value is None:
        return ""
    address = str(value)
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:"):]
    name = one_line(str(getattr(value, "params", {}).get("CN", ""))).strip('"')
    if name and address:
        return f"{name} <{address}>"
    return name or address
