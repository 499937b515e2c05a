"""Reading documents from disk into canonical text.

A document's *canonical text* is what every citation offset refers to: the decoded text
with a byte-order mark removed and line endings normalised to ``\\n``.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ragqa.index.documents.charsets import doubtful_utf8, legacy_reading, utf16_without_bom
from ragqa.index.errors import DocumentError, EmptyCorpusError
from ragqa.index.documents.sections import front_matter_end
from ragqa.index.documents.titles import headline, metadata_title

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})

# UTF-32's little-endian BOM starts with UTF-16's: it is looked for first.
_BOMS = ((codecs.BOM_UTF32_LE, "utf_32"), (codecs.BOM_UTF32_BE, "utf_32"),
         (codecs.BOM_UTF16_LE, "utf_16"), (codecs.BOM_UTF16_BE, "utf_16"))


@dataclass(frozen=True)
class Document:
    """One source document, ready to be split into passages."""

    doc_id: str  # path relative to the corpus folder, with forward slashes
    text: str  # canonical text
    title: str
    content_hash: str  # sha256 of the file's bytes
    pages: tuple[int, ...] = ()  # start offset of each page, for paginated sources
    # Where the title comes from: "text" (the headline found in the text, which the
    # builder may refine with corpus-wide chrome), "metadata" (PDF info, HTML <title>),
    # "layout" (a PDF's largest type on its first page: refined only where it is itself
    # chrome, a letterhead) or "explicit" (given on upload, kept in a ``.title`` sidecar).
    title_source: str = "text"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes, name: str) -> str:
    """Decode raw bytes into canonical text, or raise :class:`DocumentError` naming ``name``.

    UTF-8 (with or without a BOM) and UTF-16 (with a BOM, or plainly UTF-16 without one)
    are read as such; other bytes in the legacy encoding they read best in
    (:mod:`ragqa.index.documents.charsets`)."""
    if not data.strip():
        raise DocumentError(f"{name}: the file is empty")
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    marked = next((codec for bom, codec in _BOMS if data.startswith(bom)), None)
    if marked is not None:
        try:
            text = data.decode(marked)  # the BOM says which byte order
        except UnicodeDecodeError:
            raise DocumentError(f"{name}: starts with a {marked.upper().replace('_', '-')} "
                                "byte-order mark but is not such text") from None
    elif b"\x00" in data[:8192]:
        codec = utf16_without_bom(data)
        if codec is None:
            raise DocumentError(f"{name}: looks like a binary file (NUL bytes), not text")
        logger.warning("%s: UTF-16 without a byte-order mark, read as %s", name, codec)
        text = data.decode(codec)
    else:
        text = _decode_8bit(data, name)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(f"{name}: the file holds no text")
    if _control_ratio(text) > 0.05:
        raise DocumentError(f"{name}: looks like a binary file, not text")
    return text


def _decode_8bit(data: bytes, name: str) -> str:
    """UTF-8, unless the bytes are not UTF-8 or only happen to be (see
    :func:`~ragqa.index.documents.charsets.doubtful_utf8`): then the best legacy reading."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        reading = legacy_reading(data)
    else:
        reading = doubtful_utf8(data, text)
        if reading is None:
            return text
    if reading is None:
        raise DocumentError(
            f"{name}: not valid UTF-8 and no text encoding could be detected; "
            "convert it to UTF-8"
        )
    logger.warning("%s: not UTF-8, decoded as %s", name, reading.encoding)
    return reading.text


def _control_ratio(text: str) -> float:
    sample = text[:20000]
    bad = sum(1 for c in sample if ord(c) < 32 and c not in "\n\t\f\v")
    return bad / max(1, len(sample))


def extract_title(text: str, fallback: str) -> str:
    """The document's headline (see :mod:`ragqa.index.documents.titles`), else ``fallback``."""
    return headline(text, fallback)


def doc_id_for(path: Path, corpus_dir: Path) -> str:
    return PurePosixPath(path.relative_to(corpus_dir)).as_posix()


def load_text_document(path: Path, doc_id: str) -> Document:
    """Read a ``.txt``/``.md`` file into a :class:`Document`; a markdown file's front matter
    (Jekyll, Hugo, MkDocs, Obsidian: ``---`` lines around ``title: …``) gives its title."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{doc_id}: cannot be read ({exc.strerror or exc})") from None
    text = decode_text(data, doc_id)
    declared = front_matter_title(text)
    return Document(
        doc_id=doc_id,
        text=text,
        title=declared or extract_title(front_matter_free(text),
                                        fallback=PurePosixPath(doc_id).stem),
        content_hash=sha256_bytes(data),
        title_source="metadata" if declared else "text",
    )


_TITLE_KEY = re.compile(r"^title[ \t]*:[ \t]*(?P<value>.*?)[ \t]*$", re.M)


def front_matter_title(text: str) -> str | None:
    """The ``title:`` of a YAML front matter block opening ``text`` (quotes removed), or
    None; only a plain one-line value is read (no YAML library for one key)."""
    end = front_matter_end(text)
    found = _TITLE_KEY.search(text, 0, end) if end else None
    if found is None:
        return None
    value = found.group("value")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return metadata_title(value)


def front_matter_free(text: str) -> str:
    """``text`` with an opening front matter block blanked (same length: offsets hold), so
    that its keys are not taken for a headline."""
    end = front_matter_end(text)
    return re.sub(r"[^\n]", " ", text[:end]) + text[end:] if end else text


def scan_corpus(corpus_dir: Path, suffixes: frozenset[str] = TEXT_SUFFIXES) -> list[Path]:
    """All indexable files under ``corpus_dir`` (hidden files and folders skipped), sorted."""
    if not corpus_dir.is_dir():
        raise EmptyCorpusError(f"corpus folder {corpus_dir} does not exist or is not a folder")
    found = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in suffixes:
            found.append(path)
    return found
