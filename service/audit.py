"""The audit log (opt-in, ``RAGQA_AUDIT_LOG``): one JSON line per read that returned documents.

Each line says who asked (the identity's user, its groups, the client's address), when (UTC),
through which route, and which document ids came back, in their order. Never the text of a
document; the question only when ``RAGQA_AUDIT_QUESTIONS`` is set (a question can itself be
sensitive: "is X being dismissed?"). Lines are appended with one ``write`` each to a file
opened in append mode, so several processes may share one file; rotate it with
``copytruncate`` (logrotate) or by moving it away: the next line reopens it.

A log that cannot be opened when the server starts (a folder that cannot be made, no write
permission) fails the start (:meth:`AuditLog.check`): a deployment that asks for an audit
must not serve reads it cannot record. One that fails later (a full disk) is an error logged
with the request, which is still answered.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from ragqa.index.access import Reader
from ragqa.index.errors import ConfigError

logger = logging.getLogger(__name__)


class AuditLog:
    """Appends audit lines to ``path`` (see the module docstring)."""

    def __init__(self, path: Path, *, questions: bool = False) -> None:
        self.path = path
        self.questions = questions
        self._lock = threading.Lock()

    def check(self) -> AuditLog:
        """Open the log (made if missing, with its folder) as a write would, or raise
        :class:`ConfigError` naming ``RAGQA_AUDIT_LOG``; nothing is written."""
        try:
            self._append(b"")
        except OSError as exc:
            raise ConfigError(f"RAGQA_AUDIT_LOG: cannot write the audit log {self.path}: "
                              f"{exc.strerror or exc}") from None
        return self

    def write(self, entry: dict) -> None:
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            try:
                self._append(line)
            except OSError as exc:  # an audit that cannot be written is said, never fatal
                logger.error("cannot write the audit log %s: %s", self.path,
                             exc.strerror or exc)

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if line:
                os.write(fd, line)
        finally:
            os.close(fd)


def open_audit_log(path: Path | None, *, questions: bool = False) -> AuditLog | None:
    """The audit log at ``path`` (``RAGQA_AUDIT_LOG``), checked (:meth:`AuditLog.check`);
    None without one."""
    return None if path is None else AuditLog(path, questions=questions).check()


class Audit:
    """One request's audit: who and from where; :meth:`record` writes its line (nothing
    without an audit log)."""

    def __init__(self, log: AuditLog | None, reader: Reader, client: str | None,
                 route: str) -> None:
        self._log = log
        self._reader = reader
        self._client = client
        self._route = route

    def record(self, doc_ids: Sequence[str], question: str | None = None) -> None:
        if self._log is None:
            return
        reader = self._reader
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "user": reader.user or None,
            "groups": None if reader.groups is None else sorted(reader.groups),
            "writer": reader.writer,
            "client": self._client,
            "route": self._route,
            "doc_ids": list(doc_ids),
        }
        if self._log.questions and question is not None:
            entry["question"] = question
        self._log.write(entry)
