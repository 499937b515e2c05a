"""Write latency against corpus size: one small upload, then its delete, through the real
write path of each store (``ragqa bench --writes 1000,10000,100000``; issue 17).

For each size N and each store, a scratch corpus of about N passages is made from PIAF's
documents (``../shared/benchmarks/piaf/piaf-v1.0.json``), copied under other ids (and with
the copy's number in their first line, their title) until N passages are reached, written as
``.txt`` files. The store is brought to that corpus once (the *initial load*, timed), the
real engine is opened on it, and then ``repeat`` times a new small document of a few
paragraphs is uploaded and deleted again through the API's own write path (the store's
:meth:`~ragqa.index.store.Store.upload` and ``delete``), each operation timed on its own. After each upload a search for
the document's own made-up word must find it, and after each delete the document must be
gone (a search filtered to it is refused as unknown): the figures are for writes that
really happened.

**Synthetic vectors for the pre-existing corpus only.** Embedding 100,000 passages with the
real model takes about an hour on two CPU cores, so the *initial load* embeds the bulk
corpus with :class:`StandInEmbedder`: it carries the real model's
:class:`~ragqa.index.embedding.identity.VectorIdentity` and dimension and returns seeded, normalised
random vectors (one per text, from a hash of the text). The measured writes are real: the
engine serving them holds the real model, and since both stores reuse vectors by key, an
upload embeds exactly its own new passages with it; the corpus around it is what is
synthetic. The initial-load times are therefore *not* indexing times with the real model
(``ragqa bench``'s indexing section measures those).

**Searching over segments (files store).** The files store appends a write as a segment
and merges segments into a new generation in the background (issue 27). After the timed
writes, :func:`time_segments` merges, writes ``segments`` more notes (one segment each,
background merges held off so that exactly that many are served), merges them (timed:
what a background merge costs at that size), and times searches of PIAF's questions over
the view with the segments and over the merged one, taking turns question by question.
Both without the model (the question's vector is made beforehand): the *rankers* (BM25
and dense top-100 and the passages read: what the store's view costs) and the retriever's
whole hybrid *search* (fusion, near-duplicates, the coverage-only relevance signal).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from ragqa.eval.metrics import percentile
from ragqa.eval.squad import load_squad
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.errors import UnknownDocumentError
from ragqa.index.files.builder import update_index
from ragqa.index.files.generations import load_index
from ragqa.index.files.merge import MergePolicy
from ragqa.index.search.relevance import GENERIC
from ragqa.index.search.retriever import Retriever

logger = logging.getLogger(__name__)

SIZES = (1000, 10_000, 100_000)
STORES = ("files", "postgres")
SEGMENTS = 20  # files store: segments served while searches are timed (time_segments)
SEARCH_QUESTIONS = 60
PIAF = Path("../shared/benchmarks/piaf/piaf-v1.0.json")


@dataclass(frozen=True)
class WritesPlan:
    """What the writes section measures: corpus sizes (passages), stores and repeats."""

    sizes: tuple[int, ...] = SIZES
    stores: tuple[str, ...] = STORES
    repeat: int = 5
    piaf: Path = PIAF
    database_url: str | None = None  # postgres: this server, else a throw-away pgserver
    segments: int = SEGMENTS  # files: segments served while searches are timed (0: skip)
    sync: bool = True  # a folder sync after one file added, changed, removed (time_sync)


class StandInEmbedder:
    """Stands in for the real model while the *pre-existing* corpus is loaded: the real
    model's identity and dimension, seeded normalised random vectors (one per text, from a
    hash of the text, so the same text always gets the same vector). Never used for the
    measured writes."""

    def __init__(self, identity: VectorIdentity, dimension: int) -> None:
        self.identity = identity
        self.dimension = dimension
        self.backend = "stand-in"

    def encode_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        del progress
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(),
                                  "little")
            out[i] = np.random.default_rng(seed).standard_normal(self.dimension)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    def passage_token_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Seeded token vectors as many as the real model makes of such a text (about one
        per 6 characters of French), so that the index holds what it would."""
        out = []
        for text in texts:
            rows = max(1, len(text) // 6)
            seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(),
                                  "little")
            vectors = np.random.default_rng(seed).standard_normal((rows, self.dimension))
            out.append((vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
                       .astype(np.float16))
        return out


# ---------------------------------------------------------------------------------------
# The corpus


def piaf_articles(path: Path) -> list[tuple[str, str, str]]:
    """``(doc id stem, title, body)`` of each PIAF article (body: its paragraphs)."""
    documents, _ = load_squad(path)
    out = []
    for doc_id, text in documents.items():
        first, _, body = text.partition("\n\n")
        out.append((doc_id.removesuffix(".md"), first.removeprefix("# ").strip(), body))
    return out


def _copy_text(title: str, body: str, copy: int) -> str:
    return f"{title} (copie {copy})\n\n{body}"


def _copy_id(stem: str, copy: int) -> str:
    return f"c{copy:04d}_{stem}.txt"


def passages_per_article(articles: list[tuple[str, str, str]], settings, model,
                         identity: VectorIdentity, dimension: int, work: Path) -> list[int]:
    """How many passages the project's pipeline cuts from each article (copy 0 indexed once
    with the stand-in vectors: the count is the builder's own, not an estimate)."""
    corpus, index_dir = work / "count" / "corpus", work / "count" / "index"
    shutil.rmtree(work / "count", ignore_errors=True)
    corpus.mkdir(parents=True)
    for stem, title, body in articles:
        (corpus / _copy_id(stem, 0)).write_text(_copy_text(title, body, 0), "utf-8")
    stand_in = StandInEmbedder(identity, dimension)
    update_index(corpus, index_dir, model=model, identity=identity,
                 load_embedder=lambda: stand_in, config=settings.index_config())
    counts: dict[str, int] = {}
    for p in load_index(index_dir).passages:
        counts[p.doc_id] = counts.get(p.doc_id, 0) + 1
    shutil.rmtree(work / "count", ignore_errors=True)
    return [counts.get(_copy_id(stem, 0), 0) for stem, _, _ in articles]


def write_corpus(articles: list[tuple[str, str, str]], counts: list[int], n: int,
                 folder: Path) -> int:
    """Copies of the articles as ``.txt`` files in ``folder`` until they hold about ``n``
    passages (whole articles: it stops at the first one reaching ``n``); the expected
    passage count."""
    if not any(counts):
        raise ValueError("the PIAF articles cut into no passages")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    used, copy = 0, 0
    while used < n:
        for (stem, title, body), count in zip(articles, counts):
            if not count:
                continue
            (folder / _copy_id(stem, copy)).write_text(_copy_text(title, body, copy), "utf-8")
            used += count
            if used >= n:
                break
        copy += 1
    return used


def _marker(i: int) -> str:
    """A made-up word, unique to upload ``i`` (a letter per digit: no number splitting)."""
    return "zorvelinde" + "".join(chr(ord("a") + int(d)) for d in f"{i:04d}")


def small_document(i: int) -> tuple[str, bytes, str]:
    """``(doc id, bytes, question)``: upload ``i``, a note of four short paragraphs about
    a made-up place, and a question naming it."""
    doc_id, text, question = _note(i)
    return doc_id, text.encode("utf-8"), question


def _note(i: int) -> tuple[str, str, str]:
    place = _marker(i)
    paragraphs = [
        f"Compte rendu du conseil de quartier de {place}, séance {i}.",
        (f"Le raccordement de {place} à la fibre optique avance : {120 + i} foyers de plus "
         "ont été raccordés ce mois-ci, et les travaux de la rue principale finiront au "
         "printemps."),
        ("La bibliothèque municipale ouvrira désormais le samedi après-midi ; les horaires "
         "du marché ne changent pas."),
        (f"Prochaine réunion à {place} le premier mardi du mois prochain, à 18 heures, à la "
         "salle des fêtes."),
    ]
    text = "\n\n".join(paragraphs) + "\n"
    return (f"bench-writes/note-{i:04d}.txt", text,
            f"Combien de foyers ont été raccordés à la fibre à {place} ?")


# ---------------------------------------------------------------------------------------
# Timing


def _found(engine, question: str, doc_id: str) -> bool:
    return any(hit.doc_id == doc_id for hit in engine.retriever.search(question, k=10).hits)


def _gone(engine, question: str, doc_id: str) -> bool:
    """Whether ``doc_id`` is unknown to the served index (a filter naming it is refused)
    and absent from the hits of ``question``."""
    try:
        engine.retriever.search(question, k=10, doc_ids=[doc_id])
    except UnknownDocumentError:
        return not _found(engine, question, doc_id)
    return False


def time_writes(engine, repeat: int, *, first: int = 0) -> dict:
    """Upload then delete a new small document ``repeat`` times through ``engine``'s store;
    milliseconds per operation, and whether every upload was searchable and every delete
    removed it."""
    upload_ms: list[float] = []
    delete_ms: list[float] = []
    # The model alone on the notes' paragraphs: the part of an upload no store can avoid.
    embed_ms: list[float] = []
    for i in range(first, first + repeat):
        paragraphs = _note(i)[1].split("\n\n")
        started = time.perf_counter()
        engine.embedder.encode_passages(paragraphs)
        embed_ms.append((time.perf_counter() - started) * 1000)
    searchable = removed = True
    statuses: set[str] = set()
    # The model's share of each upload, timed inside it: the store's own share is the rest.
    store_ms: list[float] = []
    with _model_time(engine.embedder) as model_s:
        for i in range(first, first + repeat):
            doc_id, data, question = small_document(i)
            model_s[0] = 0.0
            started = time.perf_counter()
            result = engine.store.upload(doc_id, data)
            upload_ms.append((time.perf_counter() - started) * 1000)
            store_ms.append(upload_ms[-1] - model_s[0] * 1000)
            statuses.add(result.status)
            searchable = searchable and _found(engine, question, doc_id)
            started = time.perf_counter()
            engine.store.delete(doc_id)
            delete_ms.append((time.perf_counter() - started) * 1000)
            # Another wording than the one searched above: no result cache can answer it.
            removed = removed and _gone(engine, question.replace("Combien", "Quel nombre"),
                                        doc_id)
    return {
        "repeat": repeat,
        "upload_p50_ms": round(percentile(upload_ms, 50), 1),
        "upload_p95_ms": round(percentile(upload_ms, 95), 1),
        "delete_p50_ms": round(percentile(delete_ms, 50), 1),
        "delete_p95_ms": round(percentile(delete_ms, 95), 1),
        "model_only_p50_ms": round(percentile(embed_ms, 50), 1),
        "upload_store_p50_ms": round(percentile(store_ms, 50), 1),
        "upload_store_p95_ms": round(percentile(store_ms, 95), 1),
        "upload_ms": [round(v, 1) for v in upload_ms],
        "delete_ms": [round(v, 1) for v in delete_ms],
        "upload_statuses": sorted(statuses),
        "searchable_after_upload": searchable,
        "gone_after_delete": removed,
    }


@contextmanager
def _model_time(embedder) -> Iterator[list[float]]:
    """Seconds spent in ``embedder.encode_passages`` (the one model call of an upload),
    added up in the list's only item while the block runs (the caller zeroes it)."""
    spent = [0.0]
    encode = embedder.encode_passages

    def timed(texts, *args, **kwargs):
        started = time.perf_counter()
        try:
            return encode(texts, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    embedder.encode_passages = timed
    try:
        yield spent
    finally:
        del embedder.encode_passages  # the method again


def time_sync(engine, repeat: int, *, first: int) -> dict:
    """A folder sync (``ragqa serve --watch``, ``ragqa index``) after one file changed:
    ``repeat`` times a note is written into the corpus folder (added), then rewritten
    (changed), then removed, each followed by a timed ``store.sync()``; milliseconds per
    sync, and the store's share (the model's time inside the sync taken out). Checked: the
    note is searchable after it is added and gone after it is removed."""
    store = engine.store
    corpus = Path(store.corpus_dir)
    total: dict[str, list[float]] = {"added": [], "changed": [], "removed": []}
    own: dict[str, list[float]] = {"added": [], "changed": [], "removed": []}
    searchable = removed = True
    segments = 0
    with _model_time(engine.embedder) as model_s:
        for i in range(first, first + repeat):
            doc_id, text, question = _note(i)
            doc_id = doc_id.replace("bench-writes/", "bench-sync/")
            target = corpus / doc_id
            target.parent.mkdir(parents=True, exist_ok=True)
            for kind in ("added", "changed", "removed"):
                if kind == "added":
                    target.write_text(text, "utf-8")
                elif kind == "changed":
                    target.write_text(text + "Le marché aura lieu le jeudi.\n", "utf-8")
                else:
                    target.unlink()
                model_s[0] = 0.0
                started = time.perf_counter()
                store.sync()
                total[kind].append((time.perf_counter() - started) * 1000)
                own[kind].append(total[kind][-1] - model_s[0] * 1000)
                segments = max(segments, len(getattr(store.view(), "segments", ())))
                if kind == "added":
                    searchable = searchable and _found(engine, question, doc_id)
                elif kind == "removed":
                    removed = removed and _gone(engine, question, doc_id)
    every = [v for kind in own for v in own[kind]]
    return {
        "sync_p50_ms": round(percentile([v for k in total for v in total[k]], 50), 1),
        "sync_store_p50_ms": round(percentile(every, 50), 1),
        "sync_store_p95_ms": round(percentile(every, 95), 1),
        **{f"sync_{kind}_store_ms": [round(v, 1) for v in own[kind]] for kind in own},
        "sync_segments_served": segments,
        "searchable_after_sync": searchable,
        "gone_after_sync": removed,
    }


def time_first_sync(open_store: Callable[[], object], repeat: int) -> dict:
    """A new process's first folder sync (``ragqa index``, a server's start) when nothing
    changed since the last sync: a store opened anew syncs the folder once (untimed: what
    a process before it did), then ``repeat`` times a store opened anew (nothing in its
    memory) syncs it, timed; each must find the database up to date."""
    timings: list[float] = []
    up_to_date = True
    for i in range(repeat + 1):
        store = open_store()
        try:
            started = time.perf_counter()
            report = store.sync()
            if i:
                timings.append((time.perf_counter() - started) * 1000)
                up_to_date = up_to_date and report.up_to_date
        finally:
            store.close()
    return {"first_sync_unchanged_ms": [round(v, 1) for v in timings],
            "first_sync_unchanged_p50_ms": round(percentile(timings, 50), 1),
            "first_sync_up_to_date": up_to_date}


def time_search(engine, views: dict[str, object], questions: list[str], vectors: np.ndarray,
                rounds: int = 5) -> dict:
    """Milliseconds per search over each of ``views`` (by name), the question's vector
    given: the rankers alone (BM25 and dense top-100, the best passages read) and the
    retriever's whole hybrid search with the coverage-only relevance signal (the model
    aside: the measured signals may run it on the best passage). The views take turns
    question by question, so that the machine's load weighs on them alike; ``*_ratio_p50``:
    the median of the per-question ratios to the first view; ``same_hits_share``: the share
    of searches whose hits (documents and offsets, in order) are the first view's."""
    params = replace(engine.params, relevance=GENERIC, relevance_lexical=GENERIC,
                     relevance_dense=None, relevance_crosslingual=None)
    retrievers = {name: Retriever(view, engine.embedder, params) for name, view in views.items()}
    rankers: dict[str, list[float]] = {name: [] for name in views}
    search: dict[str, list[float]] = {name: [] for name in views}
    # What each search returned: the views hold the same passages, so the same hits are
    # expected; where they differ (fused scores tied, broken by row), the searches compared
    # did different work (another best passage analysed).
    found: dict[str, list[list[tuple[str, int]]]] = {name: [] for name in views}
    for _ in range(rounds):
        for question, vector in zip(questions, vectors):
            for name, view in views.items():
                started = time.perf_counter()
                lexical, _ = view.lexical_top(question, 100)
                dense, _ = view.dense_top(vector, 100)
                view.passages_of([*lexical[:20].tolist(), *dense[:20].tolist()])
                rankers[name].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                result = retrievers[name].search(question, k=5, mode="hybrid",
                                                 query_vector=vector)
                search[name].append((time.perf_counter() - started) * 1000)
                found[name].append([(hit.doc_id, hit.start) for hit in result.hits])
    first = next(iter(views))
    out = {}
    for name in views:
        out[name] = {"rankers_p50_ms": round(percentile(rankers[name], 50), 3),
                     "rankers_p95_ms": round(percentile(rankers[name], 95), 3),
                     "search_p50_ms": round(percentile(search[name], 50), 3),
                     "search_p95_ms": round(percentile(search[name], 95), 3)}
        if name != first:
            for kind, times in (("rankers", rankers), ("search", search)):
                ratios = [a / b for a, b in zip(times[name], times[first]) if b > 0]
                out[name][f"{kind}_ratio_p50"] = round(percentile(ratios, 50), 3)
            same = sum(a == b for a, b in zip(found[name], found[first]))
            out[name]["same_hits_share"] = round(same / max(1, len(found[first])), 3)
    return out


def time_segments(engine, questions: list[str], segments: int, *, first: int) -> dict:
    """Search latency over a generation plus ``segments`` segments (``segments`` notes
    uploaded, one segment each) and over the generation they merge into (the same
    passages); the merge's seconds. Background merges are held off meanwhile, so exactly
    that many segments are served."""
    store = engine.store
    policy = store.merge_policy
    store.merge_policy = MergePolicy(background=False)
    try:
        store.merge()  # from one generation: the timed writes left segments
        for i in range(first, first + segments):
            doc_id, data, _ = small_document(i)
            store.upload(doc_id, data)
        segmented = store.view()
        started = time.perf_counter()
        report = store.merge()
        merge_s = time.perf_counter() - started
        merged = store.view()
    finally:
        store.merge_policy = policy
    vectors = engine.embedder.encode_queries(questions)
    timed = time_search(engine, {"merged": merged, "with_segments": segmented}, questions,
                        vectors)
    return {"segments": len(segmented.segments),
            "segment_passages": segmented.size - segmented.base.size,
            "merge_s": round(merge_s, 1),
            "merge_embedded": report.embedded if report is not None else None, **timed}


# ---------------------------------------------------------------------------------------
# The stores


@dataclass(frozen=True)
class Loaded:
    """A store brought to a corpus: the engine over it, the load's seconds and counts."""

    engine: object
    load_s: float
    documents: int
    passages: int
    # Another process's store over the same corpus and index (time_first_sync), if timed.
    open_store: Callable[[], object] | None = None


def load_files(settings, model, embedder, corpus: Path, index_dir: Path) -> Loaded:
    """The files store: generation 1 built with the stand-in vectors, then the real
    engine (the real model) opened on it."""
    from ragqa import wiring

    stand_in = StandInEmbedder(embedder.identity, embedder.dimension)
    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    report = update_index(corpus, index_dir, model=model, identity=embedder.identity,
                          load_embedder=lambda: stand_in, config=settings.index_config())
    load_s = time.perf_counter() - started
    files = settings.model_copy(update={"corpus_dir": corpus, "index_dir": index_dir})
    engine = wiring.start(files, update=False, model=model, embedder=embedder).engine
    # The collector's first passes over the index just loaded (a million objects at 100k
    # passages) would otherwise land in the first timed writes; a server makes them long
    # before its writes, once.
    gc.collect()
    return Loaded(engine, round(load_s, 1), report.documents, report.passages)


def load_postgres(settings, model, embedder, corpus: Path, url: str) -> Loaded:
    """The PostgreSQL store: the real engine opened on an empty database (migrated,
    identity recorded), then the corpus indexed into it with the stand-in vectors by the bulk
    entry point ``ragqa index`` uses. Needs the ``postgres`` extra (ImportError without)."""
    from ragqa.index.pg.connect import connect
    from ragqa.index.pg.indexing import index_corpus_into

    from ragqa import wiring

    pg = settings.model_copy(update={"corpus_dir": corpus, "store": "postgres",
                                     "database_url": url})
    engine = wiring.start(pg, update=False, model=model, embedder=embedder).engine
    stand_in = StandInEmbedder(embedder.identity, embedder.dimension)
    started = time.perf_counter()
    conn = connect(url)
    try:
        report = index_corpus_into(conn, corpus, config=pg.index_config(),
                                   contextual=embedder.identity.embed_context,
                                   load_embedder=lambda: stand_in, model_name=model.name,
                                   fallback=model.fallback)
        conn.execute("VACUUM ANALYZE")
    finally:
        conn.close()
    load_s = time.perf_counter() - started
    return Loaded(engine, round(load_s, 1), report.documents, report.passages,
                  open_store=lambda: wiring.open_store(pg, model, embedder=embedder))


def _close(engine) -> None:
    engine.close()


@contextmanager
def _databases(plan: WritesPlan) -> Iterator[Callable[[str], str]]:
    """A fresh database's URL by name, on ``plan.database_url``'s server or a pgserver."""
    from ragqa.eval.pg_server import database_server, fresh_database

    with database_server(plan.database_url) as (admin_url, url_for):
        yield lambda name: fresh_database(admin_url, url_for, name)


def run_writes(settings, model, embedder, work: Path, plan: WritesPlan,
               say: Callable[[str], None] = logger.info) -> dict:
    """The ``writes`` section of ``ragqa bench``: one row per store and size."""
    articles = piaf_articles(plan.piaf)
    asked = [q.question for q in load_squad(plan.piaf)[1]]
    questions = asked[:: max(1, len(asked) // SEARCH_QUESTIONS)][:SEARCH_QUESTIONS]
    work.mkdir(parents=True, exist_ok=True)
    say(f"writes: cutting PIAF's {len(articles)} articles once to count their passages")
    counts = passages_per_article(articles, settings, model, embedder.identity,
                                  embedder.dimension, work)
    embedder.encode_passages(["Une phrase pour charger le modèle."])  # not in any timing
    rows: list[dict] = []
    databases = _databases(plan) if "postgres" in plan.stores else nullcontext(None)
    with databases as database:
        for n in plan.sizes:
            corpus = work / f"corpus-{n}"
            expected = write_corpus(articles, counts, n, corpus)
            for store in plan.stores:
                say(f"writes: {store} store, about {n:,} passages ({expected:,} expected); "
                    f"{plan.repeat} uploads and deletes")
                row = {"store": store, "target_passages": n}
                try:
                    if store == "files":
                        loaded = load_files(settings, model, embedder, corpus,
                                            work / f"index-{n}")
                    elif store == "postgres":
                        loaded = load_postgres(settings, model, embedder, corpus,
                                               database(f"ragqa_bench_writes_{n}"))
                    else:
                        raise ValueError(f"unknown store {store!r}; use files or postgres")
                except ImportError as exc:  # the store is not in this version of ragqa
                    rows.append({**row, "skipped": f"{type(exc).__name__}: {exc}"})
                    continue
                try:
                    timed = time_writes(loaded.engine, plan.repeat)
                    if plan.sync:
                        say(f"writes: {store} {loaded.passages:,} passages: a sync after "
                            "one file changed")
                        timed.update(time_sync(loaded.engine, plan.repeat,
                                               first=plan.repeat + plan.segments))
                    if loaded.open_store is not None:
                        say(f"writes: {store} {loaded.passages:,} passages: a new process's "
                            "first sync, nothing changed")
                        timed.update(time_first_sync(loaded.open_store, plan.repeat))
                    if store == "files" and plan.segments and questions:
                        say(f"writes: files {loaded.passages:,} passages: searches over "
                            f"{plan.segments} segments, then merged")
                        timed["search"] = time_segments(loaded.engine, questions,
                                                        plan.segments, first=plan.repeat)
                finally:
                    _close(loaded.engine)
                rows.append({**row, "documents": loaded.documents, "passages": loaded.passages,
                             "load_s": loaded.load_s, **timed})
                say(f"writes: {store} {loaded.passages:,} passages: upload p50 "
                    f"{timed['upload_p50_ms']:.0f} ms, delete p50 {timed['delete_p50_ms']:.0f} ms")
            shutil.rmtree(corpus, ignore_errors=True)
            shutil.rmtree(work / f"index-{n}", ignore_errors=True)
    return {
        "repeat": plan.repeat,
        "corpus": f"PIAF articles copied under other ids ({plan.piaf.name})",
        "vectors": "initial corpus: seeded stand-in vectors with the real model's identity; "
                   "the measured uploads embed their own passages with the real model",
        "rows": rows,
    }
