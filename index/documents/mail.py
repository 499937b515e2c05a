"""E-mail messages (``.eml``), read with the standard library's ``email`` package.

The title is the subject (reply and forward prefixes such as "RE :" removed), else the
file's name. The text opens with the headers a mail client shows, one per line:
"Objet : ...", "De : ...", "À : ...", "Cc : ...", "Date : ..." (sender and date are
facts a question may ask about), then the body: the plain-text part when there is one
(hard-wrapped lines joined, ``format=flowed`` honoured), else the HTML part's text, laid
out as any structured document (tables as ``header : value`` lines, no markup). Every
part the reader sees follows in order: a body split around an inline image (Apple Mail),
a message forwarded inline, after its own header lines. A part's charset is the declared
one when its bytes decode with it, else UTF-8, else the legacy encoding they read best in.
A meeting invitation (``text/calendar``) reads as the meeting: what, when, where, who
organises it, then its description (:mod:`ragqa.index.documents.invitations`); beside a
text part, only its what/when/where/who lines, above the text. An invitation attached as a
file (``invite.ics``, ``text/calendar`` or ``application/ics``) is read the same way where
it is attached, its blocks that the message already shows (the same meeting sent inline
too) left out, and it is not named among the attachments; a calendar attached whole (an
agenda's export: neither a request, a cancellation or a reply nor a few events) is only
named, as other attachments are.

Attachments are *not* indexed: a document is one file with one text, and the indexer has
no notion of a document inside another (an invitation is the exception: it is what a mail
client shows of the message). They are named on the last line instead,
"Pièces jointes (non indexées) : rapport.pdf, budget.xlsx", so that a reader of a quote
knows the message had them; save an attachment into the corpus to index it. An encrypted
message (S/MIME, PGP) is refused: its body cannot be read.
"""

from __future__ import annotations

import re
from email import policy
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path, PurePosixPath

from ragqa.index.documents.formats import read_bytes
from ragqa.index.documents.invitations import event_blocks, invitation_blocks
from ragqa.index.documents.layout import (
    TextBuilder,
    clean_lines,
    one_line,
    table_lines,
    unwrap,
)
from ragqa.index.documents.outline import OutlinedDocument
from ragqa.index.documents.reading import decode_text
from ragqa.index.documents.titles import metadata_title
from ragqa.index.errors import DocumentError

EMAIL_SUFFIXES = frozenset({".eml"})
ATTACHMENTS_LINE = "Pièces jointes (non indexées) : "
MAX_NESTING = 20  # MIME parts and forwarded messages inside one another, read no deeper
HEADER_LABELS = (("subject", "Objet"), ("from", "De"), ("to", "À"), ("cc", "Cc"),
                 ("date", "Date"))
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|tr|fw|fwd|aw|wg|réf|ref)\s*(?:\[\d+\])?\s*:\s*)+",
                           re.IGNORECASE)
_ENCRYPTED = frozenset({"multipart/encrypted", "application/pkcs7-mime",
                        "application/x-pkcs7-mime"})
_SIGNATURES = frozenset({"application/pkcs7-signature", "application/x-pkcs7-signature",
                         "application/pgp-signature"})
# HTML elements that end a paragraph, and those that end a line.
_HTML_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul",
                              "ol", "dl", "pre", "hr", "table", "section", "article"})
_HTML_LINES = frozenset({"div", "li", "tr", "dt", "dd", "td", "th"})
_HTML_DROPPED = ("script", "style", "head", "title", "template", "noscript")
_PARAGRAPH = "\x1e"  # marks a paragraph's end while the text is assembled
_BREAK = "\x1f"  # a <br>; two in a row end a paragraph
_BREAKS = re.compile(r"\x1f[^\S\n]*\x1f[\s\x1f]*")
_CALENDARS = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})


