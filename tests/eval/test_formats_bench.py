"""ragqa bench --formats: every readable format is written, read back and timed."""

from ragqa.eval.bench.formats import WRITERS, format_rates, markdown_formats
from ragqa.index.documents.loaders import SUPPORTED_SUFFIXES

PARAGRAPHS = [f"Le paragraphe {i} décrit la fibre optique à Rabat, posée sur {i} kilomètres."
              for i in range(12)]


def test_every_format_is_read_back_whole():
    formats = format_rates(PARAGRAPHS, repeat=1)
    rows = {r["format"]: r for r in formats["rows"]}
    assert set(rows) == set(WRITERS)
    for row in rows.values():
        # Every paragraph's words reach the canonical text, whatever the container.
        assert row["chars"] >= sum(len(p) for p in PARAGRAPHS) and row["read_s"] > 0
    assert "| .docx |" in markdown_formats(formats)


def test_the_bench_writes_every_office_format_the_indexer_reads():
    written = set(WRITERS)
    assert written <= set(SUPPORTED_SUFFIXES)
    # PDF is left out: no writing library for text PDFs is a dependency (tests build theirs).
    assert set(SUPPORTED_SUFFIXES) - written <= {".pdf", ".htm", ".markdown", ".text"}
