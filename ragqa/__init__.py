"""ragqa's top: settings, the composition root and the ``ragqa`` command.

``ragqa.settings`` reads the ``RAGQA_*`` environment, ``ragqa.wiring`` turns those settings
into a ready :class:`~ragqa.engine.Engine` (the only place that wires parts together), and
``ragqa.cli`` is the command line, standing above the HTTP service and the eval. Nothing
happens at import time.

The layers keep their own top-level folders (index/, service/, eval/) and are installed as
``ragqa.index``, ``ragqa.service`` and ``ragqa.eval`` (pyproject.toml's ``package-dir``; the
editable install maps the folders).
"""
