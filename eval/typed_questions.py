"""Questions as people type them: ``python -m ragqa.eval.typed_questions``.

Users often type a question without its accents or its capitals ("combien d'abonnes a
inwi"). The lexical side folds both away (the BM25 analyzer), the model does not: it reads
"ministere" as another word than "ministère". This writes variants of a question set, each a
file for ``ragqa eval --translations`` (which asks the set's questions in the given text,
keeping their answers and split):

* ``same``: the questions as written (the baseline under the same route);
* ``accents``: accents removed; ``lower``: lower-cased; ``fold``: both, and no final "?";
  ``typo``: one letter of one long word swapped, dropped or doubled (seeded);
* each of those with ``-corpus``: the words restored to the form the corpus writes them in
  most (a question typed wholly without accents gets them back, one typed wholly in lower
  case its capitals; a word is changed only where the corpus writes it at least 20 times
  more often in the other form, counted mid-sentence so that capitals at a sentence's start
  do not count; words of fewer than 3 letters are left alone);
* ``-spell``: typos corrected against the corpus's words (a prototype, :func:`speller`);
* with ``--tokenizer FILE`` (a unigram ``tokenizer.json``, the bundled e5's), ``-model``:
  the same restoration from the model's own vocabulary (its whole-word pieces and their
  scores, a margin of 3 in log-probability) instead of the corpus's.

Questions in another language than French are written unchanged. Nothing here is served:
it measures how much typing costs and how much a restoration would win back
(eval/results/typed-questions.md).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from ragqa.eval.questions import select
from ragqa.eval.squad import load_squad

_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")
# A word counted for its form: one after a lower-case letter or a comma and a space (or an
# elided "l'"/"d'"), not one that starts a sentence or a line.
_MID = re.compile(r"(?<=[a-zà-ÿ,;] )[^\W\d_]+|(?<=[a-zà-ÿ,;] [ld]')[^\W\d_]+")
CORPUS_RATIO = 20
MODEL_MARGIN = 3.0

Forms = dict[str, list[tuple[float, str]]]


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
}


def corpus_forms(texts: Iterable[str]) -> tuple[Forms, dict[str, float]]:
    """Each word's forms in ``texts`` (by its folded lower-case key) with their log counts,
    and each form's own log count."""
    counts = Counter(w for text in texts for w in _MID.findall(text))
    own = {w: math.log(c) for w, c in counts.items()}
    forms: Forms = {}
    for w, score in own.items():
        forms.setdefault(fold(w).lower(), []).append((score, w))
    return forms, own


def model_forms(tokenizer: Path) -> tuple[Forms, dict[str, float]]:
    """The whole-word pieces of a unigram ``tokenizer.json`` and their scores, as
    :func:`corpus_forms`."""
    vocab = json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"]
    own = {p[1:]: float(s) for p, s in vocab
           if p.startswith("\u2581") and len(p) > 3 and p[1:].isalpha()}
    forms: Forms = {}
    for w, score in own.items():
        forms.setdefault(fold(w).lower(), []).append((score, w))
    return forms, own


def restorer(forms: Forms, own: dict[str, float], margin: float) -> Callable[[str], str]:
    """A question with its words restored to their dominant form (see the module)."""
    def restore(question: str) -> str:
        folded, lower = fold(question) == question, question == question.lower()
        if not folded and not lower:
            return question

        def word(match: re.Match) -> str:
            w = match.group(0)
            if len(w) < 3 or not w.isalpha():
                return w
            pool = forms.get(fold(w).lower(), [])
            if not (lower and folded):
                pool = [f for f in pool if (f[1].lower() == w if lower else fold(f[1]) == w)]
            if not pool:
                return w
            score, best = max(pool)
            return best if score - own.get(w, -math.inf) >= margin else w
        return _WORD.sub(word, question)
    return restore


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
    args = parser.parse_args()
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
    restorers = {"corpus": restorer(*corpus_forms(texts), math.log(CORPUS_RATIO))}
    if args.tokenizer is not None:
        restorers["model"] = restorer(*model_forms(args.tokenizer), MODEL_MARGIN)
    restorers["spell"] = speller(texts)
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


if __name__ == "__main__":
    main()
