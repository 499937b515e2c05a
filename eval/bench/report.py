"""The bench as Markdown tables and a latency/throughput plot."""

from __future__ import annotations

import json
from pathlib import Path

from ragqa.eval.bench.formats import markdown_formats


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown(out: dict) -> str:
    if "serving" not in out:  # a writes-only run (``ragqa bench --writes ... --writes-only``)
        parts = [markdown_formats(out["formats"])] if out.get("formats") else []
        if out.get("varying"):  # ``ragqa bench --varying PIAF_JSON``
            from ragqa.eval.bench.varying import markdown as markdown_varying

            parts.append(markdown_varying(out["varying"]))
        if out.get("writes"):
            parts.append(markdown_writes(out["writes"]))
        return (f"Model `{out['model']}`{' (bundled fallback)' if out['fallback'] else ''}, "
                f"backend `{out['backend']}`, {out['machine']['cpus']} CPU cores; bench took "
                f"{out.get('bench_seconds', 0):.0f} s.\n\n" + "\n".join(parts))
    raw, idx, serving = out["raw"], out["indexing"], out["serving"]
    lines = [
        f"Model `{out['model']}`{' (bundled fallback)' if out['fallback'] else ''}, backend "
        f"`{out['backend']}`, corpus `{out['corpus']}` ({idx['documents']} documents, "
        f"{idx['passages']} passages), {out['machine']['cpus']} CPU cores; bench took "
        f"{out.get('bench_seconds', 0):.0f} s.",
        "",
        "| measure | value |", "|---|---|",
        _row(["raw model: single query", f"{raw['query_single_per_s']:.1f}/s "
              f"({raw['query_single_ms']:.1f} ms)"]),
        _row(["raw model: queries in batches of 16", f"{raw['query_batch16_per_s']:.1f}/s"]),
        _row(["raw model: passages", f"{raw['passage_per_s']:.1f}/s"]),
        _row(["full index build", f"{idx['passages_per_s']:.1f} passages/s "
              f"({idx['full_build_s']:.1f} s)"]),
        _row(["no-change re-index", f"{idx['noop_reindex_s']:.2f} s"]),
        _row(["index size", f"{idx['index_bytes_per_passage']:,} bytes/passage "
              f"({idx['dense_bytes_per_passage']:,} of them vectors)"]),
        _row(["cold start to first answer", f"{serving['cold_start_s']:.1f} s"]),
        _row(["server memory (RSS) after load", f"{serving.get('rss_mb', 0):.0f} MiB "
              f"(peak {serving.get('peak_rss_mb', 0):.0f})"]),
    ]
    if "repeated_c1" in serving:
        lines.append(_row(["repeated question (caches), p50",
                           f"{serving['repeated_c1']['p50_ms']:.1f} ms"]))
    lines += ["", "`POST /v1/search` over HTTP (unique questions, no cache hits):", "",
              "| concurrency | QPS | p50 ms | p95 ms | p99 ms | errors |", "|---|---|---|---|---|---|"]
    for lv in serving["levels"]:
        lines.append(_row([lv["concurrency"], lv["throughput_qps"], lv["p50_ms"], lv["p95_ms"],
                           lv["p99_ms"], lv["errors"]]))
    if "c16_without_batching" in serving:
        lv = serving["c16_without_batching"]
        lines.append(_row(["16, micro-batching off", lv["throughput_qps"], lv["p50_ms"],
                           lv["p95_ms"], lv["p99_ms"], lv["errors"]]))
    if out.get("backends"):
        lines += ["", "Embedding backends (same model; recall on `eval/questions.jsonl`):", "",
                  "| backend | query/s single | query/s batch 16 | passages/s | build passages/s "
                  "| min cos vs torch | dense R@5 | hybrid R@5 | hybrid R@10 |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, b in out["backends"].items():
            if "skipped" in b:
                lines.append(_row([name, f"skipped: {b['skipped']}"] + [""] * 7))
                continue
            lines.append(_row([name, b["query_single_per_s"], b["query_batch16_per_s"],
                               b["passage_per_s"], b["build_passages_per_s"],
                               b.get("min_cosine_vs_torch", ""), b.get("dense.recall@5", ""),
                               b.get("hybrid.recall@5", ""), b.get("hybrid.recall@10", "")]))
    if out.get("peers"):
        ours = {lv["concurrency"]: lv for lv in serving["levels"]}.get(16, {})
        lines += ["", "Peers, same passages and model, concurrency 16:", "",
                  "| system | build s | QPS | p99 ms | RSS MiB | recall@5 |", "|---|---|---|---|---|---|",
                  _row(["ragqa (hybrid)", idx["full_build_s"], ours.get("throughput_qps", ""),
                        ours.get("p99_ms", ""), serving.get("rss_mb", ""),
                        out.get("quality", {}).get("hybrid.recall@5", "")])]
        for name, p in out["peers"].items():
            if "error" in p:
                lines.append(_row([name, "failed: " + p["error"][:80], "", "", "", ""]))
            else:
                lines.append(_row([name, p["build_s"], p["c16_throughput_qps"], p["c16_p99_ms"],
                                   p["rss_mb"], p["recall@5"]]))
    if out.get("scale"):
        d, b = out["scale"]["dense"], out["scale"]["bm25"]
        lines += ["", f"Scale ({d['vectors']:,} synthetic vectors, {b['passages']:,} synthetic "
                  "passages):", "",
                  "| part | index | build s | memory MiB | p50 ms | p99 ms | recall@10 |",
                  "|---|---|---|---|---|---|---|",
                  _row(["dense", d["index"]["type"] + (f" nlist={d['index'].get('nlist')}, "
                        f"nprobe={d['index'].get('nprobe')}" if "nlist" in d["index"] else ""),
                        d["build_s"], d["index_rss_mb"], d["p50_ms"], d["p99_ms"], d["recall@10"]]),
                  _row(["dense, exact scan", "brute force", "", "", d["exact_scan_p50_ms"], "", "1.0"]),
                  _row(["BM25", "bm25s", b["build_s"], b["index_rss_mb"], b["p50_ms"], b["p99_ms"],
                        ""])]
    if out.get("formats"):
        lines += ["", markdown_formats(out["formats"]).rstrip("\n")]
    if out.get("writes"):
        lines += ["", markdown_writes(out["writes"]).rstrip("\n")]
    lines += ["", "Targets (ratios from this one run):", "", "| target | measured | met |",
              "|---|---|---|"]
    for name, r in out["ratios"].items():
        shown = {k: v for k, v in r.items() if k != "met"}
        lines.append(_row([name, json.dumps(shown, ensure_ascii=False), "yes" if r["met"] else "**no**"]))
    return "\n".join(lines) + "\n"


def plot(out: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = out["serving"]["levels"]
    cs = [lv["concurrency"] for lv in levels]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=100)
    for key, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
        left.plot(cs, [lv[key] for lv in levels], marker="o", label=label)
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xlabel("concurrency")
    left.set_ylabel("latency (ms)")
    left.set_xticks(cs, [str(c) for c in cs])
    right.plot(cs, [lv["throughput_qps"] for lv in levels], marker="o", label="ragqa /v1/search")
    right.axhline(out["raw"]["query_batch16_per_s"], color="grey", ls="--",
                  label="raw model, batches of 16")
    for name, p in (out.get("peers") or {}).items():
        if "error" not in p:
            right.scatter([16], [p["c16_throughput_qps"]], marker="x", s=60, label=name)
    right.set_xscale("log", base=2)
    right.set_xticks(cs, [str(c) for c in cs])
    right.set_xlabel("concurrency")
    right.set_ylabel("queries/s")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"ragqa bench: {out['model']} on {out['machine']['cpus']} CPU cores", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown_writes(writes: dict) -> str:
    """The writes section: one row per store and corpus size."""
    lines = [f"Writes through the API's write path (one small document uploaded, then deleted; "
             f"{writes['repeat']} times each; corpus: {writes['corpus']}; {writes['vectors']}):",
             "", "| store | passages | documents | initial load s | upload p50 ms | upload p95 ms "
             "| delete p50 ms | delete p95 ms | model alone p50 ms | searchable / gone |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in writes["rows"]:
        if "skipped" in r:
            lines.append(_row([r["store"], f"~{r['target_passages']:,}",
                               f"skipped: {r['skipped'][:100]}"] + [""] * 7))
            continue
        checks = ("yes" if r["searchable_after_upload"] else "**no**") + " / " + (
            "yes" if r["gone_after_delete"] else "**no**")
        lines.append(_row([r["store"], f"{r['passages']:,}", f"{r['documents']:,}", r["load_s"],
                           r["upload_p50_ms"], r["upload_p95_ms"], r["delete_p50_ms"],
                           r["delete_p95_ms"], r.get("model_only_p50_ms", ""), checks]))
    lines += ["", "*model alone*: the embedding model on the note's four paragraphs, outside "
              "any store (the share of an upload that no store can avoid). p95 over "
              f"{writes['repeat']} writes is close to the slowest one."]
    synced = [r for r in writes["rows"] if "sync_store_p50_ms" in r]
    if synced:
        lines += ["", ("A folder sync after one file added, changed or removed (the store's "
                       "share, the model's time taken out):"), "",
                  ("| store | passages | sync p50 ms | store's share p50 ms (p95) | "
                   "searchable / gone |"), "|---|---|---|---|---|"]
        for r in synced:
            checks = ("yes" if r["searchable_after_sync"] else "**no**") + " / " + (
                "yes" if r["gone_after_sync"] else "**no**")
            lines.append(_row([r["store"], f"{r['passages']:,}", r["sync_p50_ms"],
                               f"{r['sync_store_p50_ms']} ({r['sync_store_p95_ms']})", checks]))
    return "\n".join(lines) + "\n"


def plot_writes(writes: dict, path: Path) -> None:
    """Latency against passages, log-log: p50 per store and operation (p95 dotted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    rows = [r for r in writes["rows"] if "skipped" not in r]
    colours = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"] * 4)
    for store in dict.fromkeys(r["store"] for r in rows):
        mine = sorted((r for r in rows if r["store"] == store), key=lambda r: r["passages"])
        xs = [r["passages"] for r in mine]
        for op, marker in (("upload", "o"), ("delete", "s")):
            colour = next(colours)
            ax.plot(xs, [r[f"{op}_p50_ms"] for r in mine], marker=marker, color=colour,
                    label=f"{store}: {op} (p50)")
            ax.plot(xs, [r[f"{op}_p95_ms"] for r in mine], ls=":", color=colour, alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("passages in the corpus")
    ax.set_ylabel("latency per write (ms)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    ax.set_title("One small document: upload, then delete (p95 dotted)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(out: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.json").write_text(json.dumps(out, indent=2, ensure_ascii=False), "utf-8")
    (folder / "report.md").write_text(markdown(out), "utf-8")
    if "serving" in out:
        plot(out, folder / "bench.png")
    if out.get("writes"):
        plot_writes(out["writes"], folder / "bench-writes.png")
