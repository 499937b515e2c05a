"""E-mail (.eml): the subject is the title, sender and date are in the text, the body reads
without hard wraps or markup, attachments are named but not indexed."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from ragqa.index.documents.invitations import event_blocks
from ragqa.index.documents.loaders import load_document
from ragqa.index.errors import DocumentError

from tests.index.documents.structured import assert_plain, passages

WRAPPED = """Bonjour Marie,

Suite à la réunion du comité de pilotage, le budget du projet de
numérisation des archives est validé pour un montant de 2 millions de
dirhams.

Les prochaines étapes :
1. lancer l'appel d'offres
2. recruter deux archivistes

Cordialement,
Ahmed
"""


def make_eml(path, *, attachment: bool = True, html_only: bool = False) -> None:
    message = EmailMessage()
    message["Subject"] = "RE: Budget des archives"
    message["From"] = "Ahmed Alaoui <ahmed.alaoui@exemple.ma>"
    message["To"] = "Marie Dupont <marie.dupont@exemple.ma>"
    message["Date"] = "Tue, 12 Mar 2024 10:30:00 +0100"
    html = ("<html><head><style>p {color: red}</style></head><body><p>Bonjour Marie,</p>"
            "<p>Le budget est <b>validé</b>.</p><table><tr><th>Poste</th><th>Montant</th>"
            "<th>Année</th></tr><tr><td>Archives</td><td>2 millions</td><td>2024</td></tr>"
            "</table><ul><li>appel d'offres</li><li>recrutement</li></ul></body></html>")
    if html_only:
        message.set_content(html, subtype="html")
    else:
        message.set_content(WRAPPED)
        message.add_alternative(html, subtype="html")
    if attachment:
        message.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf",
                               filename="budget-2024.pdf")
    path.write_bytes(bytes(message))


def test_eml_keeps_sender_date_and_joins_wrapped_lines(tmp_path):
    path = tmp_path / "budget.eml"
    make_eml(path)
    doc = load_document(path, "courriels/budget.eml")
    assert_plain(doc)
    assert doc.title == "Budget des archives" and doc.title_source == "metadata"
    assert doc.text.startswith(
        "Objet : RE: Budget des archives\nDe : Ahmed Alaoui <ahmed.alaoui@exemple.ma>\n"
        "À : Marie Dupont <marie.dupont@exemple.ma>\nDate : 2024-03-12 10:30+01:00\n\n")
    assert ("Suite à la réunion du comité de pilotage, le budget du projet de numérisation "
            "des archives est validé pour un montant de 2 millions de dirhams.") in doc.text
    assert ("Les prochaines étapes :\n1. lancer l'appel d'offres\n2. recruter deux "
            "archivistes\n\nCordialement,\nAhmed") in doc.text  # lines that end no sentence
    assert doc.text.endswith("\n\nPièces jointes (non indexées) : budget-2024.pdf")
    assert passages(doc)


def test_an_html_only_message_reads_without_markup(tmp_path):
    path = tmp_path / "html.eml"
    make_eml(path, attachment=False, html_only=True)
    doc = load_document(path, "html.eml")
    assert_plain(doc)
    assert "color" not in doc.text and "<p>" not in doc.text and "<b>" not in doc.text
    assert "Bonjour Marie,\n\nLe budget est validé." in doc.text
    assert "Poste : Archives ; Montant : 2 millions ; Année : 2024" in doc.text
    assert "appel d'offres\nrecrutement" in doc.text
    assert "Pièces jointes" not in doc.text


def test_encrypted_and_non_mail_files_are_refused(tmp_path):
    encrypted = EmailMessage()
    encrypted["Subject"] = "Confidentiel"
    encrypted["From"] = "a@exemple.ma"
    encrypted.set_content(b"\x30\x82 chiffre", maintype="application", subtype="pkcs7-mime")
    path = tmp_path / "secret.eml"
    path.write_bytes(bytes(encrypted))
    with pytest.raises(DocumentError, match="secret.eml: the message is encrypted"):
        load_document(path, "secret.eml")
    path = tmp_path / "notes.eml"
    path.write_text("Juste des notes, sans en-têtes.\n\nRien d'autre.", encoding="utf-8")
    with pytest.raises(DocumentError, match="notes.eml: not an e-mail message"):
        load_document(path, "notes.eml")


def test_format_flowed_lines_are_joined(tmp_path):
    message = EmailMessage()
    message["Subject"] = "Horaires"
    message["From"] = "accueil@exemple.ma"
    message.set_content("L'accueil ouvre à 8 h 30 et ferme à \n16 h 30, du lundi au \n"
                        "vendredi.\n-- \nAccueil\n", cte="8bit")
    message.set_param("format", "flowed")
    path = tmp_path / "horaires.eml"
    path.write_bytes(bytes(message))
    doc = load_document(path, "horaires.eml")
    assert "L'accueil ouvre à 8 h 30 et ferme à 16 h 30, du lundi au vendredi.\n--\nAccueil" \
        in doc.text


def test_an_xhtml_body_with_an_xml_declaration_is_read(tmp_path):
    """lxml refuses a str that declares its encoding; the body was dropped without a word."""
    path = tmp_path / "ticket.eml"
    path.write_bytes(
        b"From: support@exemple.ma\nSubject: Ticket 4521\nContent-Type: text/html; "
        b"charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        b'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        b"<body><p>Votre acc\xc3\xa8s VPN a \xc3\xa9t\xc3\xa9 r\xc3\xa9activ\xc3\xa9.</p>"
        b"</body></html>\n")
    doc = load_document(path, "ticket.eml")
    assert doc.text.endswith("\n\nVotre accès VPN a été réactivé.")


def test_every_body_part_and_a_forwarded_message_are_read(tmp_path):
    """Apple Mail splits the body around an inline image; a forwarded message is inline."""
    path = tmp_path / "plan.eml"
    path.write_bytes(
        b'From: marie@exemple.ma\nSubject: Plan\nMIME-Version: 1.0\nContent-Type: '
        b'multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain; charset=utf-8\n\n'
        b"Voici le plan du parking :\n--B\nContent-Type: image/png\nContent-Disposition: "
        b'inline; filename="plan.png"\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n'
        b"--B\nContent-Type: text/plain; charset=utf-8\n\nLe badge est au b\xc3\xa2timent C.\n"
        b"--B\nContent-Type: message/rfc822\n\nFrom: ali@exemple.ma\nSubject: Compte rendu\n"
        b"Content-Type: text/plain; charset=utf-8\n\nR\xc3\xa9union le 4 d\xc3\xa9cembre.\n"
        b"--B\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
        b"From: ali@exemple.ma\nSubject: Ancien message\n\nNon lu.\n--B--\n")
    doc = load_document(path, "plan.eml")
    assert doc.text == (
        "Objet : Plan\nDe : marie@exemple.ma\n\nVoici le plan du parking :\n\n"
        "Le badge est au bâtiment C.\n\nObjet : Compte rendu\nDe : ali@exemple.ma\n\n"
        "Réunion le 4 décembre.\n\nPièces jointes (non indexées) : Ancien message")


@pytest.mark.parametrize("charset", [b"", b"; charset=us-ascii", b"; charset=x-inconnu"])
def test_an_8bit_latin_body_without_its_charset_is_not_replacement_characters(tmp_path,
                                                                              charset):
    path = tmp_path / "note.eml"
    path.write_bytes(b"From: a@exemple.ma\nSubject: Note\nContent-Type: text/plain" + charset
                     + b"\nContent-Transfer-Encoding: 8bit\n\n"
                     b"R\xe9union du comit\xe9 \xe0 9h, d\xe9j\xe0 pr\xe9vue.\n")
    doc = load_document(path, "note.eml")
    assert doc.text.endswith("\n\nRéunion du comité à 9h, déjà prévue.")


INVITATION = (
    "BEGIN:VCALENDAR\r\nMETHOD:{method}\r\nPRODID:Microsoft Exchange Server 2010\r\n"
    "VERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Romance Standard Time\r\nBEGIN:STANDARD\r\n"
    "DTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\nORGANIZER;CN=\"Martin, Alice\":mailto:alice.martin@exemple.fr\r\n"
    "ATTENDEE;ROLE=REQ-PARTICIPANT;CN=Bob:mailto:bob@exemple.fr\r\n"
    "DESCRIPTION;LANGUAGE=fr-FR:Ordre du jour :\\n- budget 2027\\, arbitrages\\n- recrut\r\n"
    " ements\\n\\nMerci de confirmer.\\n\r\n"
    "SUMMARY;LANGUAGE=fr-FR:Comité de direction\r\n"
    "DTSTART;TZID=Romance Standard Time:20261105T140000\r\n"
    "DTEND;TZID=Romance Standard Time:20261105T153000\r\n"
    "UID:040000008200E00074C5B7101A82E0080000000\r\n"
    "LOCATION;LANGUAGE=fr-FR:Salle B\\, 3e étage\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def test_a_calendar_only_invitation_reads_as_the_meeting(tmp_path):
    """Outlook's meeting request, the event its only part: an empty body on main."""
    path = tmp_path / "invitation.eml"
    path.write_bytes(
        b"From: Alice Martin <alice.martin@exemple.fr>\r\nSubject: Invitation : Comit\xc3\xa9"
        b"\r\nDate: Mon, 2 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/calendar; charset=utf-8; method=REQUEST\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        + INVITATION.format(method="REQUEST").encode("utf-8"))
    doc = load_document(path, "invitation.eml")
    assert "\r" not in doc.text and "\\" not in doc.text
    assert doc.text.split("\n\n")[1:] == [
        "Événement : Comité de direction\n"
        "Quand : 2026-11-05 14:00 – 15:30 (Romance Standard Time)\n"
        "Lieu : Salle B, 3e étage\n"
        "Organisateur : Martin, Alice <alice.martin@exemple.fr>\n"
        "Participants : Bob",
        "Ordre du jour :\n- budget 2027, arbitrages\n- recrutements",
        "Merci de confirmer."]


def test_an_invitation_beside_its_text_adds_when_and_where(tmp_path):
    message = EmailMessage()
    message["Subject"] = "Annulé : Comité de direction"
    message["From"] = "alice.martin@exemple.fr"
    message.set_content("La réunion est annulée.")
    message.add_alternative(INVITATION.format(method="CANCEL"), subtype="calendar",
                            params={"method": "CANCEL"})
    path = tmp_path / "annulation.eml"
    path.write_bytes(bytes(message))
    doc = load_document(path, "annulation.eml")
    assert doc.text.split("\n\n")[1:] == [
        "Événement annulé : Comité de direction\n"
        "Quand : 2026-11-05 14:00 – 15:30 (Romance Standard Time)\n"
        "Lieu : Salle B, 3e étage\n"
        "Organisateur : Martin, Alice <alice.martin@exemple.fr>\n"
        "Participants : Bob",
        "La réunion est annulée."]


@pytest.mark.parametrize("event, when", [
    ("DTSTART;VALUE=DATE:20261105\r\nDTEND;VALUE=DATE:20261107", "2026-11-05 – 2026-11-06"),
    ("DTSTART;VALUE=DATE:20261105", "2026-11-05"),
    ("DTSTART:20261105T130000Z\r\nDURATION:PT1H", "2026-11-05 13:00 – 14:00 (UTC)"),
    ("DTSTART:20261105T230000\r\nDTEND:20261106T010000", "2026-11-05 23:00 – 2026-11-06 01:00"),
])
def test_all_day_utc_and_floating_events(tmp_path, event, when):
    path = tmp_path / "evenement.eml"
    path.write_text("From: a@exemple.fr\nSubject: Formation\nContent-Type: text/calendar\n\n"
                    "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:Formation\n" + event
                    + "\nEND:VEVENT\nEND:VCALENDAR\n", encoding="utf-8")
    doc = load_document(path, "evenement.eml")
    assert doc.text.endswith(f"\n\nÉvénement : Formation\nQuand : {when}")


def test_an_unreadable_calendar_gives_an_empty_body_not_an_error(tmp_path):
    path = tmp_path / "casse.eml"
    path.write_text("From: a@exemple.fr\nSubject: Invitation\nContent-Type: text/calendar\n\n"
                    "ceci n'est pas un calendrier\n", encoding="utf-8")
    assert load_document(path, "casse.eml").text == "Objet : Invitation\nDe : a@exemple.fr"


def _calendar(*events: list[str]) -> str:
    return "".join(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
        + "\r\n".join(event) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" for event in events)


def test_a_property_given_twice_reads_as_text_not_as_a_list():
    blocks = event_blocks(_calendar([
        "SUMMARY:Comité", "SUMMARY:Comité bis", "DTSTART:20261105T100000Z",
        "DTSTART:20261106T100000Z", "LOCATION:Salle A", "LOCATION:Salle B",
        "ORGANIZER;CN=Alice:mailto:alice@x.fr", "ORGANIZER:mailto:bob@x.fr",
        "DESCRIPTION:Ordre du jour", "DESCRIPTION:Budget"]))
    assert blocks == [["Événement : Comité", "Quand : 2026-11-05 10:00 (UTC)",
                       "Lieu : Salle A, Salle B", "Organisateur : Alice <alice@x.fr>"],
                      ["Ordre du jour"], ["Budget"]]


@pytest.mark.parametrize("dates, when", [
    # past year 9999: the end cannot be computed, the start is still read
    (["DTSTART:99991231T230000Z", "DURATION:P2D"], "Quand : 9999-12-31 23:00 (UTC)"),
    (["DTSTART;VALUE=DATE:99991231", "DURATION:P2D"], "Quand : 9999-12-31"),
    # a floating start beside a UTC end: the end cannot be compared, left out
    (["DTSTART:20261105T100000", "DTEND:20261105T110000Z"], "Quand : 2026-11-05 10:00"),
    (["DTSTART;VALUE=PERIOD:20261105T100000Z/20261105T110000Z"],
     "Quand : 2026-11-05 10:00 – 11:00 (UTC)"),
    (["DTSTART:2026-11-05"], None),  # unreadable: the other lines stay
])
def test_a_malformed_date_leaves_the_rest_of_the_event(dates, when):
    blocks = event_blocks(_calendar(["SUMMARY:Comité", *dates, "LOCATION:Salle A"]))
    assert blocks == [["Événement : Comité", *([when] if when else []), "Lieu : Salle A"]]


def test_a_malformed_calendar_leaves_the_mail_body(tmp_path):
    path = tmp_path / "invitation.eml"
    path.write_text(
        "From: a@exemple.fr\nSubject: Invitation\nMIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=XX\n\n--XX\n"
        "Content-Type: text/plain; charset=utf-8\n\nLe comité se réunit jeudi.\n--XX\n"
        "Content-Type: text/calendar; charset=utf-8; method=REQUEST\n\n"
        + _calendar(["SUMMARY:Comité", "DTSTART:99991231T230000Z", "DURATION:P2D"])
        + "\n--XX--\n", encoding="utf-8")
    text = load_document(path, "invitation.eml").text
    assert "Le comité se réunit jeudi." in text
    assert "9999-12-31 23:00" in text


def test_two_calendars_in_one_part_are_both_read():
    assert event_blocks(_calendar(["SUMMARY:A"], ["SUMMARY:B"])) == [
        ["Événement : A"], ["Événement : B"]]


@pytest.mark.parametrize("rule, words", [
    # UNTIL is read in the event's time zone: 22:00 UTC is the next day in Paris
    ("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270629T220000Z",
     "chaque semaine le mardi, jusqu'au 30 juin 2027"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10",
     "toutes les 2 semaines le lundi et le jeudi, 10 fois"),
    ("FREQ=MONTHLY;BYDAY=-1FR", "chaque mois le dernier vendredi"),
    ("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2", "chaque mois le 2e mardi"),
    ("FREQ=MONTHLY;BYMONTHDAY=1", "chaque mois le 1er"),
    ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15", "chaque année le 15 mars"),
    ("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1", "chaque année le 1er janvier"),
    ("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "chaque année le dernier dimanche de mars"),
    ("FREQ=YEARLY;BYMONTH=4;BYDAY=1MO", "chaque année le premier lundi d'avril"),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "chaque mois le dernier jour ouvré"),
    ("FREQ=MONTHLY;BYDAY=SA,SU;BYSETPOS=1",
     "chaque mois le premier jour parmi samedi et dimanche"),
    ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "tous les jours du lundi au vendredi"),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "chaque semaine le lundi, le mercredi et le vendredi"),
    ("FREQ=WEEKLY;COUNT=-3", "chaque semaine"),
    ("FREQ=WEEKLY;COUNT=0;INTERVAL=-2", "chaque semaine"),
    ("FREQ=DAILY;INTERVAL=3;UNTIL=20261130", "tous les 3 jours, jusqu'au 30 novembre 2026"),
    ("FREQ=SECONDLY", None),  # nothing a reader would want said
    # "until the end of time", past what Paris time can hold: the day as written
    ("FREQ=WEEKLY;UNTIL=99991231T235959Z", "chaque semaine, jusqu'au 31 décembre 9999"),
])
def test_a_repeated_meeting_says_how_it_repeats(rule, words):
    blocks = event_blocks(_calendar([
        "SUMMARY:Point d'équipe", "DTSTART;TZID=Europe/Paris:20261103T100000",
        f"RRULE:{rule}"]))
    assert blocks[0][2:] == ([f"Répétition : {words}"] if words else [])


