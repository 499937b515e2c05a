"""``ragqa bench``: speed on this machine, side by side with the model's own and the peers'."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ragqa.eval.bench.run import BenchPlan, run_bench

DEFAULT_QUESTIONS = Path("eval/questions.jsonl")


@click.command("bench")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Corpus folder [env RAGQA_CORPUS_DIR, default ./corpus].")
@click.option("--questions", "questions_file", type=click.Path(path_type=Path),
              default=DEFAULT_QUESTIONS, show_default=True,
              help="Question set for the recall figures.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Write bench.json, report.md and bench.png here.")
@click.option("--quick", is_flag=True,
              help="Short run: concurrency 1 and 4, 2 s each, no backends, no peers.")
@click.option("--concurrency", default=None, help="Comma-separated levels [default 1,4,16,64].")
@click.option("--seconds", type=click.FloatRange(0.5, 600), default=None,
              help="Seconds of load per concurrency level [default 10].")
@click.option("--skip-peers", is_flag=True, help="Do not run txtai and LangChain.")
@click.option("--skip-backends", is_flag=True, help="Do not compare ONNX/OpenVINO/int8.")
@click.option("--scale", type=click.IntRange(0, 10_000_000), default=0, show_default=True,
              help="Also index this many synthetic vectors and passages (e.g. 1000000).")
def bench_command(corpus_dir, questions_file, as_json, out_dir, quick, concurrency, seconds,
                  skip_peers, skip_backends, scale) -> None:
    """Measure the raw model, indexing, HTTP serving, embedding backends, peers and scale."""
    from ragqa.eval.bench import report
    from ragqa import wiring
    from ragqa.settings import load_settings

    levels = (1, 4) if quick else (1, 4, 16, 64)
    if concurrency:
        try:
            levels = tuple(int(c) for c in concurrency.split(",") if c.strip())
        except ValueError:
            raise click.BadParameter("use integers, e.g. 1,4,16", param_hint="--concurrency")
        if not levels or min(levels) < 1:
            raise click.BadParameter("levels must be >= 1", param_hint="--concurrency")
    plan = BenchPlan(
        concurrency=levels,
        seconds=seconds or (2.0 if quick else 10.0),
        raw_seconds=1.0 if quick else 3.0,
        backends=not (quick or skip_backends),
        no_batching=not quick and 16 in levels,
        peers=not (quick or skip_peers),
        scale=scale,
    )
    settings = load_settings(corpus_dir=corpus_dir)
    model = wiring.resolve(settings)
    work = Path(".ragqa/bench/work").resolve()
    out = run_bench(settings, model, questions_file, work, plan)
    if out_dir is not None:
        report.write(out, out_dir)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        click.echo(report.markdown(out))
