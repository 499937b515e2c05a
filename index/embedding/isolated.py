"""Running one heavy, one-off job (converting or exporting the model) in a child process.

Converting the bundled model and exporting it to ONNX each load a full torch model and a
few copies of its weights; done in the serving process, the allocator kept most of that
memory after the job ended (the first start stayed at ~2.9 GB). In a child process, a fresh
interpreter (``python -m ragqa.index.embedding.isolated``: no copy of the parent's memory,
threads or locks, and unlike ``multiprocessing``'s spawn it never imports the caller's
``__main__``), that memory goes back to the system when the child exits.

The job and its arguments travel pickled through a temporary folder, and so does its
outcome: the job's exception is raised again in the parent with its own type (a
:class:`~ragqa.index.errors.ModelFileError` stays one, an ``OSError`` keeps its ``errno``),
the child's traceback attached as its cause. A child that dies without an answer (killed,
out of memory) raises :class:`~ragqa.index.errors.ModelUnavailableError` naming the job.
The child dies with its parent (Linux), so a killed server leaves no job running behind it.
While it runs, the parent logs a line every ``every_s`` seconds (10), so a first start that
converts the model is never silent for long (the CLI shows this module's INFO lines); the
child's own progress bars (transformers' weight loading) are turned off.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ragqa.index.errors import ModelUnavailableError

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1
logger = logging.getLogger(__name__)


class ChildTraceback(Exception):
    """The traceback of a job's exception in the child process (attached as its cause)."""


def run_isolated(job: Callable[..., T], *args, what: str, every_s: float = 10.0) -> T:
    """``job(*args)`` in a fresh child process: its result, or its exception raised here.

    ``job`` must be a module-level function and ``args`` picklable (paths, flags); ``what``
    names the job in the progress lines (every ``every_s`` seconds) and in the error raised
    if the child dies."""
    with tempfile.TemporaryDirectory(prefix="ragqa-job-") as folder:
        request, answer = Path(folder) / "job.pickle", Path(folder) / "answer.pickle"
        request.write_bytes(pickle.dumps((job, args)))
        # The child finds ragqa (and the rest) where this process does; its progress bars
        # would interleave with ours on stderr.
        env = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TQDM_DISABLE": "1", **os.environ,
               "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        code = _wait_logging(subprocess.Popen(
            [sys.executable, "-m", __name__, str(request), str(answer), str(os.getpid())],
            env=env), what, every_s)
        try:
            ok, value, child_traceback = pickle.loads(answer.read_bytes())
        except FileNotFoundError:
            raise ModelUnavailableError(
                f"{what} stopped without finishing (exit status {code}: killed, perhaps for "
                "lack of memory; it needs about 1.5 GB free)"
            ) from None
    if ok:
        return value
    raise value from ChildTraceback(child_traceback)


def _wait_logging(child: subprocess.Popen, what: str, every_s: float) -> int:
    """Wait for ``child``, logging a line when it starts, every ``every_s`` s, and at its end."""
    started = time.monotonic()
    logger.info("%s: started (done once, then kept)", what)
    while True:
        try:
            code = child.wait(timeout=every_s)
        except subprocess.TimeoutExpired:
            logger.info("%s: still running, %.0f s", what, time.monotonic() - started)
            continue
        except BaseException:  # interrupted: the child must not outlive the wait
            child.kill()
            child.wait()
            raise
        logger.info("%s: ended after %.0f s", what, time.monotonic() - started)
        return code


def _child(request: Path, answer: Path, parent: int) -> None:
    """Run the job of ``request``; write ``(ok, result or exception, traceback)``."""
    _die_with_parent(parent)
    job, args = pickle.loads(request.read_bytes())
    try:
        outcome = (True, job(*args), "")
    except Exception as exc:  # noqa: BLE001 - every failure travels to the parent
        outcome = (False, exc, traceback.format_exc())
    try:
        data = pickle.dumps(outcome)
    except Exception:  # noqa: BLE001 - an exception that does not pickle: its text does
        error = outcome[1]
        data = pickle.dumps((False, ModelUnavailableError(f"{type(error).__name__}: {error}"),
                             outcome[2]))
    partial = answer.with_name(answer.name + ".tmp")
    partial.write_bytes(data)
    os.replace(partial, answer)


def _die_with_parent(parent: int) -> None:
    """Be killed when the parent dies (Linux), instead of finishing a job nobody waits for
    while a new start cleans up after it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the child finishes its job, then exits
        pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


if __name__ == "__main__":
    _child(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
