"""index.jobs: uploads recorded durably, applied in order by a worker, resumed after a stop,
cancelled on request.

The store here is a stand-in that records uploads and can be held mid-write: what is under
test is the queue (order, durability, progress, cancellation), and a real store cannot be
paused at a chosen passage. The real stores behind the HTTP API are tested in
tests/service/test_jobs_api.py.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ragqa.index.access import UNREADABLE
from ragqa.index.errors import DocumentError
from ragqa.index.jobs import JobCancelledError, JobQueue
from ragqa.index.store import WriteResult
from tests.support import wait_until


class HeldStore:
    """Uploads reported in two progress steps; ``hold`` keeps one between them."""

    name = "stand-in"
    location = "memory"

    def __init__(self) -> None:
        self.uploads: list[tuple[str, bytes, str | None]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.inside = threading.Event()
        self.kept: list[tuple[str, frozenset[str]]] = []

    def keep_links(self, doc_id):
        """Recorded with the groups held then: a hard link keeps those, not the hold."""
        self.kept.append((doc_id, self.groups.of(doc_id)))

    def upload(self, doc_id, data, title=None, *, progress=None):
        if data == b"bad":
            raise DocumentError(f"{doc_id}: not a document")
        if progress:
            progress(0, 2)
        self.inside.set()
        self.hold.wait(30)
        if progress:
            progress(1, 2)
            progress(2, 2)
        self.uploads.append((doc_id, data, title))
        return WriteResult("created", doc_id, None, len(self.uploads))


def test_an_upload_is_applied_and_followed(tmp_path: Path):
    store = HeldStore()
    jobs = JobQueue(store, tmp_path / "jobs").start()
    try:
        job = jobs.submit("a.txt", b"hello", "Titre")
        done = jobs.wait(job.id, 10)
        assert done.state == "done" and done.status == "created" and done.generation == 1
        assert (done.passages_done, done.passages_total) == (2, 2) and done.rate is not None
        assert store.uploads == [("a.txt", b"hello", "Titre")]
        assert isinstance(jobs.outcome(job.id), WriteResult)
        assert not (tmp_path / "jobs" / f"{job.id}.data").exists()  # bytes gone once applied
        assert [j.id for j in jobs.list()] == [job.id]
    finally:
        jobs.close()


def test_a_failed_upload_keeps_its_error(tmp_path: Path):
    jobs = JobQueue(HeldStore(), tmp_path / "jobs").start()
    try:
        job = jobs.wait(jobs.submit("b.txt", b"bad").id, 10)
        assert job.state == "failed" and "not a document" in job.error
        assert isinstance(jobs.outcome(job.id), DocumentError)
    finally:
        jobs.close()


def test_an_accepted_upload_survives_a_stop_and_resumes(tmp_path: Path):
    store = HeldStore()
    store.hold.clear()  # the first upload never finishes in this process
    first = JobQueue(store, tmp_path / "jobs").start()
    running = first.submit("a.txt", b"one")
    queued = first.submit("b.txt", b"two")
    wait_until(store.inside.is_set, what="the first upload to start")
    assert first.wait(queued.id, 0.1).state == "queued"
    # The running upload's record was written last (it moved to "running"): order is
    # not the files' times.
    record = tmp_path / "jobs" / f"{running.id}.json"
    later = record.stat().st_mtime + 60
    os.utime(record, (later, later))
    # The process dies: nothing of the queue's memory survives, only its folder.
    again = HeldStore()
    second = JobQueue(again, tmp_path / "jobs").start()
    try:
        for job_id in (running.id, queued.id):
            assert second.wait(job_id, 10).state == "done"
        assert [u[0] for u in again.uploads] == ["a.txt", "b.txt"]  # in the order accepted
    finally:
        store.hold.set()
        first.close()
        second.close()


def test_a_delete_cancels_queued_and_running_jobs(tmp_path: Path):
    store = HeldStore()
    store.hold.clear()
    jobs = JobQueue(store, tmp_path / "jobs").start()
    try:
        running = jobs.submit("a.txt", b"one")
        queued = jobs.submit("a.txt", b"two")
        wait_until(store.inside.is_set, what="the first upload to start")
        threading.Timer(0.2, store.hold.set).start()  # the running one reports progress again
        cancelled = jobs.cancel("a.txt")
        assert {j.id for j in cancelled} == {running.id, queued.id}
        assert jobs.get(queued.id).state == "cancelled"
        assert jobs.wait(running.id, 10).state == "cancelled"
        assert isinstance(jobs.outcome(running.id), JobCancelledError)
        assert store.uploads == []
    finally:
        store.hold.set()
        jobs.close()


def test_an_unreadable_record_is_skipped(tmp_path: Path):
    folder = tmp_path / "jobs"
    folder.mkdir()
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    jobs = JobQueue(HeldStore(), folder).start()
    try:
        assert jobs.list() == []
    finally:
        jobs.close()


@pytest.mark.parametrize("state", ["queued", "running"])
def test_a_record_without_its_bytes_fails_on_resume(tmp_path: Path, state: str):
    import json

    folder = tmp_path / "jobs"
    folder.mkdir()
    (folder / "x.json").write_text(json.dumps({"id": "x", "doc_id": "a.txt", "state": state}),
                                   encoding="utf-8")
    jobs = JobQueue(HeldStore(), folder).start()
    try:
        assert jobs.get("x").state == "failed" and "lost" in jobs.get("x").error
    finally:
        jobs.close()


class GroupsSeen:
    """The groups a stand-in store holds (as its ``groups``), in memory."""

    def __init__(self, **known: frozenset[str]) -> None:
        self.known = dict(known)

    def of(self, doc_id: str) -> frozenset[str]:
        return self.known.get(doc_id, frozenset())

    def set(self, doc_id: str, groups: frozenset[str]) -> None:
        self.known[doc_id] = groups


@pytest.mark.parametrize(("before", "after", "meanwhile"), [
    (set(), {"rh"}, {"rh"}),  # a public version restricted: restricted from the start
    ({"rh"}, set(), {"rh"}),  # opened: the old version stays rh's until the new one serves
    ({"rh", "direction"}, {"direction", "paie"}, {"direction"}),  # both let in: direction
    ({"rh"}, {"direction"}, UNREADABLE),  # nothing in common: the writers only
])
def test_a_replacement_s_groups_while_it_is_indexed_let_in_only_readers_of_both(
        tmp_path: Path, before, after, meanwhile):
    """Replacing an rh-only document with a public version showed the old text to every
    reader while the new one was indexed (the new groups were set first)."""
    store = HeldStore()
    store.groups = GroupsSeen(**{"paie.md": frozenset(before)})
    store.hold.clear()
    jobs = JobQueue(store, tmp_path / "jobs").start()
    try:
        job = jobs.submit("paie.md", b"v2", groups=frozenset(after))
        assert store.inside.wait(10)  # the old version is still the one served
        assert store.groups.of("paie.md") == frozenset(meanwhile)
        # the file's other names (hard links) were given the groups before the hold
        assert store.kept == ([("paie.md", frozenset(before))]
                              if frozenset(meanwhile) != frozenset(before) else [])
        store.hold.set()
        assert jobs.wait(job.id, 10).state == "done"
        assert store.groups.of("paie.md") == frozenset(after)
        # a failed replacement puts the old groups back
        store.groups.set("paie.md", frozenset(before))
        failed = jobs.wait(jobs.submit("paie.md", b"bad", groups=frozenset(after)).id, 10)
        assert failed.state == "failed" and store.groups.of("paie.md") == frozenset(before)
    finally:
        store.hold.set()
        jobs.close()


def test_a_put_made_while_the_upload_runs_is_kept(tmp_path: Path):
    """Found by review: the job set its groups after the upload, undoing a writer's PUT
    made meanwhile (which may have just locked the document down)."""
    store = HeldStore()
    store.groups = GroupsSeen(**{"paie.md": frozenset({"rh"})})
    store.hold.clear()
    jobs = JobQueue(store, tmp_path / "jobs").start()
    try:
        job = jobs.submit("paie.md", b"v2", groups=frozenset())
        assert store.inside.wait(10)
        store.groups.set("paie.md", frozenset({"direction"}))  # the writer's PUT
        store.hold.set()
        assert jobs.wait(job.id, 10).state == "done"
        assert store.groups.of("paie.md") == {"direction"}
    finally:
        store.hold.set()
        jobs.close()
