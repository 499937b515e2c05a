"""ragqa's top: settings, the composition root and the ``ragqa`` command.

``ragqa.settings`` reads the ``RAGQA_*`` environment, ``ragqa.wiring`` turns those settings
into a ready :class:`~ragqa.engine.Engine` (the only place that wires parts together), and
``ragqa.cli`` is the command line, standing above the HTTP service and the eval. Nothing
happens at import time.
"""

from pathlib import Path as _Path

# The layers keep their own top-level folders (index/, service/, eval/) and are installed as
# ragqa.index, ragqa.service and ragqa.eval (pyproject.toml's package-dir). Run from a source
# checkout (pytest, python -m ragqa), they are found beside this folder instead.
_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "index" / "store.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821 - the package's own search path
