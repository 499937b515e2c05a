"""Uploads that don't block: stored durably, indexed by a worker, followed as jobs.

:meth:`JobQueue.submit` writes the upload's bytes and its job record to the jobs folder
(fsynced) before it returns, so an accepted upload survives ``kill -9``: the next start's
:meth:`JobQueue.resume` finishes it. One worker thread applies jobs in order through the
store's own :meth:`~ragqa.index.store.Store.upload`, which tells the job how many passages are
embedded as it goes (done, total, rate); a request may :meth:`~JobQueue.wait` a little for
its job and answer as if the write were synchronous. Cancelling a job (a delete of its
document) stops it at its next progress report; the store then puts everything back as it
was, as for any failed write.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from ragqa.index.access import while_replacing
from ragqa.index.documents.ids import check_suffix
from ragqa.index.documents.loaders import load_document
from ragqa.index.durable import remove_durably, write_atomic, write_bytes
from ragqa.index.errors import RagqaError
from ragqa.index.records import Progress
from ragqa.index.store import Store, WriteResult

logger = logging.getLogger(__name__)

STATES = ("queued", "running", "done", "failed", "cancelled")
UNFINISHED = frozenset({"queued", "running"})
KEEP_FINISHED = 200  # finished jobs listed (and kept on disk), newest first


class JobCancelledError(RagqaError):
    """The job was cancelled (its document deleted) before it finished."""


@dataclass
class Job:
    """One upload to index: its state and progress (what ``/v1/jobs/{id}`` shows)."""

    id: str
    doc_id: str  # "" for a sync
    title: str | None = None  # as for Store.upload: None keeps the current title
    # Who may read it (ragqa.index.access), set before it is indexed; None keeps the current.
    groups: list[str] | None = None
    kind: str = "upload"  # or "sync": the corpus folder's changes (``ragqa serve --watch``)
    state: str = "queued"
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    passages_done: int = 0
    passages_total: int | None = None
    error: str | None = None
    status: str | None = None  # the write's: created, replaced, unchanged
    generation: int | None = None

    @property
    def finished(self) -> bool:
        return self.state not in UNFINISHED

    @property
    def rate(self) -> float | None:
        """Passages embedded per second so far (None before any)."""
        if self.started_at is None or not self.passages_done:
            return None
        elapsed = (self.finished_at or time.time()) - self.started_at
        return round(self.passages_done / elapsed, 2) if elapsed > 0 else None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, row: dict) -> Job:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in row.items() if k in known})


class JobQueue:
    """Jobs of one process over one store, recorded in ``folder``."""

    def __init__(self, store: Store, folder: Path) -> None:
        self._store = store
        self._folder = folder
        self._jobs: dict[str, Job] = {}
        self._done: dict[str, threading.Event] = {}
        self._errors: dict[str, BaseException] = {}
        self._results: dict[str, WriteResult] = {}
        self._cancelled: set[str] = set()
        self._queue: list[str] = []
        self._lock = threading.Condition()
        self._stopping = False
        self._worker: threading.Thread | None = None

    # -- life ------------------------------------------------------------------------------

    def start(self) -> JobQueue:
        """Load the recorded jobs, queue again those a stopped process left unfinished, and
        start the worker. The folder is made by the first job (a server that takes no
        upload writes nothing)."""
        resumed = 0
        records = [p for p in self._folder.glob("*.json") if not p.name.startswith(".")]
        loaded: list[Job] = []
        for path in records:
            try:
                loaded.append(Job.from_json(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError) as exc:
                logger.warning("ignoring the unreadable job record %s: %s", path, exc)
        # In the order they were accepted: a record is rewritten as its job runs, so its
        # file's time says when it last moved, not when it came (the running upload of a
        # stopped process would resume after those queued behind it).
        for job in sorted(loaded, key=lambda j: j.created_at):
            self._jobs[job.id] = job
            self._done[job.id] = threading.Event()
            if job.finished:
                self._done[job.id].set()
            elif job.kind == "sync" or self._data(job.id).is_file():
                job.state, job.started_at, job.passages_done = "queued", None, 0
                self._queue.append(job.id)
                resumed += 1
            else:  # accepted bytes missing: cannot be finished
                self._finish(job, "failed", error="the upload's bytes were lost")
        if resumed:
            logger.info("resuming %d upload job(s) left unfinished", resumed)
        self._worker = threading.Thread(target=self._run, name="ragqa-jobs", daemon=True)
        self._worker.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker after the job it is running (unfinished ones resume next start)."""
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._worker is not None:
            self._worker.join(timeout)

    # -- requests --------------------------------------------------------------------------

    def submit(self, doc_id: str, data: bytes, title: str | None = None,
               groups: frozenset[str] | None = None) -> Job:
        """Check that the indexer can read the upload (our errors: an unsupported type, a
        corrupt or unreadable file), record it durably and queue it; returns once it is
        safe on disk."""
        check_suffix(doc_id)
        with tempfile.TemporaryDirectory(prefix="ragqa-upload-") as folder:
            path = Path(folder) / f"upload{PurePosixPath(doc_id).suffix.lower()}"
            path.write_bytes(data)
            load_document(path, doc_id)  # DocumentError: refused, nothing recorded
        job = Job(id=uuid.uuid4().hex, doc_id=doc_id, title=title,
                  groups=None if groups is None else sorted(groups))
        write_bytes(self._data(job.id), data)
        self._save(job)
        with self._lock:
            self._jobs[job.id] = job
            self._done[job.id] = threading.Event()
            self._queue.append(job.id)
            self._lock.notify_all()
        return job

    def submit_sync(self) -> Job:
        """Queue a sync of the store with its corpus folder (a queued one is reused: it will
        see every change made until it runs)."""
        with self._lock:
            for job_id in self._queue:
                if self._jobs[job_id].kind == "sync":
                    return self._jobs[job_id]
            job = Job(id=uuid.uuid4().hex, doc_id="", kind="sync")
            self._folder.mkdir(parents=True, exist_ok=True)
            self._save(job)
            self._jobs[job.id] = job
            self._done[job.id] = threading.Event()
            self._queue.append(job.id)
            self._lock.notify_all()
            return job

    def wait(self, job_id: str, timeout: float) -> Job:
        """The job once finished, or as it is after ``timeout`` seconds."""
        self._done[job_id].wait(timeout)
        return self._jobs[job_id]

    def outcome(self, job_id: str) -> WriteResult | BaseException | None:
        """A finished job's write result, or the error that failed it (None otherwise)."""
        return self._results.get(job_id) or self._errors.get(job_id)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        """Every job known, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def cancel(self, doc_id: str) -> list[Job]:
        """Cancel the unfinished jobs of ``doc_id`` (queued ones at once, the running one at
        its next progress report); the jobs cancelled."""
        with self._lock:
            found = [j for j in self._jobs.values() if j.doc_id == doc_id and not j.finished]
            for job in found:
                self._cancelled.add(job.id)
                if job.id in self._queue:
                    self._queue.remove(job.id)
                    self._errors[job.id] = JobCancelledError(
                        f"the upload of {job.doc_id} was cancelled")
                    self._finish(job, "cancelled", error="cancelled: the document was deleted")
        for job in found:
            if job.state == "running":
                self._done[job.id].wait(60)
        return found

    def forget_titles(self, doc_id: str) -> None:
        """After ``doc_id`` was deleted: its finished jobs, still listed, no longer hold the
        title they were given (it named the deleted document; their bytes are gone already)."""
        with self._lock:
            for job in self._jobs.values():
                if job.doc_id == doc_id and job.finished and job.title is not None:
                    job.title = None
                    self._save(job)

    # -- the worker ------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                job = self._jobs[self._queue.pop(0)]
                job.state, job.started_at = "running", time.time()
            self._save(job)
            self._apply(job)

    def _apply(self, job: Job) -> None:
        try:
            if job.kind == "sync":
                report = self._store.sync(progress=self._progress(job))
                job.generation = report.generation
                job.status = (f"{len(report.added)} added, {len(report.changed)} changed, "
                              f"{len(report.removed)} removed")
                self._finish(job, "done")
                return
            data = self._data(job.id).read_bytes()
            result = self._upload(job, data)
        except JobCancelledError as exc:
            self._errors[job.id] = exc
            self._finish(job, "cancelled", error="cancelled: the document was deleted")
        except Exception as exc:  # the job records it; a waiting request raises it
            self._errors[job.id] = exc
            self._finish(job, "failed", error=str(exc) or type(exc).__name__)
            logger.warning("upload job %s (%s) failed: %s", job.id, job.doc_id, exc)
        else:
            self._results[job.id] = result
            job.status, job.generation = result.status, result.generation
            self._finish(job, "done")

    def _upload(self, job: Job, data: bytes) -> WriteResult:
        """The store's upload under the job's groups, set so that neither version is ever
        visible to a reader it is not for: while the new version is indexed the old one is
        still served, so the groups meanwhile let in only readers both sets let in
        (:func:`while_replacing`); the job's own are set once it is served, and the old ones
        put back if the upload fails."""
        if job.groups is None:
            return self._store.upload(job.doc_id, data, job.title, progress=self._progress(job))
        groups = self._store.groups
        before, after = groups.of(job.doc_id), frozenset(job.groups)
        meanwhile = while_replacing(before, after)
        if meanwhile != before:
            self._store.keep_links(job.doc_id)  # a hard link keeps ``before``, not the hold
        groups.set(job.doc_id, meanwhile)
        try:
            result = self._store.upload(job.doc_id, data, job.title,
                                        progress=self._progress(job))
        except BaseException:
            self._settle(job.doc_id, meanwhile, before)
            raise
        self._settle(job.doc_id, meanwhile, after)
        return result

    def _settle(self, doc_id: str, meanwhile: frozenset[str], final: frozenset[str]) -> None:
        """Set ``final`` unless the groups are no longer ``meanwhile``: a writer's ``PUT``
        made while the job ran is theirs to keep, not undone by the job."""
        groups = self._store.groups
        if final != meanwhile and groups.of(doc_id) == meanwhile:
            groups.set(doc_id, final)

    def _progress(self, job: Job) -> Progress:
        def report(done: int, total: int, unit: str = "passages") -> None:
            if job.id in self._cancelled:
                raise JobCancelledError(f"the upload of {job.doc_id} was cancelled")
            if unit == "passages":  # the job's counts are its passages'
                job.passages_done, job.passages_total = done, total

        return report

    def _finish(self, job: Job, state: str, error: str | None = None) -> None:
        job.state, job.error, job.finished_at = state, error, time.time()
        self._save(job)
        remove_durably(self._data(job.id))
        self._done[job.id].set()
        self._prune()

    def _prune(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.finished),
                          key=lambda j: j.created_at, reverse=True)
        for job in finished[KEEP_FINISHED:]:
            self._jobs.pop(job.id, None)
            self._done.pop(job.id, None)
            self._errors.pop(job.id, None)
            self._results.pop(job.id, None)
            (self._folder / f"{job.id}.json").unlink(missing_ok=True)

    # -- records ---------------------------------------------------------------------------

    def _data(self, job_id: str) -> Path:
        return self._folder / f"{job_id}.data"

    def _save(self, job: Job) -> None:
        write_atomic(self._folder / f"{job.id}.json",
                     json.dumps(job.to_json(), ensure_ascii=False).encode("utf-8"))