# Outlook's own time zone definition, which its TZID names
ROMANCE = INVITATION[INVITATION.index("BEGIN:VTIMEZONE"):INVITATION.index("BEGIN:VEVENT")]


def _repeat_line(tmp_path, lines: list[str]) -> str:
    """The "Répétition" line of a meeting request sent as a calendar-only message."""
    calendar = _calendar(["SUMMARY:Point d'équipe", *lines]).replace(
        "BEGIN:VEVENT", ROMANCE + "BEGIN:VEVENT")
    path = tmp_path / "invitation.eml"
    path.write_bytes(b"From: a@exemple.fr\r\nSubject: Point\r\nMIME-Version: 1.0\r\n"
                     b"Content-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n"
                     + calendar.encode("utf-8"))
    said = [line for line in load_document(path, "invitation.eml").text.split("\n")
            if line.startswith("Répétition : ")]
    return said[0].removeprefix("Répétition : ") if said else ""


PARIS = "DTSTART;TZID=Europe/Paris:20261103T100000"


@pytest.mark.parametrize("lines, words", [
    # the exception at the meeting's hour is the day it does not take place
    ([PARIS, "RRULE:FREQ=WEEKLY;BYDAY=TU", "EXDATE;TZID=Europe/Paris:20261229T100000"],
     "chaque semaine le mardi, sauf le 29 décembre 2026"),
    # several: the days of one month together, in order, once each, over several lines;
    # a UTC date-time read in the event's time zone, a date as a day
    ([PARIS, "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270629T220000Z",
      "EXDATE:20270105T090000Z,20261222T090000Z", "EXDATE;VALUE=DATE:20261229",
      "EXDATE;TZID=Europe/Paris:20261222T100000"],
     "chaque semaine le mardi, jusqu'au 30 juin 2027, sauf les 22 et 29 décembre 2026 et "
     "le 5 janvier 2027"),
    # 23:00 UTC is the next day in Paris
    (["DTSTART;TZID=Europe/Paris:20261102T000000", "RRULE:FREQ=DAILY",
      "EXDATE:20261231T230000Z"], "tous les jours, sauf le 1er janvier 2027"),
    # a long list: the soonest said, then how many more
    ([PARIS, "RRULE:FREQ=DAILY", "EXDATE;VALUE=DATE:" + ",".join(
        f"202612{day:02}" for day in range(1, 14))],
     "tous les jours, sauf les 1er, 2, 3, 4, 5, 6, 7, 8, 9 et 10 décembre 2026 et "
     "3 autres dates"),
    ([PARIS, "RRULE:FREQ=DAILY", "EXDATE;VALUE=DATE:" + ",".join(
        f"202612{day:02}" for day in range(1, 12))],
     "tous les jours, sauf les 1er, 2, 3, 4, 5, 6, 7, 8, 9 et 10 décembre 2026 et "
     "1 autre date"),
    # extra dates: a time said where it is not the meeting's own, a period's end too
    ([PARIS, "RRULE:FREQ=MONTHLY;BYDAY=1TU", "EXDATE;TZID=Europe/Paris:20270105T100000",
      "RDATE;TZID=Europe/Paris:20270107T100000,20270108T150000",
      "RDATE;VALUE=PERIOD:20270201T130000Z/PT90M"],
     "chaque mois le premier mardi, sauf le 5 janvier 2027, et aussi le 7 janvier 2027, "
     "le 8 janvier 2027 à 15:00 et le 1er février 2027 de 14:00 à 15:30"),
    # an all-day meeting's dates are days
    (["DTSTART;VALUE=DATE:20261103", "RRULE:FREQ=YEARLY", "EXDATE;VALUE=DATE:20281103"],
     "chaque année, sauf le 3 novembre 2028"),
    # extra dates without a rule; an exception alone only removes the first start: unsaid
    ([PARIS, "RDATE;TZID=Europe/Paris:20261110T100000"], "aussi le 10 novembre 2026"),
    ([PARIS, "EXDATE;TZID=Europe/Paris:20261103T100000"], ""),
    # Outlook's own time zone, from the calendar's VTIMEZONE
    (["DTSTART;TZID=Romance Standard Time:20261105T140000", "RRULE:FREQ=WEEKLY;BYDAY=TH",
      "EXDATE;TZID=Romance Standard Time:20261224T140000,20261231T140000"],
     "chaque semaine le jeudi, sauf les 24 et 31 décembre 2026"),
    # a malformed line is left out, not the rule nor the other lines
    ([PARIS, "RRULE:FREQ=WEEKLY;BYDAY=TU", "EXDATE:2026-12-22",
      "EXDATE;TZID=Europe/Paris:20261229T100000", "RDATE:demain"],
     "chaque semaine le mardi, sauf le 29 décembre 2026"),
])
def test_a_repeated_meeting_says_its_exceptions_and_extra_dates(tmp_path, lines, words):
    assert _repeat_line(tmp_path, lines) == words


