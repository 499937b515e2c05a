"""Reading documents from disk into canonical text.

A document's *canonical text* is what every citation offset refers to: the decoded text
with a byte-order mark removed and line endings normalised to ``\\n``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from charset_normalizer import from_bytes

from ragqa.index.errors import DocumentError, EmptyCorpusError
from ragqa.index.documents.sections import front_matter_end
from ragqa.index.documents.titles import headline, metadata_title

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})

_WESTERN = ("cp1252", "latin_1", "iso8859_15", "mac_roman", "utf_16", "utf_32")


@dataclass(frozen=True)
class Document:
    """One source document, ready to be split into passages."""

    doc_id: str  # path relative to the corpus folder, with forward slashes
    text: str  # canonical text
    title: str
    content_hash: str  # sha256 of the file's bytes
    pages: tuple[int, ...] = ()  # start offset of each page, for paginated sources
    # Where the title comes from: "text" (the headline found in the text, which the
    # builder may refine with corpus-wide chrome), "metadata" (PDF info, HTML <title>) or
    # "explicit" (given on upload, kept in a ``.title`` sidecar file).
    title_source: str = "text"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes, name: str) -> str:
    """Decode raw bytes into canonical text, or raise :class:`DocumentError` naming ``name``."""
    if not data.strip():
        raise DocumentError(f"{name}: the file is empty")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(f"{name}: looks like a binary file (NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Among equally clean readings, prefer the legacy encodings Western European text
        # actually uses (cp1250 and cp1252 often decode the same bytes equally "cleanly").
        candidates = sorted(
            from_bytes(data),
            key=lambda m: (round(m.chaos, 3), m.encoding not in _WESTERN, -m.coherence),
        )
        best = candidates[0] if candidates else None
        # Accept a detected legacy encoding only when the result is mostly clean text.
        if best is None or best.chaos > 0.2:
            raise DocumentError(
                f"{name}: not valid UTF-8 and no text encoding could be detected; "
                "convert it to UTF-8"
            ) from None
        logger.warning("%s: not UTF-8, decoded as %s", name, best.encoding)
        text = str(best)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(f"{name}: the file holds no text")
    if _control_ratio(text) > 0.05:
        raise DocumentError(f"{name}: looks like a binary file, not text")
    return text


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
