"""The files store's permissions benchmark runs end to end on a tiny synthetic store."""

from ragqa.eval.files_permissions import measure


def test_the_benchmark_times_the_three_ways_and_the_idf():
    result = measure(docs=60, per_doc=3, groups=20, queries=6, readers=3, seed=1)
    assert result["passages"] == 180 and 0 < result["readable_passages_median"] <= 180
    for name in ("unfiltered", "whole_store_statistics", "allowlist_statistics",
                 "idf_whole_store", "idf_allowlist"):
        assert result[name]["p50_ms"] >= 0
    assert result["ratio_p50_allowlist_vs_whole_store_statistics"] > 0