def test_who_is_invited_is_named_and_a_long_list_capped():
    attendees = [
        'ATTENDEE;CN="Dupont, Marie";ROLE=REQ-PARTICIPANT:mailto:marie@x.fr',
        "ATTENDEE;ROLE=CHAIR:mailto:paul@x.fr",
        "ATTENDEE;CN=Salle B;CUTYPE=ROOM:mailto:salle-b@x.fr",
        "ATTENDEE;CN=Jean;ROLE=OPT-PARTICIPANT:mailto:jean@x.fr",
        *(f"ATTENDEE;CN=Agent {n}:mailto:agent{n}@x.fr" for n in range(25)),
        "ATTENDEE:;;;"]
    blocks = event_blocks(_calendar(["SUMMARY:AG", *attendees]))
    everyone = " ; ".join(["Dupont, Marie", "paul@x.fr", *(f"Agent {n}" for n in range(18))])
    assert blocks == [["Événement : AG", f"Participants : {everyone} et 7 autres",
                       "Participants facultatifs : Jean"]]


def _with_ics(inline: bool) -> bytes:
    message = EmailMessage()
    message["Subject"] = "Comité de direction"
    message["From"] = "alice.martin@exemple.fr"
    message.set_content("Vous trouverez l'invitation jointe.")
    if inline:
        message.add_alternative(INVITATION.format(method="REQUEST"), subtype="calendar",
                                params={"method": "REQUEST"})
    message.add_attachment(INVITATION.format(method="REQUEST").encode("utf-8"),
                           maintype="application", subtype="ics", filename="invite.ics")
    message.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf",
                           filename="budget.pdf")
    return bytes(message)


