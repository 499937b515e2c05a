"""A bounded soak (``RAGQA_SOAK_SECONDS``, default 12 s) of the real server; the 60 s run is
``python -m tests.reliability.soak --seconds 60`` (README, *Reliability*)."""

from __future__ import annotations

import os

import pytest

from tests.reliability.soak import soak
from tests.support import Server

pytestmark = [pytest.mark.soak, pytest.mark.heavy]


def test_32_clients_with_live_uploads_and_deletes_lose_nothing(served_copy: Server):
    seconds = float(os.environ.get("RAGQA_SOAK_SECONDS", "12"))
    summary = soak(served_copy.base_url, seconds=seconds, clients=32)
    print(f"\nsoak: {summary}")
    assert summary["failed"] == 0, summary["failures"]
    assert summary["by_kind"].get("upload", 0) >= 1 and summary["quotes_checked"] > 0
    assert set(summary["by_kind"]) >= {"search", "ask", "documents", "upload"}
    assert "Traceback" not in served_copy.output()