def load_email_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read an ``.eml`` message into an :class:`OutlinedDocument` (no sections: a message
    is one section)."""
    data = read_bytes(path, doc_id)
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{doc_id}: looks like a binary file (NUL bytes), not an e-mail")
    message = BytesParser(policy=policy.default).parsebytes(data)
    if not any(message.get(name) for name in ("from", "subject", "date", "message-id")):
        raise DocumentError(f"{doc_id}: not an e-mail message (no From, Subject or Date "
                            "header)")
    if message.get_content_type() in _ENCRYPTED:
        raise DocumentError(f"{doc_id}: the message is encrypted (S/MIME or PGP); its text "
                            "cannot be read")
    builder = TextBuilder()
    builder.block(_header_lines(message))
    read: list[EmailMessage] = []  # the attached invitations read as the meeting
    for block in _body_blocks(message, doc_id, read=read):
        builder.block(block)
    attachments = _attachment_names(message, read)
    if attachments:
        builder.block([ATTACHMENTS_LINE + ", ".join(attachments)])
    subject = metadata_title(_REPLY_PREFIX.sub("", str(message.get("subject") or "")))
    return builder.document(doc_id, data, subject or PurePosixPath(doc_id).stem)


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (MessageError, ValueError, IndexError, TypeError, AttributeError):
        # A header the policy cannot parse: its raw text.
        value = next((v for k, v in message.raw_items() if k.lower() == name), None)
    if value is None:
        return ""
    if name == "date":
        when = getattr(value, "datetime", None)
        if when is not None:
            return when.isoformat(sep=" ", timespec="minutes")
    return one_line(str(value))


def _header_lines(message: EmailMessage) -> list[str]:
    lines = []
    for name, label in HEADER_LABELS:
        value = _header(message, name)
        if value:
            lines.append(f"{label} : {value}")
    return lines


def _body_blocks(part: EmailMessage, doc_id: str, depth: int = 0,
                 read: list[EmailMessage] | None = None) -> list[list[str]]:
    """The blocks of every part a mail client shows in the body, in order.

    Not only the first: Apple Mail splits a body in two text parts around an inline
    image, and a message forwarded inline (``message/rfc822``) is text the reader sees,
    read here with its headers laid out as the message's own. Of alternatives (plain and
    HTML) and of a related set (HTML and its images), the best part only, as
    :meth:`EmailMessage.get_body` chooses it; an attachment is only named, but an attached
    invitation, which is read (and added to ``read``)."""
    content_type = part.get_content_type()
    if depth > MAX_NESTING:
        return []
    if depth and part.is_attachment():  # only an invitation is read
        meeting = _attached_meeting(part, doc_id) if _is_calendar(part) else []
        if meeting and read is not None:
            read.append(part)
        return meeting
    if content_type == "message/rfc822":
        inner = _forwarded(part)
        if inner is None:
            return []
        return [_header_lines(inner), *_body_blocks(inner, doc_id, depth + 1, read)]
    if content_type in ("multipart/alternative", "multipart/related"):
        best = part.get_body(preferencelist=("plain", "html"))
        invitation = next((sub for sub in part.iter_parts()
                           if sub.get_content_type() == "text/calendar"), None)
        # A meeting invitation's when and where, above the text that describes it.
        meeting = event_blocks(_content(invitation, doc_id), details=best is None) \
            if invitation is not None else []
        return meeting + (_body_blocks(best, doc_id, depth + 1, read) if best is not None
                          else [])
    if content_type == "text/calendar":
        return event_blocks(_content(part, doc_id))
    if part.is_multipart():
        blocks: list[list[str]] = []
        for sub in part.iter_parts():
            found = _body_blocks(sub, doc_id, depth + 1, read)
            if sub.is_attachment():  # an attached invitation: what is not shown already
                found = [block for block in found if block not in blocks]
            blocks.extend(found)
        return blocks
    if content_type == "text/html":
        return _blocks(html_lines(_content(part, doc_id)))
    if content_type != "text/plain":
        return []
    content = _content(part, doc_id)
    if str(part.get_param("format", "")).lower() == "flowed":
        delsp = str(part.get_param("delsp", "")).lower() == "yes"
        content = "\n".join(_unflow(content.replace("\r\n", "\n").split("\n"), delsp))
    return [unwrap(block) for block in _blocks(clean_lines(content))]


def _content(part: EmailMessage, doc_id: str) -> str:
    """A text part's text from its bytes: the declared charset when the bytes decode with
    it, else UTF-8, else the legacy encoding they read best in. The ``email`` package
    decodes with the declared charset (US-ASCII when none is declared) and puts U+FFFD in
    place of every accented letter of an 8-bit Latin-1 body that declares nothing."""
    payload = part.get_payload(decode=True) or b""
    if not payload.strip():
        return ""
    for charset in (part.get_content_charset(), "utf-8"):
        if charset:
            try:
                return payload.decode(charset)
            except (LookupError, UnicodeError):  # an unknown charset, or not this one
                continue
    try:
        return decode_text(payload, doc_id)
    except DocumentError:  # not clean text in any encoding: read what can be read
        return payload.decode("cp1252", errors="replace")


def _unflow(lines: list[str], delsp: bool) -> list[str]:
    """RFC 3676: a line ending with a space goes on on the next line (the signature
    separator "-- " excepted)."""
    out: list[str] = []
    joining = False
    for line in lines:
        line = line.removeprefix(" ")  # space-stuffing
        if joining:
            out[-1] += line
        else:
            out.append(line)
        joining = line.endswith(" ") and line != "-- "
        if joining and delsp:
            out[-1] = out[-1][:-1]
    return [line.rstrip() for line in out]


def _blocks(lines: list[str]) -> list[list[str]]:
    """``lines`` cut at blank lines."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _is_calendar(part: EmailMessage) -> bool:
    """Whether an attachment is an invitation: a calendar by its type or its name."""
    name = (part.get_filename() or "").lower()
    return part.get_content_type() in _CALENDARS or name.endswith((".ics", ".vcs"))


