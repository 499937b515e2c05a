"""Questions as people type them: ``python -m ragqa.eval.typed_questions``.

Users often type a question without its accents or its capitals ("combien d'abonnes a
inwi"), or with a typo. The service reads such a question with its words in the forms
BM25's top passages for it write them in (:mod:`ragqa.index.search.typed`,
``RAGQA_QUESTION_FORMS``), and a word the index holds no term of as the nearest word those
passages write (``RAGQA_QUESTION_TYPOS``), and ``ragqa eval`` measures it so. This writes
variants of a question set, each a file for ``ragqa eval --translations`` (which asks the
set's questions in the given text, keeping their answers and split), to measure what typing
costs with that and without it (``RAGQA_QUESTION_FORMS=false``, ``RAGQA_QUESTION_TYPOS=false``),
and how other restorations compare:

* ``same``: the questions as written (the baseline under the same route);
* ``accents``: accents removed; ``lower``: lower-cased; ``fold``: both, and no final "?";
  ``typo``: one letter of one long word swapped, dropped or doubled (seeded); ``foldtypo``:
  folded and a typo;
* each of those with ``-corpus``: the words restored before the search from the whole
  corpus's forms (:class:`~ragqa.index.search.typed.WordForms` over every document, the
  served rule: a question typed wholly without accents gets them back, one typed wholly in
  lower case its capitals, where the corpus writes the typed form at least 20 times less
  often, counted mid-sentence; words of fewer than 3 letters are left alone);
* ``-spell``: typos corrected against the corpus's words (a prototype, :func:`speller`);
  ``-stemspell``: the same, leaving alone a word whose BM25 terms the corpus holds
  (:func:`stem_speller`);
* with ``--tokenizer FILE`` (a unigram ``tokenizer.json``, the bundled e5's), ``-model``:
  the same restoration from the model's own vocabulary (its whole-word pieces and their
  scores, a margin of 3 in log-probability) instead of the corpus's.

Questions in another language than French are written unchanged. ``--served`` also loads
the service over the set's corpus and records what it does with the questions as written
and what reading the folded ones costs. Results:
eval/results/typed-questions.md.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from ragqa.eval.questions import select
from ragqa.eval.squad import load_squad
from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
from ragqa.index.search.typed import WordForms, typed_plainly

_LETTERS = re.compile(r"[^\W\d_]+")
MODEL_MARGIN = 3.0


def fold(text: str) -> str:
    """``text`` without its combining marks (accents)."""
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if unicodedata.category(c) != "Mn")


def typo(question: str, rng: random.Random) -> str:
    """``question`` with one letter of one of its words of 6 letters or more swapped with
    the next, dropped or doubled (drawn from ``rng``)."""
    words = question.split()
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return question
    i = rng.choice(long)
    letters = list(words[i])
    j = rng.randrange(1, len(letters) - 1)
    change = rng.choice(["swap", "drop", "double"])
    if change == "swap":
        letters[j], letters[j + 1] = letters[j + 1], letters[j]
    elif change == "drop":
        del letters[j]
    else:
        letters.insert(j, letters[j])
    words[i] = "".join(letters)
    return " ".join(words)


# Each variant: the question and a random generator seeded 0 for the file.
VARIANTS: dict[str, Callable[[str, random.Random], str]] = {
    "same": lambda q, rng: q,
    "accents": lambda q, rng: fold(q),
    "lower": lambda q, rng: q.lower(),
    "fold": lambda q, rng: fold(q).lower().rstrip(" ?"),
    "typo": typo,
    "foldtypo": lambda q, rng: typo(fold(q).lower().rstrip(" ?"), rng),
}


def corpus_forms(texts: Iterable[str]) -> WordForms:
    """The forms the whole corpus writes its words in (mid-sentence counts)."""
    return WordForms.written_in(texts)


def model_forms(tokenizer: Path) -> WordForms:
    """The whole-word pieces of a unigram ``tokenizer.json``, weighted by their scores."""
    vocab = json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"]
    return WordForms.weighted({p[1:]: float(s) for p, s in vocab
                               if p.startswith("\u2581") and len(p) > 3 and p[1:].isalpha()})


def speller(texts: Iterable[str]) -> Callable[[str], str]:
    """A first try at typos (a prototype: it also changes 17 % of PIAF's dev questions as
    written, inflections the corpus does not hold): each word of 5 letters or more the
    corpus never writes (lower-cased) becomes the corpus's most frequent word (written at
    least twice) one edit away (a letter dropped, swapped with the next, changed or added)."""
    counts = Counter(w.lower() for text in texts for w in _LETTERS.findall(text))
    letters = sorted(set("".join(counts)))

    def edits(w: str) -> set[str]:
        cuts = [(w[:i], w[i:]) for i in range(len(w) + 1)]
        return ({a + b[1:] for a, b in cuts if b}
                | {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
                | {a + c + b[1:] for a, b in cuts if b for c in letters}
                | {a + c + b for a, b in cuts for c in letters})

    def word(match: re.Match) -> str:
        w = match.group(0)
        if len(w) < 5 or counts.get(w.lower(), 0):
            return w
        found = [(counts[c], c) for c in edits(w.lower()) if counts.get(c, 0) >= 2]
        if not found:
            return w
        best = max(found)[1]
        return best if w.islower() else best.capitalize() if w[0].isupper() else best
    return lambda question: _LETTERS.sub(word, question)


def stem_speller(texts: Iterable[str]) -> Callable[[str], str]:
    """:func:`speller`, but a word whose BM25 terms the corpus holds (the analyzer's stems:
    an inflection the corpus does not write, "décorés" beside "décoré") or that has none (a
    stopword) is left as typed."""
    texts = list(texts)
    analyzer = Analyzer(AnalyzerConfig())
    terms = {t for text in texts for t in analyzer(text)}
    correct = speller(texts)

    def word(match: re.Match) -> str:
        w = match.group(0)
        held = analyzer(w)
        return w if all(t in terms for t in held) else correct(w)  # a stopword: none
    return lambda question: _LETTERS.sub(word, question)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=None,
                        help="a SQuAD-format set (its contexts are the corpus); default: "
                        "the project set over corpus/")
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--tokenizer", type=Path, default=None)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--served", action="store_true",
                        help="also load the service over the set's corpus: how many questions "
                        "as written it reads plainly typed and changes, and what reading the "
                        "folded ones costs (DIR/served.json)")
    parser.add_argument("--postgres", action="store_true",
                        help="with --squad: index the set into a throw-away PostgreSQL and time "
                        "Engine.search over its questions as written, with RAGQA_QUESTION_TYPOS "
                        "off and on in turn (DIR/postgres.json)")
    parser.add_argument("--database-url", default=None,
                        help="with --postgres: an administrator URL instead of pgserver")
    parser.add_argument("--conversations", type=Path, default=None,
                        help="instead: write each variant of a conversation set "
                        "(eval/conversations.jsonl) with its follow-ups (every turn after the "
                        "first) typed so, and with every turn typed so (NAME-all), for ragqa "
                        "eval --conversations")
    args = parser.parse_args()
    if args.postgres and args.squad is None:
        parser.error("--postgres times a SQuAD-format set's questions: give --squad FILE")
    if args.conversations is not None:
        if args.squad is not None or args.served or args.postgres or args.split != "dev":
            parser.error("--conversations writes variants of the conversations file only: "
                         "no --squad, --split, --served or --postgres")
        written = conversation_variants(args.conversations, args.out)
        print(f"wrote {2 * len(VARIANTS)} files to {args.out}; follow-ups changed: "
              + ", ".join(f"{name} {n}" for name, n in written.items()))
        return
    if args.squad is not None:
        documents, questions = load_squad(args.squad)
        rows = [(q.id, q.question, q.lang) for q in select(questions, args.split)]
        texts: Iterable[str] = documents.values()
    else:
        rows = [(r["id"], r["question"], r["lang"]) for r in map(
            json.loads, args.questions.read_text(encoding="utf-8").splitlines()) if r]
        texts = [p.read_text(encoding="utf-8", errors="replace")
                 for p in sorted(args.corpus.rglob("*")) if p.is_file()]
    texts = list(texts)
    restorers = {"corpus": corpus_forms(texts).restore}
    if args.tokenizer is not None:
        forms = model_forms(args.tokenizer)
        restorers["model"] = lambda question: forms.restore(question, MODEL_MARGIN)
    restorers["spell"] = speller(texts)
    restorers["stemspell"] = stem_speller(texts)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, variant in VARIANTS.items():
        for suffix, restore in [("", None), *((f"-{k}", r) for k, r in restorers.items())]:
            rng = random.Random(0)
            with open(args.out / f"{name}{suffix}.jsonl", "w", encoding="utf-8") as out:
                for qid, question, lang in rows:
                    text = variant(question, rng)
                    if restore is not None and lang in ("fr", ""):  # SQuAD sets: ""
                        text = restore(text)
                    out.write(json.dumps({"id": qid, "lang": lang or "fr", "question": text},
                                         ensure_ascii=False) + "\n")
    print(f"wrote {len(VARIANTS) * (1 + len(restorers))} files of {len(rows)} questions "
          f"to {args.out}")
    if args.served:
        served = _served(args.squad, [(q, lang) for _, q, lang in rows])
        (args.out / "served.json").write_text(json.dumps(served, indent=1), encoding="utf-8")
        print(json.dumps(served))
    if args.postgres:
        timed = _postgres(args.squad, [q for _, q, lang in rows if lang in ("fr", "")],
                          args.database_url)
        (args.out / "postgres.json").write_text(json.dumps(timed, indent=1), encoding="utf-8")
        print(json.dumps(timed))


def conversation_variants(conversations: Path, out: Path) -> dict[str, int]:
    """Each :data:`VARIANTS` of ``conversations`` (JSON lines: ``turns``, each with its
    ``question``) written to ``out/conversations-NAME.jsonl``, the follow-ups' questions
    typed so (the first turn's as written: it is searched alone, measured by the other
    sets), and to ``out/conversations-NAME-all.jsonl``, every turn's (the earlier questions
    a follow-up borrows from too); how many follow-ups each variant changed."""
    rows = [json.loads(line) for line in
            conversations.read_text(encoding="utf-8").splitlines() if line.strip()]
    out.mkdir(parents=True, exist_ok=True)
    changed: dict[str, int] = {}
    for name, variant in VARIANTS.items():
        for suffix, first in (("", 1), ("-all", 0)):
            rng = random.Random(0)
            count = 0
            with open(out / f"conversations-{name}{suffix}.jsonl", "w",
                      encoding="utf-8") as file:
                for row in rows:
                    turns = [dict(turn) for turn in row["turns"]]
                    for number, turn in enumerate(turns[first:], first):
                        typed = variant(turn["question"], rng)
                        count += number > 0 and typed != turn["question"]
                        turn["question"] = typed
                    file.write(json.dumps({**row, "turns": turns}, ensure_ascii=False) + "\n")
            if not suffix:
                changed[name] = count
    return changed


def _served(squad: Path | None, rows: list[tuple[str, str]]) -> dict:
    """What the service (``RAGQA_QUESTION_FORMS`` and ``RAGQA_QUESTION_TYPOS`` as set) does
    with ``rows`` (question, language): how many it reads as typed plainly and changes, and
    how many it changes in all, as written, and the time
    :meth:`~ragqa.index.search.retriever.Retriever.model_question` takes on their folded and
    their typo variants (each once, in process)."""
    from ragqa import wiring
    from ragqa.settings import load_settings

    if squad is not None:
        from ragqa.eval.squad import materialise

        documents, _ = load_squad(squad)
        corpus_dir = materialise(documents, Path(".ragqa/eval"))
        settings = load_settings(corpus_dir=corpus_dir, index_dir=corpus_dir.parent / "index")
    else:
        settings = load_settings()
    retriever = wiring.start(settings).engine.retriever
    french = [q for q, lang in rows if lang in ("fr", "")]
    plainly = [q for q in french if typed_plainly(q)]
    changed = sum(retriever.model_question(q) != q for q in plainly)
    out = {"question_forms": retriever.params.question_forms,
           "question_typos": retriever.params.question_typos, "questions": len(french),
           "typed_plainly": len(plainly), "changed": changed,
           "changed_all": sum(retriever.model_question(q) != q for q in french)}
    for name in ("fold", "typo"):
        rng = random.Random(0)
        asked = [VARIANTS[name](q, rng) for q in french]
        retriever.model_question(asked[0])
        took = []
        for question in asked[1:]:
            started = time.perf_counter()
            retriever.model_question(question)
            took.append((time.perf_counter() - started) * 1000)
        prefix = "folded" if name == "fold" else name
        out |= {f"{prefix}_timed": len(took),
                f"{prefix}_p50_ms": round(float(np.percentile(took, 50)), 2),
                f"{prefix}_p90_ms": round(float(np.percentile(took, 90)), 2)}
    return out


def _postgres(squad: Path, questions: list[str], database_url: str | None,
              count: int = 300, rounds: int = 2) -> dict:
    """What reading typos costs on PostgreSQL, where knowing which words the index holds is
    one more statement: ``Engine.search`` (k=5) of the first ``count`` distinct ``questions``
    as written, each once, in a fresh engine with ``RAGQA_QUESTION_TYPOS`` off and on in turn
    (``rounds`` times), p50 and p90."""
    import statistics

    from ragqa import wiring
    from ragqa.eval.pg_server import database_server, fresh_database
    from ragqa.eval.squad import materialise
    from ragqa.settings import load_settings

    documents, _ = load_squad(squad)
    corpus = materialise(documents, Path(".ragqa/typed-postgres"))
    asked = list(dict.fromkeys(questions))[:count]
    runs = []
    with database_server(database_url) as (admin_url, url_for):
        url = fresh_database(admin_url, url_for, "ragqa_eval_typed")
        base = {"corpus_dir": corpus, "store": "postgres", "database_url": url}
        wiring.start(load_settings(**base), update=True).engine.close()
        for round_ in range(rounds):
            for typos in (False, True):
                engine = wiring.start(load_settings(**base, question_typos=typos),
                                      update=False).engine
                try:
                    engine.search("Quelle est la question ?", 5)  # loaded, not timed
                    took = []
                    for question in asked:
                        started = time.perf_counter()
                        engine.search(question, 5)
                        took.append((time.perf_counter() - started) * 1000)
                finally:
                    engine.close()
                took.sort()
                runs.append({"round": round_ + 1, "question_typos": typos,
                             "questions": len(took),
                             "p50_ms": round(statistics.median(took), 1),
                             "p90_ms": round(took[int(0.9 * (len(took) - 1))], 1)})
    return {"command": "python -m ragqa.eval.typed_questions --squad FILE --postgres --out DIR",
            "squad": str(squad), "runs": runs}


if __name__ == "__main__":
    main()
