"""A writer process for the concurrency and kill tests (run as a script, not collected).

``python -m tests.index.pg.writer_proc URL many WRITER ROUNDS``: replaces documents shared
with the other writers, ROUNDS times. ``... URL hang DOC PASSAGES``: writes a version of DOC,
prints ``READY`` with everything written but not committed, and waits to be killed.
"""

from __future__ import annotations

import sys
import time

from ragqa.index.pg.connect import connect
from ragqa.index.pg.writes import replace_document
from tests.index.pg.docs import make_document


def _wait_to_be_killed() -> None:
    print("READY", flush=True)
    time.sleep(120)


def main(argv: list[str]) -> None:
    url, action = argv[0], argv[1]
    with connect(url) as conn:
        if action == "many":
            writer, rounds = argv[2], int(argv[3])
            for i in range(rounds):
                for d in range(4):
                    replace_document(conn, make_document(f"shared-{d}.md", f"{writer}-{i}",
                                                         passages=2 + (i + d) % 5))
                replace_document(conn, make_document(f"own-{writer}-{i % 3}.md", str(i)))
        elif action == "hang":
            doc, passages = argv[2], int(argv[3])
            replace_document(conn, make_document(doc, "killed", passages=passages),
                             before_commit=_wait_to_be_killed)
        else:
            raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
