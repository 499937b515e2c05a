"""Can a fitted model over signals a search already has choose the answer's sentence?
``python -m ragqa.eval.highlight_learned``.

The served highlight (:mod:`ragqa.index.search.highlight`) picks a passage's sentence by the
question's analysed terms plus the model's cosine over at most three contenders. This
experiment asks how far the signals available without a cross-attention pass can take it:
per sentence, the term score, its idf-weighted coverage of the question, the neighbours'
scores, heading and interview-question flags, the e5 cosine with the question, a token
MaxSim (each question token's best cosine among the sentence's tokens, averaged), the
question's kind (quantity, date, person, place) against what the sentence holds (a digit, a
year or month, capitalised words), its length and position; combined by a conditional logit
(a softmax over a passage's sentences), gradient-boosted trees or a logistic model with the
question and sentence vectors' product added.

Each answerable question's first top-5 hybrid passage holding its gold answer is the
candidate passage (as in :func:`ragqa.eval.highlights.measure_service`); a sentence is right
when it holds a whole gold span. Fitted on PIAF's reader ``train`` articles
(:func:`ragqa.eval.reader_data.reader_split`), reported on PIAF's reader ``dev`` articles, the
long pages' same articles (:mod:`ragqa.eval.longdocs`) and the project's ``dev`` split. Each
corpus is indexed under ``--work`` (sentence vectors stored, as served).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ragqa.eval.learned import arguments, corpora, fit_softmax, write_report

_QUANTITY = re.compile(
    r"\bcombien\b|\b(?:nombre|montant|pourcentage|taux|prix|co[uû]t|chiffre|somme|budget|"
    r"superficie|population|[aâ]ge|dur[ée]e|distance|hauteur|longueur|effectif|part|"
    r"proportion|valeur|poids|taille|capacit[ée]|score|salaire|revenu)s?\b")
_DATE = re.compile(r"\bquand\b|\bann[ée]e\b|\bdate\b|\b[ée]poque\b|\bsi[èe]cle\b|\bmois\b|"
                   r"\bjour\b|\bp[ée]riode\b|\bd[ée]cennie\b")
_PERSON = re.compile(r"^\W*(?:(?:par|avec|[àa]|de|pour|chez|contre|selon) )?qui\b|"
                     r"\bqui (?:est|sont|était|étaient|a|ont|fut|furent)\b")
_PLACE = re.compile(r"\bo[ùu]\b|\bquel(?:le)?s? (?:pays|ville|r[ée]gion|lieu|endroit|"
                    r"continent|d[ée]partement|province|quartier)\b")
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b|\b(?:janvier|f[ée]vrier|mars|avril|mai|"
                   r"juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre)\b", re.I)
_CAPITALISED = re.compile(r"(?<=[\s(«\"'’])[A-ZÀ-ÖØ-Þ][\w\-]+")

FEATURES = ("terms", "terms_best", "coverage", "cosine", "cosine_gap", "cosine_best",
            "heading", "asks", "previous_terms", "next_terms", "previous_cosine_gap",
            "next_cosine_gap", "log_length", "first", "new_terms", "quantity_digit",
            "date_year", "person_capitalised", "place_capitalised", "digit", "year",
            "capitalised", "log_sentences", "maxsim", "maxsim_gap", "maxsim_best",
            "previous_maxsim_gap", "next_maxsim_gap")
SINGLE = {"terms (the served term score alone)": "terms", "cosine": "cosine",
          "token MaxSim": "maxsim", "coverage": "coverage"}


@dataclass
class Candidate:
    """One question's candidate passage: its sentences' features and which are right."""

    split: str
    features: np.ndarray  # (sentences, len(FEATURES))
    right: np.ndarray  # bool, a whole gold span inside the sentence
    served: np.ndarray  # bool, the served highlight's sentence
    products: np.ndarray  # (sentences, dim): question vector * sentence vector


def features(question: str, terms: frozenset[str], idf: dict[str, float],
             sentences, texts: Sequence[str], cosines: np.ndarray,
             maxsims: np.ndarray) -> np.ndarray:
    """The :data:`FEATURES` of each of a passage's ``sentences``
    (:class:`~ragqa.index.search.highlight.Sentence`)."""
    n = len(sentences)
    shared = [s.terms & terms for s in sentences]
    holding: dict[str, int] = {}
    for found in shared:
        for term in found:
            holding[term] = holding.get(term, 0) + 1
    lexical = np.array([sum(idf.get(t, 1.0) * (1 + math.log(n / holding[t])) for t in found)
                        for found in shared])
    prompt = np.array([s.heading or s.asks for s in sentences])
    lexical = lexical + 0.5 * np.concatenate(([0.0], (lexical * prompt)[:-1])) * ~prompt
    lexical = lexical / lexical.max() if lexical.max() > 0 else lexical
    total = sum(idf.get(t, 1.0) for t in terms) or 1.0
    coverage = np.array([sum(idf.get(t, 1.0) for t in found) / total for found in shared])
    gap, sim_gap = cosines - cosines.max(), maxsims - maxsims.max()
    asked = question.casefold()
    kinds = [bool(p.search(asked)) for p in (_QUANTITY, _DATE, _PERSON, _PLACE)]
    rows = []
    for i, (sentence, text) in enumerate(zip(sentences, texts)):
        digit, year = bool(_DIGIT.search(text)), bool(_YEAR.search(text))
        capitalised = min(len(_CAPITALISED.findall(" " + text)), 5) / 5
        rows.append([
            lexical[i], float(lexical.max() > 0 and lexical[i] == 1.0), coverage[i],
            cosines[i], gap[i], float(gap[i] == 0), float(sentence.heading),
            float(sentence.asks), lexical[i - 1] if i else 0.0,
            lexical[i + 1] if i + 1 < n else 0.0, gap[i - 1] if i else -0.3,
            gap[i + 1] if i + 1 < n else -0.3, math.log(len(text) + 1), float(i == 0),
            len(sentence.terms - terms) / max(len(sentence.terms), 1),
            float(kinds[0] and digit), float(kinds[1] and year), kinds[2] * capitalised,
            kinds[3] * capitalised, float(digit), float(year), capitalised, math.log(n),
            maxsims[i], sim_gap[i], float(sim_gap[i] == 0),
            sim_gap[i - 1] if i else -0.3, sim_gap[i + 1] if i + 1 < n else -0.3])
    return np.array(rows)


def collect(engine, questions: Sequence[tuple[object, str]]) -> list[Candidate]:
    """The candidate passage of each answerable question (with its split), as searched."""
    from ragqa.index.search.highlight import analysed_sentences

    retriever = engine.retriever
    analyze, embedder = retriever.index.analyzer, retriever.embedder
    out = []
    for q, split in questions:
        if not q.answerable:
            continue
        found = engine.search(q.question, 10)
        first = next(((i, h) for i, h in enumerate(found.result.hits[:5]) if h.doc_id == q.doc
                      and any(h.start <= s and e <= h.end for s, e in q.spans)), None)
        if first is None:
            continue
        rank, hit = first
        text = hit.before + hit.quote + hit.after
        offset = hit.start - len(hit.before)
        sentences = analysed_sentences(text, hit.start - offset, hit.end - offset, analyze)
        if not sentences:
            continue
        texts = [text[a:b] for a, b in (s.span for s in sentences)]
        vectors = retriever.sentence_vectors(texts)
        asked = found.result.query_vector
        question_tokens = embedder.token_vectors(q.question, query=True)
        maxsims = np.array([_maxsim(question_tokens, embedder.token_vectors(t, query=False))
                            for t in texts])  # each sentence's tokens read alone: a pass each
        terms = frozenset(analyze(q.question))
        ordered = sorted(terms)
        idf = dict(zip(ordered, retriever.index.idf(ordered)))
        golds = [(s - offset, e - offset) for s, e in q.spans if hit.start <= s and e <= hit.end]
        served = tuple(x - offset for x in found.highlights[rank])
        out.append(Candidate(
            split, features(q.question, terms, idf, sentences, texts, vectors @ asked, maxsims),
            np.array([any(a <= s and e <= b for s, e in golds) for a, b in
                      (x.span for x in sentences)]),
            np.array([x.span == served for x in sentences]),
            vectors * asked[None, :]))
    return out


def _maxsim(question: np.ndarray, sentence: np.ndarray) -> float:
    """Each question token's best cosine among the sentence's tokens, averaged."""
    return float((question @ sentence.T).max(axis=1).mean()) if len(sentence) else 0.0


def rate(candidates: Sequence[Candidate], score) -> float:
    """Share of candidates whose best-scored sentence is right."""
    return round(float(np.mean([c.right[int(np.argmax(score(c)))] for c in candidates])), 4)


def main(argv: Sequence[str] | None = None) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    args = arguments(__doc__.splitlines()[0]).parse_args(argv)
    sets = {name: collect(engine, chosen) for name, engine, chosen in corpora(args)}

    train = [c for c in sets["PIAF"] if c.split == "train"]
    dev = {name: [c for c in found if c.split == "dev"] for name, found in sets.items()}
    report: dict = {"fitted on": f"PIAF reader train, {len(train)} candidate passages",
                    "dev candidates": {name: len(found) for name, found in dev.items()},
                    "features": list(FEATURES), "dev": {}}

    def row(label: str, score) -> None:
        report["dev"][label] = {name: rate(found, score) for name, found in dev.items()}

    row("served highlight", lambda c: c.served.astype(float))
    for label, feature in SINGLE.items():
        row(label, lambda c, j=FEATURES.index(feature): c.features[:, j])
    for l2 in (0.1, 1.0, 10.0):
        w = fit_softmax([(c.features, c.right) for c in train], l2)
        row(f"conditional logit, all features, L2 {l2}", lambda c, w=w: c.features @ w)
    x = np.vstack([c.features for c in train])
    y = np.concatenate([c.right for c in train])
    trees = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                           min_samples_leaf=40, random_state=0).fit(x, y)
    row("gradient-boosted trees", lambda c: trees.predict_proba(c.features)[:, 1])
    x = np.vstack([np.hstack([c.features, 10 * c.products]) for c in train])
    for strength in (0.1, 1.0):
        logistic = LogisticRegression(C=strength, max_iter=2000).fit(x, y)
        row(f"logistic, features + question x sentence vectors, C {strength}",
            lambda c, m=logistic: m.decision_function(np.hstack([c.features, 10 * c.products])))
    write_report(report, args.out)


if __name__ == "__main__":
    main()
