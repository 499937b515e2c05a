"""Indexing progress lines (ragqa/progress.py), with a fake clock."""

import io

from ragqa.progress import embedding_progress


def test_lines_every_twentieth_or_every_ten_seconds():
    now = [0.0]
    out = io.StringIO()
    progress = embedding_progress(out, interactive=False, clock=lambda: now[0])
    progress(0, 1000)
    for done in range(25, 1001, 25):  # 25 passages per second
        now[0] += 1.0
        progress(done, 1000)
    lines = out.getvalue().splitlines()
    assert lines[0] == "ragqa: embedding 1000 passages"
    assert lines[1] == "ragqa: embedded 50/1000 passages (5%), 25.0 passages/s, about 38s left"
    assert lines[-1] == "ragqa: embedded 1000/1000 passages (100%), 25.0 passages/s"
    assert len(lines) == 21
    slow, out = [0.0], io.StringIO()
    progress = embedding_progress(out, interactive=False, clock=lambda: slow[0])
    progress(0, 10_000)
    slow[0] = 10.0
    progress(10, 10_000)  # 0.1 % of the work, but ten seconds passed
    assert out.getvalue().splitlines()[-1].startswith("ragqa: embedded 10/10000 passages (0%)")


def test_a_terminal_gets_a_bar():
    out = io.StringIO()
    progress = embedding_progress(out, interactive=True)
    progress(0, 100)
    progress(100, 100)
    assert "100/100" in out.getvalue() and "passage" in out.getvalue()
