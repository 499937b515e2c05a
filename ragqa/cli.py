"""The ``ragqa`` command line. Turns ragqa's errors into one line on stderr and an exit code.

Exit codes: 0 success, 1 unexpected failure, 2 usage, bad setting or bad question, 3 bad document or
missing/empty corpus, 4 missing/corrupt/busy/unwritable index, model mismatch, unreachable
store or its extra not installed, 5 embedding model unavailable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import textwrap
import time
from pathlib import Path

import click
from ragqa.index.records import BuildReport
from ragqa.index.errors import (
    ConfigError,
    DocumentError,
    EmptyCorpusError,
    IndexBusyError,
    IndexCorruptError,
    IndexMissingError,
    IndexWriteError,
    MissingExtraError,
    ModelMismatchError,
    ModelUnavailableError,
    QueryError,
    RagqaError,
)
from ragqa.index.pg.errors import StoreError
from ragqa.progress import embedding_progress
from ragqa.settings import check_folders, load_settings

# The most specific type listed decides (MissingExtraError is a ConfigError).
EXIT_CODES: dict[type[RagqaError], int] = {
    ConfigError: 2,
    MissingExtraError: 4,  # e.g. RAGQA_STORE=postgres without the postgres extra
    QueryError: 2,
    DocumentError: 3,
    EmptyCorpusError: 3,
    IndexMissingError: 4,
    IndexCorruptError: 4,
    IndexBusyError: 4,
    IndexWriteError: 4,
    ModelMismatchError: 4,
    StoreError: 4,  # the PostgreSQL store: unreachable, no pgvector, schema newer...
    ModelUnavailableError: 5,
}


def fail(message: str, code: int) -> None:
    click.echo(f"ragqa: error: {message}", err=True)
    sys.exit(code)


# click >= 8.2 reports a group run without a command as this usage error (8.1 exits 0).
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())

# Commands whose modules load only when they run (or when --help lists them): the eval and
# bench stacks are most of what `ragqa ask` would otherwise import before it starts.
LAZY_COMMANDS = ("bench", "eval")


class RagqaGroup(click.Group):
    """Runs a subcommand and maps our errors to a one-line message and an exit code; a
    usage error is one line too (``ragqa: error: …; see 'ragqa ask --help'``, exit 2)."""

    def main(self, *args, **kwargs):  # type: ignore[override]
        kwargs["standalone_mode"] = False  # click's errors come here, not to its 3 lines
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            if isinstance(exc, _NO_ARGS_IS_HELP):  # `ragqa` alone: its help (click >= 8.2)
                exc.show()
                sys.exit(exc.exit_code)
            see = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            fail(f"{exc.format_message()}{see}", exc.exit_code)
        except click.ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        except click.exceptions.Abort:
            fail("interrupted", 130)
        sys.exit(code if isinstance(code, int) else 0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "eval":
            from ragqa.eval.cli import eval_command

            return eval_command
        if name == "bench":
            from ragqa.eval.bench.cli import bench_command

            return bench_command
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except RagqaError as exc:
            code = next((EXIT_CODES[t] for t in type(exc).__mro__ if t in EXIT_CODES), 1)
            fail(str(exc), code)
        except KeyboardInterrupt:
            fail("interrupted; the served index is unchanged", 130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - last resort: one line, details with -v
            logging.getLogger(__name__).debug("unexpected failure", exc_info=True)
            fail(f"unexpected failure: {type(exc).__name__}: {exc} (details: ragqa -v "
                 f"{ctx.invoked_subcommand or ''} ...)", 1)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="ragqa: %(message)s",
        stream=sys.stderr,
    )
    # (pypdf's warnings name no file, and a PDF it cannot read is listed as refused anyway)
    for noisy in ("sentence_transformers", "transformers", "huggingface_hub", "bm25s", "httpx",
                  "pypdf"):
        logging.getLogger(noisy).setLevel(logging.ERROR if not verbose else logging.INFO)
    # Progress of the one-off model conversion and export (a first start): a line every 10 s.
    if not verbose:
        logging.getLogger("ragqa.index.embedding.isolated").setLevel(logging.INFO)
        # What a PostgreSQL `ragqa index` reclaimed (rows no stored passage holds): one line.
        logging.getLogger("ragqa.index.pg.reclaim").setLevel(logging.INFO)


@click.group(cls=RagqaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.version_option(package_name="ragqa")
def main(verbose: bool) -> None:
    """ragqa: answers from your documents, proven with exact quotes."""
    _setup_logging(verbose)


corpus_option = click.option(
    "--corpus", "corpus_dir", type=click.Path(path_type=Path),
    help="Corpus folder [env RAGQA_CORPUS_DIR, default ./corpus].",
)
index_option = click.option(
    "--index", "index_dir", type=click.Path(path_type=Path),
    help="Index folder [env RAGQA_INDEX_DIR, default ./.ragqa/index].",
)


# Beyond this many refused files the rest are counted, not listed (the manifest and
# GET /v1/documents list them all).
_REFUSED_SHOWN = 20


def echo_refused(report: BuildReport) -> None:
    """One stderr line per corpus file left out of the index, with the reason."""
    for doc_id, reason in list(report.refused.items())[:_REFUSED_SHOWN]:
        click.echo(f"  refused: {doc_id}: {reason}", err=True)
    if len(report.refused) > _REFUSED_SHOWN:
        click.echo(f"  ... and {len(report.refused) - _REFUSED_SHOWN} more refused files "
                   "(GET /v1/documents lists them all)", err=True)


def echo_other_files(corpus_dir: Path) -> int:
    """One stderr line per file of the corpus folder whose type the indexer does not read
    (a ``.doc`` says to save it as ``.docx``); how many there are."""
    from ragqa.index.documents.corpus import other_files
    from ragqa.index.documents.loaders import unsupported

    found = other_files(corpus_dir)
    for doc_id in found[:_REFUSED_SHOWN]:
        click.echo(f"  skipped: {unsupported(doc_id, listed=False)}", err=True)
    if len(found) > _REFUSED_SHOWN:
        click.echo(f"  ... and {len(found) - _REFUSED_SHOWN} more files of other types",
                   err=True)
    return len(found)


def describe_build(report: BuildReport, corpus_dir: Path, index_dir: Path | str) -> str:
    model = f"{report.model}{' (fallback)' if report.fallback else ''}"
    count = len(report.refused)
    refused = f"; {count} file{'s' if count > 1 else ''} refused" if count else ""
    if report.up_to_date:
        return (
            f"index {index_dir} is up to date with {corpus_dir}: {report.documents} documents, "
            f"{report.passages} passages, generation {report.generation}, model {model} "
            f"({report.seconds:.2f} s){refused}"
        )
    return (
        f"indexed {corpus_dir} into {index_dir} (generation {report.generation}"
        f"{', full rebuild' if report.rebuilt else ''}): {len(report.added)} added, "
        f"{len(report.changed)} changed, {len(report.removed)} removed, "
        f"{report.unchanged} unchanged; {report.documents} documents, {report.passages} passages "
        f"({report.embedded} embedded, {report.reused} reused"
        f"{f'; {report.sentences_embedded} sentences embedded' if report.sentences_embedded else ''}"
        f"{f', {report.tokens_embedded} passages read for tokens' if report.tokens_embedded else ''}"
        f") in {report.seconds:.1f} s with model {model}{refused}"
    )


def corpus_index_dir(corpus_dir: Path) -> Path:
    """The index of ``ragqa ask --corpus DIR`` without ``--index``: a folder of its own for
    DIR (``.ragqa/indexes/<name>-<hash of its absolute path>``), so asking about another
    folder never rebuilds the default index with it."""
    folder = corpus_dir.expanduser().resolve()
    digest = hashlib.sha256(str(folder).encode("utf-8")).hexdigest()[:12]
    return Path(".ragqa") / "indexes" / f"{folder.name or 'corpus'}-{digest}"


@main.command("index")
@corpus_option
@index_option
@click.option("--rebuild", is_flag=True, help="Re-embed everything instead of updating.")
@click.option("--strict", is_flag=True, help="Fail (exit 3, index unchanged) if any corpus "
              "file cannot be indexed, instead of indexing the others and listing it.")
def index_command(
    corpus_dir: Path | None, index_dir: Path | None, rebuild: bool, strict: bool,
) -> None:
    """Build or incrementally update the index from the corpus folder.

    Files that cannot be indexed (unreadable, too large, binary, a broken PDF) are left
    out and listed on stderr with the reason; the rest is indexed.
    """
    from ragqa import wiring

    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    check_folders(settings, indexing=True)  # before the model: a typo fails in a second
    model = wiring.resolve(settings)
    with wiring.opened_store(settings, model) as store:
        report = store.sync(rebuild=rebuild, strict=strict, progress=embedding_progress())
        location = store.location
    for label, ids in (("added", report.added), ("changed", report.changed),
                       ("removed", report.removed)):
        for doc_id in ids:
            click.echo(f"  {label}: {doc_id}")
    echo_refused(report)
    skipped = echo_other_files(settings.corpus_dir)
    click.echo(describe_build(report, settings.corpus_dir, location)
               + (f"; {skipped} file{'s' if skipped > 1 else ''} of other types skipped"
                  if skipped else ""))


@main.command("ask")
@click.argument("question")
@click.option("-k", "k", type=click.IntRange(1, 50), default=5, show_default=True,
              help="Number of passages.")
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "dense"]), default=None,
              help="Retrieval mode [default: RAGQA_RETRIEVAL_MODE or hybrid].")
@click.option("--json", "as_json", is_flag=True, help="Print the /v1/search response body.")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path),
              help="Corpus folder [env RAGQA_CORPUS_DIR, default ./corpus]; without --index, "
              "it gets an index of its own under .ragqa/indexes/.")
@index_option
def ask_command(
    question: str, k: int, mode: str | None, as_json: bool,
    corpus_dir: Path | None, index_dir: Path | None,
) -> None:
    """Print the passages that best answer QUESTION, with citations."""
    from ragqa.index.search.retriever import validate_question
    from ragqa import wiring
    from ragqa.service.headings import shown_from
    from ragqa.service.schemas import search_response

    validate_question(question)  # fail before loading anything
    if corpus_dir is not None and index_dir is None:
        index_dir = corpus_index_dir(corpus_dir)  # never the default (served) index
    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    check_folders(settings)  # before the model loads (seconds)
    ready = wiring.start(settings, progress=embedding_progress())  # a build says how it goes
    report, eng = ready.report, ready.engine
    if report is not None and not report.up_to_date:
        echo_refused(report)
        click.echo(describe_build(report, settings.corpus_dir, settings.index_dir), err=True)
    started = time.perf_counter()
    found = eng.search(question, k, mode=mode)
    took = (time.perf_counter() - started) * 1000
    body = search_response(found.result, took_ms=took, highlights=found.highlights,
                           query=found.query, answers=found.answers)
    if as_json:
        click.echo(json.dumps(body.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    if not body.passages:
        click.echo("No passage matches this question.")
        return
    if body.low_relevance:
        # Said before the passages, so nobody reads them as answers first.
        click.echo(click.style(
            f"Low relevance ({body.relevance or 0:.0%}): the documents probably do not answer this "
            "question; below are the closest passages.", fg="yellow", bold=True))
    else:
        click.echo(f"Relevance {body.relevance or 0:.0%}: estimated probability that the first "
                   "passage answers.")
    if body.retrieval.query.strip() != question.strip():
        # a typo or unaccented words read as the documents write them (retrieval.query)
        click.echo(f"Searched for: {body.retrieval.query}")
    click.echo()
    for p in body.passages:
        # The fusion's score, comparable within this answer only (normalised per question; the
        # top passages are reordered after it): not a confidence, which the relevance line is.
        click.echo(click.style(f"{p.rank}. {p.title}", bold=True)
                   + f"  (retrieval score {p.score:.3f})")
        if p.section != p.title:
            click.echo(f"   section: {p.section}")
        # The quote without its first lines where they repeat the title or the section
        # printed above it; the offsets are those of what is printed.
        at = shown_from(p.quote, p.title, p.section)
        page = f", page {p.page}" if p.page else ""
        click.echo(f"   {p.doc_id} [{p.start + at}:{p.end}]{page}")
        if p.highlight is not None:  # the sentence that best answers, as the widget marks it
            sentence = p.quote[p.highlight.start - p.start:p.highlight.end - p.start]
            for number, line in enumerate(textwrap.wrap(" ".join(sentence.split()), width=94)):
                click.echo(click.style(f"   {'»' if number == 0 else ' '} {line}", bold=True))
        # The quote's own lines (a sheet's rows, a list's items), each wrapped: one block of
        # text read as a wall.
        for row in p.quote[at:].split("\n"):
            for line in textwrap.wrap(" ".join(row.split()), width=96):
                click.echo(f"   | {line}")
        click.echo()
    fallback = " (fallback model)" if body.retrieval.fallback else ""
    click.echo(f"{body.retrieval.mode} retrieval with {body.retrieval.model}{fallback}, "
               f"{body.took_ms:.0f} ms")


def check_listen(host: str, port: int) -> None:
    """:class:`ConfigError` naming the setting when ``host:port`` cannot be listened on (an
    unknown address, a port in use or reserved), as uvicorn would find only after the index
    is brought up to date; the socket is closed again at once."""
    import errno
    import socket

    try:  # every address the server will bind, as asyncio finds them ("": all interfaces)
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConfigError(f"RAGQA_HOST (--host): cannot listen on {host!r}: "
                          f"{getattr(exc, 'strerror', None) or exc}") from None
    for family, kind, proto, _, address in dict.fromkeys(found):
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio binds
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                # an address of no interface of this machine is the host's fault, a port
                # in use or reserved the port's
                setting = ("RAGQA_HOST (--host)" if exc.errno == errno.EADDRNOTAVAIL
                           else "RAGQA_PORT (--port)")
                raise ConfigError(f"{setting}: cannot listen on {host}:{port}: "
                                  f"{exc.strerror or exc}") from None


@main.command("serve")
@click.option("--host", default=None, help="Address to listen on [env RAGQA_HOST, default "
              "127.0.0.1].")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port [env RAGQA_PORT, default 8000].")
@click.option("--watch", is_flag=True, default=None,
              help="Index the corpus folder's changes (files added, changed, removed) within "
              "seconds [env RAGQA_WATCH].")
@corpus_option
@index_option
def serve_command(
    host: str | None, port: int | None, watch: bool | None, corpus_dir: Path | None,
    index_dir: Path | None,
) -> None:
    """Update the index if the corpus changed, then serve the HTTP API."""
    import uvicorn

    from ragqa import wiring
    from ragqa.service.app import create_app
    from ragqa.service.audit import open_audit_log

    settings = load_settings(host=host, port=port, corpus_dir=corpus_dir, index_dir=index_dir,
                             watch=watch)
    check_folders(settings)  # before the model loads (seconds)
    check_listen(settings.host, settings.port)  # a port in use fails now, not after indexing
    open_audit_log(settings.audit_log)  # and an audit log that cannot be written
    model = wiring.resolve(settings)
    click.echo(f"checking the index of {settings.corpus_dir} ...", err=True)
    # The index is updated and opened here, before uvicorn starts, with one embedder: a
    # broken index is a one-line error, not a failed application start-up.
    ready = wiring.start(settings, model=model, progress=embedding_progress())
    if ready.report is not None:
        echo_refused(ready.report)
        click.echo(describe_build(ready.report, settings.corpus_dir,
                                  ready.engine.store.location), err=True)
    else:  # a store that is the truth (PostgreSQL holding documents): served as it is
        documents, passages = ready.engine.index.counts()
        click.echo(f"serving {ready.engine.store.location} as it is: {documents} documents, "
                   f"{passages} passages (`ragqa index` brings it in line with "
                   f"{settings.corpus_dir})", err=True)
    app = create_app(settings, engine=ready.engine)
    click.echo(f"serving on http://{settings.host}:{settings.port} (docs at /docs)", err=True)
    # Under RAGQA_AUTH=header the peer is checked against RAGQA_TRUSTED_PROXIES: it must be
    # the socket's own, never one read from X-Forwarded-For (anyone can send that header).
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info",
                proxy_headers=settings.auth != "header")



if __name__ == "__main__":  # pragma: no cover
    main()
