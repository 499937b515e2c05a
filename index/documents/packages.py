"""Opening an office file's zip package safely, before any library parses it.

``.docx``, ``.xlsx``, ``.pptx`` (Office Open XML) and ``.odt``, ``.ods``, ``.odp``
(OpenDocument) are zip files of XML parts. What is refused, from the zip directory alone
(nothing is inflated):

* a zip bomb: more than :data:`MAX_UNCOMPRESSED_BYTES` in all, an XML part over
  :data:`MAX_XML_PART_BYTES` (the libraries hold a parsed part in memory), a member
  inflating more than :data:`MAX_COMPRESSION_RATIO` times (members of at least
  :data:`RATIO_MIN_BYTES`: tiny parts compress well by nature), or more than
  :data:`MAX_MEMBERS` members. Python's ``zipfile`` never inflates a member past the size
  its directory declares, and every library used here reads through it, so the declared
  sizes bound what is read;
* a password-protected file: Office saves an encrypted ``.docx`` as an OLE compound file
  (magic ``D0 CF 11 E0``), not a zip; OpenDocument encrypts members and says so in
  ``META-INF/manifest.xml``; a zip may also encrypt members itself;
* a macro-enabled Office file saved under a plain name (a ``.docm`` renamed ``.docx``).
  Macros in an accepted file are never run: only text is read.
"""

from __future__ import annotations

import io
import re
import zipfile

from ragqa.index.errors import DocumentError

MAX_UNCOMPRESSED_BYTES = 200 * 2**20
MAX_XML_PART_BYTES = 64 * 2**20
MAX_COMPRESSION_RATIO = 100
RATIO_MIN_BYTES = 2**20
MAX_MEMBERS = 10_000

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file (old .doc, encrypted .docx)
_CFB_ENCRYPTION = "EncryptionInfo".encode("utf-16-le")  # the stream an encrypted OOXML holds
_MACRO_MAIN_PART = re.compile(rb"macroEnabled(?:Template)?\.main\+xml")
_ODF_ENCRYPTED = b"encryption-data"  # manifest:encryption-data of an encrypted member
_XML_PART = re.compile(r"\.(?:xml|rels)$", re.IGNORECASE)


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f} MB"


# A page of markup (an HTML table a web application exports "to Excel"), after a BOM and
# blanks: "<html", "<!DOCTYPE", "<table", "<?xml"...
_MARKUP = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<(?:[!?]|[a-zA-Z])")


def open_package(data: bytes, doc_id: str, kind: str) -> zipfile.ZipFile:
    """``data`` as a zip package checked against bombs and encryption, or
    :class:`DocumentError`. ``kind`` names the format in messages ("Word document")."""
    if data.startswith(CFB_MAGIC):
        if _CFB_ENCRYPTION in data:
            raise DocumentError(f"{doc_id}: the {kind} is encrypted (password-protected); "
                                "upload an unprotected copy")
        raise DocumentError(f"{doc_id}: an old binary Office file (.doc, .xls, .ppt) or a "
                            f"protected one, not {_a(kind)}; save it in the current format")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        if _MARKUP.match(data[:1024]):
            # An "export to Excel" that writes an HTML table under an Office name.
            raise DocumentError(f"{doc_id}: an HTML or XML page named as {_a(kind)}, not "
                                "one; rename it .html, or open and save it in its "
                                "application") from None
        raise DocumentError(f"{doc_id}: not a readable {kind} (not a valid zip package: "
                            f"{exc}); the file may be corrupt or truncated") from None
    _check_members(members, doc_id, kind)
    return package


def _check_members(members: list[zipfile.ZipInfo], doc_id: str, kind: str) -> None:
    if len(members) > MAX_MEMBERS:
        raise DocumentError(f"{doc_id}: the {kind} holds {len(members)} files, over the "
                            f"{MAX_MEMBERS} accepted; not indexed")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise DocumentError(f"{doc_id}: the {kind} inflates to {_mb(total)}, over the "
                            f"{_mb(MAX_UNCOMPRESSED_BYTES)} limit (a zip bomb?); not indexed")
    for member in members:
        if member.flag_bits & 0x1:
            raise DocumentError(f"{doc_id}: the {kind} is encrypted (password-protected); "
                                "upload an unprotected copy")
        if _XML_PART.search(member.filename) and member.file_size > MAX_XML_PART_BYTES:
            raise DocumentError(f"{doc_id}: {member.filename} inflates to "
                                f"{_mb(member.file_size)}, over the {_mb(MAX_XML_PART_BYTES)} "
                                "limit for one part; not indexed")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= RATIO_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise DocumentError(f"{doc_id}: {member.filename} inflates {ratio:.0f} times, "
                                f"over the ratio of {MAX_COMPRESSION_RATIO} accepted "
                                "(a zip bomb?); not indexed")


def read_member(package: zipfile.ZipFile, name: str) -> bytes | None:
    """The bytes of member ``name``, or None when the package has none."""
    try:
        return package.read(name)
    except KeyError:
        return None


def check_ooxml(package: zipfile.ZipFile, doc_id: str, kind: str, plain_suffix: str) -> None:
    """Refuse an Office Open XML package that is macro-enabled (``plain_suffix``: the
    suffix to save it as, e.g. ``.docx``)."""
    types = read_member(package, "[Content_Types].xml")
    if types is None:
        raise DocumentError(f"{doc_id}: not {_a(kind)} (no [Content_Types].xml in the package)")
    if _MACRO_MAIN_PART.search(types):
        raise DocumentError(f"{doc_id}: a macro-enabled {kind} (.docm, .xlsm, .pptm) is not "
                            f"accepted; save it as {plain_suffix} without macros")


def check_odf(package: zipfile.ZipFile, doc_id: str, kind: str, mimetype: str) -> None:
    """Refuse an OpenDocument package that is encrypted or of another type than
    ``mimetype`` (e.g. a spreadsheet named ``.odt``)."""
    found = (read_member(package, "mimetype") or b"").decode("ascii", "replace").strip()
    if found and found != mimetype:
        raise DocumentError(f"{doc_id}: not {_a(kind)} (its type is {found[:80]}); "
                            "give it the suffix of its type")
    manifest = read_member(package, "META-INF/manifest.xml") or b""
    if _ODF_ENCRYPTED in manifest:
        raise DocumentError(f"{doc_id}: the {kind} is encrypted (password-protected); "
                            "upload an unprotected copy")
    if "content.xml" not in package.namelist():
        raise DocumentError(f"{doc_id}: not {_a(kind)} (no content.xml in the package)")


def _a(kind: str) -> str:
    """``kind`` with its indefinite article: "a Word document", "an OpenDocument text"."""
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def unreadable(doc_id: str, kind: str, exc: BaseException) -> DocumentError:
    """The error for a package whose parts a library could not parse."""
    detail = " ".join(str(exc).split())[:200]
    return DocumentError(f"{doc_id}: not a readable {kind} ({type(exc).__name__}: {detail}); "
                         "the file may be corrupt")
