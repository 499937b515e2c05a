"""A dev/test set of long, structured French documents, generated from PIAF.

ragqa's corpus processing was tuned on news (a live blog whose every entry ends with the same
footer). Long administrative pages look different: generic headings repeated on every page
("De quoi s'agit-il ?", "Qui est concerné ?"), a shared notice and contact block, shared
glossary definitions, and content that several pages quote. This module turns each PIAF
article into one such page so that corpus-processing defaults can be checked on that shape:

* ``# Title`` (added by :func:`ragqa.eval.squad.load_squad`), then a notice line shared by all pages;
* the article's paragraphs grouped into sections (one to three paragraphs each) under generic
  administrative headings, drawn with a seeded generator from the article's title only, never
  from its questions or answers; some sections split into ``### Cas général`` /
  ``### Cas particulier`` sub-sections (so a heading directly follows a heading); each
  paragraph rewritten as short paragraphs of one to three sentences or as a bulleted list
  (cut only between sentences, never inside an answer);
* a ``Définitions`` section: a few entries of a shared glossary (the same definitions appear
  on many pages) and, on some pages, a paragraph of *another* article quoted verbatim
  ("À lire aussi"). Every article with four or more paragraphs has its last paragraph quoted
  on two other pages, so a line shared by three pages is sometimes the answer (its gold is the
  article's own copy);
* a shared contact block and a footer (share prompt, feedback question, navigation).

The output is a SQuAD-format file whose contexts are the whole pages, with each answer's
``answer_start`` moved to its offset in the page: ``ragqa eval --squad FILE`` reads it like
PIAF itself, and splits it by article with the same seed, so an article is ``dev`` here
exactly when it is ``dev`` in PIAF. The output is deterministic (same input, same bytes)::

    python -m ragqa.eval.longdocs --piaf ../shared/benchmarks/piaf/piaf-v1.0.json \\
        --out .ragqa/longdocs/longdocs-v1.json
    ragqa eval --squad .ragqa/longdocs/longdocs-v1.json --split dev --modes bm25
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

SEED = "ragqa-longdocs-v1"

HEADINGS = (
    "Qui est concerné ?",
    "Conditions à remplir",
    "Comment faire ?",
    "Quelles sont les démarches ?",
    "Quel est le montant ?",
    "Délais",
    "Cas particuliers",
    "Recours",
    "À savoir",
    "Pièces justificatives",
)
FIRST_HEADING = "De quoi s'agit-il ?"
CASES = ("Cas général", "Cas particulier", "Autres situations")

NOTICE = (
    "Vérifié le 2 janvier 2025 - Direction de l'information légale et administrative "
    "(Premier ministre)"
)

# Shared glossary: written for this set, administrative in style, unrelated to the articles.
GLOSSARY = (
    ("Ayant droit", "Personne qui bénéficie d'un droit du fait de son lien avec l'assuré "
     "(enfant, conjoint, personne à charge)."),
    ("Quotient familial", "Montant obtenu en divisant le revenu imposable du foyer par le "
     "nombre de parts fiscales, utilisé pour calculer certaines aides."),
    ("Domicile fiscal", "Lieu où une personne a son foyer ou son séjour principal, qui "
     "détermine l'administration compétente pour ses impôts."),
    ("Pièce justificative", "Document officiel fourni pour prouver une situation déclarée "
     "(identité, ressources, adresse)."),
    ("Recours gracieux", "Demande adressée à l'administration qui a pris une décision pour "
     "qu'elle la réexamine, dans un délai de deux mois."),
    ("Téléservice", "Démarche en ligne permettant d'accomplir une formalité sans se déplacer, "
     "accessible avec un identifiant FranceConnect."),
    ("Numéro fiscal", "Identifiant de 13 chiffres attribué à chaque contribuable, qui figure "
     "sur la première page de la déclaration de revenus."),
    ("Mise en demeure", "Acte par lequel un créancier demande formellement à son débiteur "
     "d'exécuter son obligation dans un délai fixé."),
    ("Organisme payeur", "Caisse chargée de verser une prestation, par exemple la caisse "
     "d'allocations familiales ou la caisse de mutualité sociale agricole."),
    ("Attestation sur l'honneur", "Document rédigé et signé par une personne qui certifie "
     "l'exactitude des informations qu'elle déclare."),
    ("Délai de prescription", "Durée au-delà de laquelle une action en justice ou une "
     "réclamation n'est plus recevable."),
    ("Autorité compétente", "Administration qui a le pouvoir légal de prendre une décision "
     "dans un domaine donné."),
)

CONTACT = (
    "## Où s'adresser ?",
    "Pour toute question sur vos droits, vous pouvez contacter Allô Service Public au 39 39, "
    "du lundi au vendredi de 8 h 30 à 17 h 15 (service gratuit et prix d'un appel).",
    "Vous pouvez aussi vous rendre dans un espace France services près de chez vous, avec "
    "vos pièces justificatives.",
)

FOOTER = (
    "Cette page vous a-t-elle été utile ?",
    "Oui Non",
    "Partager la page : Facebook Twitter LinkedIn Courriel",
    "Imprimer la page",
    "Haut de page",
    "Accueil > Particuliers > Fiches pratiques",
)


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\0".join((SEED, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_SENTENCE_END = re.compile(r"(?<=[.!?…»])\s+(?=[«\"A-ZÀ-Ý0-9])")


def render(paragraph: str, spans: list[tuple[int, int]]) -> tuple[str, Callable[[int], int]]:
    """A PIAF paragraph as an administrative page writes it: short paragraphs of one to three
    sentences, or a bulleted list (seeded by the paragraph's text). Returns the text and the
    map from an offset in ``paragraph`` to one in the text. Never cuts inside ``spans``."""
    rng = _rng("render", paragraph)
    cuts = [m for m in _SENTENCE_END.finditer(paragraph)
            if not any(s < m.end() and m.start() < e for s, e in spans)]
    units: list[tuple[int, int]] = []  # (start, end) in paragraph, whitespace between dropped
    start, count, sentences = 0, 0, rng.choice((1, 2, 2, 3))
    for m in cuts:  # each cut ends one sentence
        count += 1
        if count >= sentences:
            units.append((start, m.start()))
            start, count, sentences = m.end(), 0, rng.choice((1, 2, 2, 3))
    units.append((start, len(paragraph)))
    bullets = len(units) > 2 and rng.random() < 0.3
    pieces: list[str] = []
    moves: list[tuple[int, int, int]] = []  # (start in paragraph, end, start in text)
    offset = 0
    for number, (s, e) in enumerate(units):
        sep = "" if number == 0 else ("\n" if bullets else "\n\n")
        prefix = sep + ("- " if bullets else "")
        offset += len(prefix)
        pieces.append(prefix + paragraph[s:e])
        moves.append((s, e, offset))
        offset += e - s

    def moved(position: int) -> int:
        for s, e, at in moves:
            if s <= position < e:
                return at + position - s
        raise ValueError(f"offset {position} falls between sentences")

    return "".join(pieces), moved


def _groups(count: int, rng: random.Random) -> list[int]:
    """Sizes (1 to 3 paragraphs) of the sections that hold ``count`` paragraphs."""
    sizes = []
    while count > 0:
        size = min(count, rng.choice((1, 1, 2, 2, 3)))
        sizes.append(size)
        count -= size
    return sizes


def build(piaf: dict) -> dict:
    """The long-document SQuAD dict for a PIAF (SQuAD-format) dict."""
    articles = piaf["data"]
    titles = [str(a.get("title") or f"Article {n}") for n, a in enumerate(articles)]
    # Pages that quote another article's last paragraph ("À lire aussi"), decided up front.
    quoted_on: dict[int, list[int]] = {n: [] for n in range(len(articles))}
    for n, article in enumerate(articles):
        if len(article.get("paragraphs", [])) >= 4:
            others = [m for m in range(len(articles)) if m != n]
            for page in _rng("quote", titles[n]).sample(others, 2):
                quoted_on[page].append(n)
    data = []
    for n, article in enumerate(articles):
        rng = _rng("page", titles[n])
        paragraphs = article.get("paragraphs", [])
        parts: list[str] = [NOTICE]
        qas = []
        cursor = 0
        headings = list(HEADINGS)
        rng.shuffle(headings)
        for number, size in enumerate(_groups(len(paragraphs), rng)):
            heading = FIRST_HEADING if number == 0 else headings[(number - 1) % len(headings)]
            parts.append(f"## {heading}")
            cases = size >= 2 and rng.random() < 0.4
            for case, paragraph in enumerate(paragraphs[cursor : cursor + size]):
                if cases:
                    parts.append(f"### {CASES[case]}")
                context = paragraph["context"].replace("\r\n", "\n").replace("\r", "\n")
                spans = [(a["answer_start"], a["answer_start"] + len(a["text"]))
                         for qa in paragraph.get("qas", []) for a in qa.get("answers", [])]
                rendered, moved = render(context, spans)
                base = sum(len(p) + 2 for p in parts)
                parts.append(rendered)
                for qa in paragraph.get("qas", []):
                    answers = [
                        {"text": a["text"], "answer_start": base + moved(a["answer_start"])}
                        for a in qa.get("answers", [])
                        if context[a["answer_start"] : a["answer_start"] + len(a["text"])]
                        == a["text"]
                    ]
                    if answers:
                        qas.append({"id": qa["id"], "question": qa["question"],
                                    "answers": answers})
            cursor += size
        parts.append("## Définitions")
        for term, definition in rng.sample(GLOSSARY, 4):
            parts.append(f"{term} : {definition}")
        for other in quoted_on[n]:
            parts.append(f"À lire aussi : {titles[other].replace('_', ' ')}")
            last = articles[other]["paragraphs"][-1]
            spans = [(a["answer_start"], a["answer_start"] + len(a["text"]))
                     for qa in last.get("qas", []) for a in qa.get("answers", [])]
            parts.append(render(last["context"].replace("\r\n", "\n").replace("\r", "\n"),
                                spans)[0])
        parts.extend(CONTACT)
        parts.extend(FOOTER)
        body = "\n\n".join(parts)
        for qa in qas:
            for a in qa["answers"]:
                assert body[a["answer_start"] : a["answer_start"] + len(a["text"])] == a["text"]
        data.append({"title": titles[n], "paragraphs": [{"context": body, "qas": qas}]})
    return {"version": "ragqa-longdocs-v1", "data": data}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--piaf", type=Path,
                        default=Path("../shared/benchmarks/piaf/piaf-v1.0.json"))
    parser.add_argument("--out", type=Path, default=Path(".ragqa/longdocs/longdocs-v1.json"))
    args = parser.parse_args(argv)
    piaf = json.loads(args.piaf.read_text(encoding="utf-8"))
    result = build(piaf)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(args.out)
    questions = sum(len(p["qas"]) for a in result["data"] for p in a["paragraphs"])
    print(f"{args.out}: {len(result['data'])} documents, {questions} questions")


if __name__ == "__main__":
    main()
