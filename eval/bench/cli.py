"""``ragqa bench``: speed on this machine, side by side with the model's own and the peers'."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ragqa.eval.bench.run import BenchPlan, run_bench
from ragqa.eval.bench.varying import VaryingPlan
from ragqa.eval.bench.writes import PIAF as DEFAULT_PIAF
from ragqa.eval.bench.writes import STORES, WritesPlan

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
@click.option("--writes", "write_sizes", default=None,
              help="Also time one small upload and its delete at these corpus sizes, in "
                   "passages (e.g. 1000,10000,100000).")
@click.option("--stores", default="files,postgres", show_default=True,
              help="Stores for --writes: files, postgres.")
@click.option("--repeat", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="Uploads and deletes per store and size for --writes.")
@click.option("--database-url", default=None,
              help="PostgreSQL server for --writes (a superuser's URL; a database per size "
                   "is created on it) [default: a throw-away pgserver].")
@click.option("--piaf", type=click.Path(path_type=Path, dir_okay=False),
              default=DEFAULT_PIAF, show_default=True,
              help="SQuAD-format file whose articles make the --writes corpora.")
@click.option("--writes-only", is_flag=True,
              help="Run only the --writes section (and --formats when given).")
@click.option("--formats", "formats", type=click.IntRange(0, 100_000), default=0,
              show_default=True, help="Also time reading each file format (docx, odt, pptx, "
              "xlsx, eml, html...) of one document of this many --piaf paragraphs (e.g. 200).")
@click.option("--varying", "varying", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Only measure serving questions whose top passages vary: "
              "the distinct questions of this SQuAD-format file (e.g. "
              "../shared/benchmarks/piaf/piaf-v1.0.json), each sent once, over its articles, "
              "at --concurrency [default 1,4,16] for --seconds each [default 20]; with each "
              "cache's hit rate and a profile of never-seen searches.")
@click.option("--varying-per-level", "per_level", type=click.IntRange(0, 1_000_000),
              default=0, show_default=True,
              help="--varying: questions per concurrency level, all measured (0: as many as "
                   "--seconds allows, after a 1 s warm-up).")
@click.option("--varying-size", "varying_size", type=click.IntRange(0, 10_000_000),
              default=0, show_default=True,
              help="--varying: grow the articles' corpus to about this many passages with "
                   "stand-in documents (seeded words of the articles, seeded random vectors; "
                   "the articles keep the model's vectors), e.g. 100000. 0: the articles alone.")
def bench_command(corpus_dir, questions_file, as_json, out_dir, quick, concurrency, seconds,
                  skip_peers, skip_backends, scale, write_sizes, stores, repeat, database_url,
                  piaf, writes_only, formats, varying, per_level, varying_size) -> None:
    """Measure the raw model, indexing, HTTP serving, embedding backends, peers, scale and
    write latency against corpus size; or, with --varying, serving questions whose top
    passages vary."""
    from ragqa.eval.bench import report
    from ragqa import wiring
    from ragqa.settings import load_settings

    levels = (1, 4) if quick else (1, 4, 16) if varying else (1, 4, 16, 64)
    if concurrency:
        try:
            levels = tuple(int(c) for c in concurrency.split(",") if c.strip())
        except ValueError:
            raise click.BadParameter("use integers, e.g. 1,4,16", param_hint="--concurrency")
        if not levels or min(levels) < 1:
            raise click.BadParameter("levels must be >= 1", param_hint="--concurrency")
    writes = None
    if write_sizes:
        try:
            sizes = tuple(int(n) for n in write_sizes.split(",") if n.strip())
        except ValueError:
            raise click.BadParameter("use integers, e.g. 1000,10000", param_hint="--writes")
        if not sizes or min(sizes) < 1:
            raise click.BadParameter("sizes must be >= 1", param_hint="--writes")
        chosen = tuple(s.strip() for s in stores.split(",") if s.strip())
        unknown = sorted(set(chosen) - set(STORES))
        if unknown or not chosen:
            raise click.BadParameter(f"use {' or '.join(STORES)}", param_hint="--stores")
        if not piaf.is_file():
            raise click.BadParameter(f"{piaf} is not a file (the PIAF set, or any SQuAD-format "
                                     "file)", param_hint="--piaf")
        writes = WritesPlan(sizes=sizes, stores=chosen, repeat=repeat, piaf=piaf,
                            database_url=database_url)
    elif writes_only and not formats:
        raise click.BadParameter("needs --writes SIZES or --formats N",
                                 param_hint="--writes-only")
    if formats and not piaf.is_file():
        raise click.BadParameter(f"{piaf} is not a file (the PIAF set, or any SQuAD-format "
                                 "file)", param_hint="--piaf")
    varying_plan = None
    if varying is not None:
        if not varying.is_file():
            raise click.BadParameter(f"{varying} is not a file (the PIAF set, or any "
                                     "SQuAD-format file)", param_hint="--varying")
        varying_plan = VaryingPlan(squad=varying, concurrency=levels,
                                   seconds=seconds or (5.0 if quick else 20.0),
                                   raw_seconds=1.0 if quick else 3.0, per_level=per_level,
                                   timed=3 if quick else 40, profiled=3 if quick else 40,
                                   size=varying_size)
    plan = BenchPlan(
        concurrency=levels,
        seconds=seconds or (2.0 if quick else 10.0),
        raw_seconds=1.0 if quick else 3.0,
        backends=not (quick or skip_backends),
        no_batching=not quick and 16 in levels,
        peers=not (quick or skip_peers),
        scale=scale,
        writes=writes,
        writes_only=writes_only,
        formats=formats,
        formats_source=piaf,
        varying=varying_plan,
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
