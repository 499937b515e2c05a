"""``python -m ragqa`` and the ``ragqa`` command's entry point (:func:`run`)."""

from __future__ import annotations

import sys


def run() -> None:
    """Run the ``ragqa`` command. :mod:`ragqa.cli` is imported here, not at the top: its
    imports take about a second (settings, bm25s, click), and a Ctrl-C meanwhile ends like
    one during a command (one line, exit 130), not with a traceback."""
    try:
        from ragqa.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("ragqa: error: interrupted\n")
        raise SystemExit(130) from None
    main(prog_name="ragqa")


if __name__ == "__main__":  # pragma: no cover
    run()
