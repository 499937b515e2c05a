"""Question sets: the project's JSONL set, and dev/test splits that never change.

A gold answer is a span of its document's canonical text: the offsets of the answer
string, located once when the set is loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from ragqa.index.errors import ConfigError

KINDS = ("lexical", "paraphrase", "crosslingual", "unanswerable")
SPLITS = ("dev", "test", "all")
SPLIT_SEED = "ragqa-split-v1"


class QuestionSetError(ConfigError):
    """A question file is malformed or does not match its corpus (a bad input, as a bad
    setting: exit 2 on the command line)."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    lang: str
    kind: str
    doc: str | None
    spans: tuple[tuple[int, int], ...]  # gold answer spans in the document's text
    group: str  # split unit: questions of one group always land in the same split

    @property
    def answerable(self) -> bool:
        return self.doc is not None and bool(self.spans)


def split_of(group: str, test_share: float = 0.5) -> str:
    """Seeded, order-independent split: a group's split depends only on its name."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{group}".encode()).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < test_share else "dev"


def select(questions: list[Question], split: str) -> list[Question]:
    if split not in SPLITS:
        raise QuestionSetError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    return questions if split == "all" else [q for q in questions if split_of(q.group) == split]


def _numbered_lines(path: Path) -> list[tuple[int, str]]:
    """The non-blank lines of a JSONL file with their 1-based numbers."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QuestionSetError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise QuestionSetError(f"{path}: not UTF-8 text (byte {exc.start}); a JSONL file of "
                               "questions is expected") from None
    return [(number, line) for number, line in enumerate(lines, 1) if line.strip()]


def load_questions(path: Path, texts: dict[str, str]) -> list[Question]:
    """Read a project question file; ``texts`` maps doc ids to canonical text."""
    questions = []
    for number, line in _numbered_lines(path):
        try:
            row = json.loads(line)
            doc, answers = row["doc"], row["answers"]
            kind = row["kind"]
            qid, text, lang = row["id"], row["question"], row["lang"]
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionSetError(f"{path}:{number}: malformed question ({exc})") from None
        if kind not in KINDS:
            raise QuestionSetError(f"{path}:{number}: unknown kind {kind!r}")
        spans = []
        if doc is not None:
            if doc not in texts:
                raise QuestionSetError(f"{path}:{number}: document {doc!r} is not in the corpus")
            for answer in answers:
                start = texts[doc].find(answer)
                if start < 0:
                    raise QuestionSetError(
                        f"{path}:{number}: answer {answer[:40]!r}… is not in {doc}"
                    )
                spans.append((start, start + len(answer)))
        # Questions are split by question id: the set is small and spread over few files.
        questions.append(Question(qid, text, lang, kind, doc, tuple(spans), group=qid))
    return questions


def load_offtopic(path: Path, split: str, lang: str | None = None) -> list[str]:
    """Questions about nothing our corpora cover (``eval/offtopic.jsonl``), for ``split``
    (and in ``lang`` only, when given).

    Each row names its split explicitly: the set is small and hand-balanced between French
    and English, so a hash split could leave one language out of one side."""
    if split not in SPLITS:
        raise QuestionSetError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()]
        return [r["question"] for r in rows if (split == "all" or r["split"] == split)
                and (lang is None or r["lang"] == lang)]
    except OSError as exc:
        raise QuestionSetError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise QuestionSetError(f"{path}: malformed off-topic question ({exc})") from None


def load_translations(path: Path, questions: list[Question]) -> list[Question]:
    """The ``questions`` that ``path`` translates, asked in their translation.

    ``path`` is JSONL, one ``{"id", "lang", "question"}`` per line, ``id`` naming a question
    of the set (e.g. ``eval/piaf-en.jsonl``: PIAF questions asked in English over the French
    articles). The translations keep their original's document, answer spans and split, and
    are of the ``crosslingual`` kind."""
    by_id = {q.id: q for q in questions}
    translated = []
    for number, line in _numbered_lines(path):
        try:
            row = json.loads(line)
            original = by_id[row["id"]]
            text, lang = str(row["question"]), str(row["lang"])
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionSetError(f"{path}:{number}: not a translation of a question of the "
                                   f"set ({exc})") from None
        translated.append(replace(original, question=text, lang=lang, kind="crosslingual"))
    return translated