def _attached_meeting(part: EmailMessage, doc_id: str) -> list[list[str]]:
    """The blocks of an attached invitation (none if it does not read as one, or is a
    calendar rather than an invitation: :func:`~ragqa.index.documents.invitations.
    invitation_blocks`)."""
    if part.is_multipart():
        return []
    return invitation_blocks(_content(part, doc_id))


def _attachment_names(message: EmailMessage, read: list[EmailMessage]) -> list[str]:
    """The attachments' names, but those of the invitations ``read`` as the meeting."""
    names = []
    for part in message.walk():
        if any(part is meeting for meeting in read):
            continue
        if part.is_attachment() and part.get_content_type() not in _SIGNATURES:
            name = part.get_filename() or _forwarded_subject(part) or f"({part.get_content_type()})"
            names.append(one_line(name))
    return names


def _forwarded(part: EmailMessage) -> EmailMessage | None:
    """The message a ``message/rfc822`` part holds (a forwarded one), if it parsed."""
    if part.get_content_type() != "message/rfc822":
        return None
    inner = part.get_payload()
    inner = inner[0] if isinstance(inner, list) and inner else inner
    return inner if isinstance(inner, EmailMessage) else None


def _forwarded_subject(part: EmailMessage) -> str:
    """The subject of a message attached as a file (Outlook's "forward as attachment")."""
    inner = _forwarded(part)
    return _header(inner, "subject") if inner is not None else ""


def html_lines(markup: str) -> list[str]:
    """The text of an HTML message as lines, blank lines between paragraphs: no markup, no
    bullets, data tables as ``header : value`` lines (layout tables read as blocks)."""
    from lxml import etree
    from lxml import html as lxml_html

    if not markup.strip():
        return []
    try:
        try:
            root = lxml_html.document_fromstring(markup)
        except ValueError:
            # lxml refuses a str that declares its encoding (XHTML's "<?xml ... encoding=
            # ...?>"): the text is decoded already, so it is given as UTF-8 bytes, said so.
            parser = lxml_html.HTMLParser(encoding="utf-8")
            root = lxml_html.document_fromstring(markup.encode("utf-8", "surrogatepass"),
                                                 parser=parser)
    except (etree.ParserError, ValueError, UnicodeError):
        return []
    for dropped in root.xpath("|".join(f"//{tag}" for tag in _HTML_DROPPED)):
        dropped.drop_tree()
    out: list[str] = []
    _html_walk(root, out)
    text = _BREAKS.sub(_PARAGRAPH, "".join(out)).replace(_BREAK, "\n")
    lines: list[str] = []
    for paragraph in text.split(_PARAGRAPH):
        kept = [line.strip() for line in clean_lines(paragraph) if line.strip()]
        if kept:
            lines.extend([*kept, ""])
    return lines[:-1]


def _html_walk(element, out: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "br":
        out.append(_BREAK)
    elif tag == "table" and _is_data_table(element):
        rows = [[" ".join(cell.text_content().split()) for cell in row.xpath("./td|./th")]
                for row in element.iter("tr")]
        header = bool(element.xpath(".//th")) or None
        out.append(_PARAGRAPH + "\n".join(table_lines(rows, header)) + _PARAGRAPH)
    else:
        edge = _PARAGRAPH if tag in _HTML_PARAGRAPHS else "\n" if tag in _HTML_LINES else ""
        out.append(edge)
        if isinstance(element.tag, str):
            out.append(_html_spaces(element.text, tag))
            for child in element:
                _html_walk(child, out)
        out.append(edge)
    out.append(_html_spaces(element.tail, ""))


def _html_spaces(text: str | None, tag: str) -> str:
    if not text:
        return ""
    return text if tag == "pre" else re.sub(r"\s+", " ", text)


def _is_data_table(table) -> bool:
    """A table of data (two columns or more, no table inside), not one of layout."""
    if table.xpath(".//table"):
        return False
    return any(len(row.xpath("./td|./th")) >= 2 for row in table.iter("tr"))
