"""Document ids: plain relative paths inside the corpus, checked before anything is written.

Raises the corpus errors below; the edges (:mod:`ragqa.service.errors`, the CLI) alone give
them HTTP statuses or exit codes.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from ragqa.index.errors import RagqaError
from ragqa.index.documents.loaders import SUPPORTED_SUFFIXES, unsupported

MAX_ID_CHARS = 512
# One path segment's limit on Linux file systems (NAME_MAX), in bytes of UTF-8.
MAX_NAME_BYTES = 255
# `validate_doc_id`'s rules as a JSON schema, so the OpenAPI schema documents exactly what
# the API accepts: segments that do not start with '.', no control character, no backslash.
_SEGMENT = r"[^\x00-\x1f\x7f-\x9f\\/.][^\x00-\x1f\x7f-\x9f\\/]*"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
DOC_ID_SCHEMA = {"minLength": 1, "maxLength": MAX_ID_CHARS,
                 "pattern": rf"^{_SEGMENT}(/{_SEGMENT})*$"}


class CorpusError(RagqaError):
    """A change to the corpus folder that cannot be made as asked."""


class InvalidDocumentIdError(CorpusError):
    """A document id that is not a plain relative path inside the corpus."""


class UnsupportedFileTypeError(CorpusError):
    """A document id whose file type the indexer cannot read."""


class CorpusConflictError(CorpusError):
    """The corpus is not in a state that allows the change (a folder under that id...)."""


class LastDocumentError(CorpusConflictError):
    """Deleting the last indexed document: an index needs at least one."""


def _invalid(message: str) -> InvalidDocumentIdError:
    return InvalidDocumentIdError(message)


def validate_doc_id(doc_id: str) -> str:
    """``doc_id`` if it is a plain relative path inside the corpus, else
    :class:`InvalidDocumentIdError`.

    Document ids are corpus-relative paths with forward slashes (``reports/q1.pdf``); ids
    that could escape the folder or hide from the indexer are refused.
    """
    if not doc_id or len(doc_id) > MAX_ID_CHARS:
        raise _invalid(f"a document id must be 1 to {MAX_ID_CHARS} characters long")
    # C0 and C1 controls and DEL (a name sent as bytes that are not UTF-8 and read as
    # Latin-1 holds C1 ones), and lone surrogates (undecodable bytes): no file name to keep
    if _CONTROL.search(doc_id):
        raise _invalid("a document id cannot contain NUL or control characters")
    if "\\" in doc_id:
        raise _invalid("a document id uses forward slashes only")
    if doc_id.startswith("/"):
        raise _invalid("a document id is relative to the corpus folder; remove the leading /")
    for part in doc_id.split("/"):
        if part in ("", ".", ".."):
            raise _invalid(f"{doc_id!r}: empty, '.' and '..' path segments are not allowed")
        if part.startswith("."):
            raise _invalid(f"{doc_id!r}: hidden names (starting with '.') are not allowed")
    return doc_id


def check_name_lengths(doc_id: str) -> None:
    """Refuse, before writing, an id whose file or folder names the file system cannot hold."""
    for part in doc_id.split("/"):
        if len(part.encode("utf-8")) > MAX_NAME_BYTES:
            raise _invalid(f"{part[:40]}...: a file or folder name is limited to "
                           f"{MAX_NAME_BYTES} bytes of UTF-8")


def is_file(path: Path) -> bool:
    """``path.is_file()``, False for names the file system refuses (too long...)."""
    try:
        return path.is_file()
    except OSError:
        return False


def check_suffix(doc_id: str) -> None:
    """Refuse ids whose file type the indexer cannot read."""
    suffix = PurePosixPath(doc_id).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileTypeError(unsupported(doc_id))


def corpus_path(corpus_dir: Path, doc_id: str) -> Path:
    """Where document ``doc_id`` lives, checked to be inside ``corpus_dir``."""
    root = corpus_dir.resolve()
    path = (root / validate_doc_id(doc_id)).resolve()
    if not path.is_relative_to(root) or path == root:
        raise _invalid(f"{doc_id!r} points outside the corpus folder")
    return path


def entry_path(corpus_dir: Path, doc_id: str) -> Path:
    """The folder entry named ``doc_id`` itself, its folders checked to be inside
    ``corpus_dir``: unlike :func:`corpus_path`, a link is not followed, so that a write or a
    deletion under a link's id (an upload, its ``.groups`` file) reaches the link, never the
    document it points at."""
    root = corpus_dir.resolve()
    relative = PurePosixPath(validate_doc_id(doc_id))
    parent = (root / relative.parent).resolve()
    if not parent.is_relative_to(root):
        raise _invalid(f"{doc_id!r} points outside the corpus folder")
    return parent / relative.name