@pytest.mark.parametrize("inline", [False, True])
def test_an_attached_ics_file_reads_as_the_meeting(tmp_path, inline):
    path = tmp_path / "invitation.eml"
    path.write_bytes(_with_ics(inline))
    blocks = load_document(path, "invitation.eml").text.split("\n\n")[1:]
    meeting = ("Événement : Comité de direction\n"
               "Quand : 2026-11-05 14:00 – 15:30 (Romance Standard Time)\n"
               "Lieu : Salle B, 3e étage\n"
               "Organisateur : Martin, Alice <alice.martin@exemple.fr>\n"
               "Participants : Bob")
    body = "Vous trouverez l'invitation jointe."
    details = ["Ordre du jour :\n- budget 2027, arbitrages\n- recrutements",
               "Merci de confirmer."]
    # read once, where it is (inline above the text, attached below it, with the
    # description the inline one leaves to the text); only the attachments left unread
    # are named
    assert blocks == ([meeting, body] if inline else [body, meeting]) + details + [
        "Pièces jointes (non indexées) : budget.pdf"]


def test_an_attached_agenda_export_is_named_and_an_invitation_read_once(tmp_path,
                                                                        monkeypatch):
    from ragqa.index.documents import invitations

    events = "".join(f"BEGIN:VEVENT\r\nUID:{n}\r\nSUMMARY:Réunion {n}\r\n"
                     "DTSTART:20261103T140000Z\r\nEND:VEVENT\r\n" for n in range(50))
    export = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\n{events}END:VCALENDAR\r\n"
    message = EmailMessage()
    message["Subject"] = "Mon agenda"
    message["From"] = "alice@exemple.fr"
    message.set_content("Voici l'export de mon agenda.")
    message.add_attachment(export.encode(), maintype="text", subtype="calendar",
                           filename="agenda.ics")
    path = tmp_path / "agenda.eml"
    path.write_bytes(bytes(message))
    text = load_document(path, "agenda.eml").text
    assert "Réunion" not in text
    assert text.endswith("Pièces jointes (non indexées) : agenda.ics")

    parsed = []
    event_blocks = invitations.event_blocks
    monkeypatch.setattr(invitations, "event_blocks",
                        lambda *args, **kw: parsed.append(1) or event_blocks(*args, **kw))
    path.write_bytes(_with_ics(inline=False))
    assert "Événement : Comité de direction" in load_document(path, "invitation.eml").text
    assert len(parsed) == 1
