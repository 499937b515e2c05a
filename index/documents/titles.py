"""A document's title: its real headline, not the page chrome printed above it.

Exported news pages start with whatever the site printed before the article: a paywall
notice ("Un proche vous offre cet article"), a login prompt, a rubric label
("EconomieUne", "COMMUNIQUÉ DE PRESSE"), a breadcrumb. :func:`headline` looks at the
*preamble* (the lines before the body starts) and classifies each line:

* noise: no words (rules, bullets, bylines in list items, copyright lines, numbers);
* chrome: a short call to action (subscribe, log in, share, "read more"...), a breadcrumb,
  or a line found in the preamble of several documents of the corpus (``chrome``, computed
  by :func:`shared_preamble_lines`);
* label: a rubric or kicker, at most three words or a short all-caps line;
* headline: anything else short enough to be a title.

The first markdown heading that is a headline wins, else the first headline line, else the
first label (a live blog titled "GITEX 2025"), else the first line, else ``fallback``.
The preamble ends at the first prose paragraph or live-blog entry ("18-04 à 17:52 ..."),
which open the body rather than name it. A paragraph is a line with the lines hard wrapping
cut from it (:func:`~ragqa.index.documents.wrapping.unwrap`): the first line of a
hard-wrapped paragraph ("Le présent règlement s'applique à l'ensemble des salariés de
l'entreprise, quel") is body text, not a headline, even when short of a sentence.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ragqa.index.documents.numbering import division_word, outline_number
from ragqa.index.documents.sections import is_dated_entry
from ragqa.index.documents.wrapping import WRAP_MIN_CHARS, unwrap_groups


TITLE_RULES = 5  # bumped whenever these rules change, so that indexes are rebuilt
PREAMBLE_LINES = 15  # non-empty lines looked at, at most
MAX_TITLE_CHARS = 300
MIN_SHARED_DOCS = 3  # a preamble line in this many documents is site chrome

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_MARKUP = re.compile(r"[*_`]+")
_LETTER = re.compile(r"[^\W\d_]")
_RULE = re.compile(r"^\s*([-*_=~·•])(\s*\1){2,}\s*$")
_BULLET = re.compile(r"^\s*[•·▪►◦‣∙*+-]\s")
_BREADCRUMB = re.compile(r"\s[|›»>/•·]\s")
# A full stop ends a sentence, not a headline (an ellipsis or a question mark may end either).
_SENTENCE_END = re.compile(r"[^.]\.\s*[»\"”’)]?$")
# Calls to action and paywall/login prompts, French and English. Matched only on short lines.
_CALL_TO_ACTION = re.compile(
    r"abonnez[- ]vous|s['’]abonner|réservé aux (?:lecteurs )?abonnés|\bsubscribe\b|"
    r"subscribers? only|inscrivez[- ]vous|s['’]inscrire|déjà inscrit|déjà abonné|"
    r"se connecter|connectez[- ]vous|\blog ?in\b|\bsign (?:in|up)\b|"
    r"vous offre cet article|offrir cet article|gift (?:this )?article|"
    r"lire (?:la suite|aussi|plus)|read (?:more|also|next)|en savoir plus|learn more|"
    r"^suivez\b|follow us|partagez|partager (?:sur|cet)|share (?:this|on)\b|newsletter|"
    r"cookies?\b|télécharge[zr] l['’]app|download (?:the|our) app|publicité|advertisement|"
    r"aller au contenu|skip to (?:main )?content|^(?:menu|accueil|home)$",
    re.IGNORECASE,
)
_CTA_MAX_WORDS = 15
_LABEL_MAX_WORDS = 3
_CAPS_LABEL_MAX_WORDS = 5
_HEADLINE_MAX_WORDS = 30
_SHORTENED_WORDS = 12
_TITLE_BREAK = re.compile(r"\s*[:;]\s|\s[–—-]\s|(?<=[^\W\d][^\W\d])\.\s")
_PROSE_MIN_WORDS = 36  # a line this long is body text, whatever its punctuation
_SENTENCE_MIN_WORDS = 5  # ... and so is a shorter one ending with a full stop
# Metadata titles that name the file or the template, not the document.
_JUNK_METADATA = re.compile(
    r"^(?:untitled|sans titre|\(?anonymous\)?|document\d*|microsoft (?:word|powerpoint)\b.*|"
    r"powerpoint presentation|présentation powerpoint|.*\.(?:docx?|pdf|pptx?|odt|indd|rtf))$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Line:
    text: str  # without markdown markup, whitespace collapsed
    heading: bool
    top: bool = False  # a markdown heading of level 1 ("# FAQ informatique")


def clean_line(line: str) -> str:
    """``line`` without markdown emphasis and with whitespace collapsed."""
    return " ".join(_MARKUP.sub("", line).split())


def normalise(line: str) -> str:
    return clean_line(line).casefold()


def preamble(text: str) -> list[_Line]:
    """The non-empty lines before the body starts, at most :data:`PREAMBLE_LINES`."""
    return [line for line, _, _ in _preamble(text)]


def _preamble(text: str) -> list[tuple[_Line, str, int]]:
    """The preamble's lines, each with its raw text and its offset in ``text``."""
    lines: list[tuple[_Line, str, int]] = []
    offset = 0
    raws = text.split("\n")
    for i, raw in enumerate(raws):
        start, offset = offset, offset + len(raw) + 1
        if not raw.strip():
            continue
        if len(lines) >= PREAMBLE_LINES or is_dated_entry(raw):
            break
        match = _HEADING.match(raw)
        cleaned = clean_line(match.group(2) if match else raw)
        if not match and not _is_call_to_action(cleaned) and (
                _is_prose(cleaned) or _is_prose_paragraph(raws, i, lines)):
            break
        lines.append((_Line(cleaned, heading=bool(match),
                            top=bool(match) and len(match.group(1)) == 1), raw, start))
    return lines


def _is_prose_paragraph(raws: list[str], i: int, lines: list[tuple[_Line, str, int]]) -> bool:
    """Whether line ``i`` starts a paragraph of body text, its lines joined: a long one,
    or one ending a sentence where the line is no headline broken by hand below a label or
    a date ("12 mars 2024" / "Note de service relative aux congés" / "du personnel."):
    a line wrapped at the width of the text, the document's first line, or one below a
    heading (the title is given)."""
    paragraph = _paragraph(raws, i)
    if len(_words(paragraph)) >= _PROSE_MIN_WORDS:
        return True
    wrapped = len(raws[i].strip()) >= WRAP_MIN_CHARS
    return (wrapped or not lines or any(line.heading for line, _, _ in lines)) and _is_prose(
        paragraph)


def _paragraph(raws: list[str], i: int) -> str:
    """Line ``i`` of ``raws`` with the lines that carry on its sentence (a justified
    paragraph hard-wrapped: "… de l'entreprise, quel" / "que soit leur lieu …"; "… et avis
    de la" / "Direction régionale …" once the paragraph is as long as a wrapped line), as
    :func:`~ragqa.index.documents.wrapping.unwrap` joins them, cleaned."""
    window = raws[i:i + 1 + PREAMBLE_LINES]
    return " ".join(clean_line(window[j]) for j in unwrap_groups(window)[0])


@dataclass(frozen=True)
class PreambleLine:
    """One line of a document's preamble: ``text[start:end]``, and what it is
    (``noise``, ``chrome``, ``label``, ``headline``: see the module's docstring)."""

    start: int
    end: int
    kind: str
    text: str  # cleaned: markup removed, whitespace collapsed


def preamble_lines(text: str, chrome: frozenset[str] = frozenset()) -> list[PreambleLine]:
    """The lines before the body starts, classified (``chrome`` as in :func:`headline`)."""
    return [PreambleLine(start, start + len(raw), _kind(line, raw, chrome), line.text)
            for line, raw, start in _preamble(text)]


def _words(line: str) -> list[str]:
    return line.split()


def _is_prose(line: str) -> bool:
    n = len(_words(line))
    return n >= _PROSE_MIN_WORDS or (n >= _SENTENCE_MIN_WORDS and bool(_SENTENCE_END.search(line)))


def _is_call_to_action(line: str) -> bool:
    return len(_words(line)) <= _CTA_MAX_WORDS and bool(_CALL_TO_ACTION.search(line))


def _is_noise(raw_line: str, line: str) -> bool:
    letters = len(_LETTER.findall(line))
    return (letters < 2 or bool(_RULE.match(raw_line)) or line.startswith(("©", "(c)"))
            or bool(_BULLET.match(raw_line)))


def _is_label(line: str) -> bool:
    words = _words(line)
    if len(words) <= _LABEL_MAX_WORDS:
        return True
    letters = "".join(_LETTER.findall(line))
    return len(words) <= _CAPS_LABEL_MAX_WORDS and letters.isupper()


def _kind(line: _Line, raw: str, chrome: frozenset[str]) -> str:
    if _is_noise(raw, line.text):
        return "noise"
    if line.text.casefold() in chrome or _is_call_to_action(line.text):
        return "chrome"
    if len(_BREADCRUMB.findall(f" {line.text} ")) >= 2:
        return "chrome"
    if (_is_label(line.text) and not line.top) or (
            not line.heading and _is_numbered_part(line.text)):
        return "label"  # (a level-1 heading is the author's title however short)
    if len(_words(line.text)) > _HEADLINE_MAX_WORDS:
        return "noise"
    return "headline"


def _is_numbered_part(line: str) -> bool:
    """Whether a plain line names a numbered part of a text ("1. Objet", "2.3 Délais", "IV.
    Budget", "Article 1 : Organisateur"): the document's outline, not its title."""
    return outline_number(line) is not None or division_word(line) is not None


def headline(text: str, fallback: str, chrome: frozenset[str] = frozenset()) -> str:
    """The document's headline, or ``fallback`` when no line can serve as one.

    ``chrome`` holds normalised lines (see :func:`normalise`) known to be site chrome,
    e.g. found in the preamble of several documents.
    """
    found = _preamble(text)
    lines = [line for line, _, _ in found]
    kinds = [_kind(line, raw, chrome) for line, raw, _ in found]
    for wanted in (
        lambda line, kind: kind == "headline" and line.heading,
        lambda line, kind: kind == "headline",
        lambda line, kind: kind == "label",
    ):
        for line, kind in zip(lines, kinds):
            if wanted(line, kind):
                return line.text[:MAX_TITLE_CHARS]
    for raw in text.split("\n"):  # nothing looks like a title: the first line with words
        line = clean_line(_HEADING.sub(r"\2", raw))
        if _LETTER.search(line) and line.casefold() not in chrome:
            return _shortened(line)[:MAX_TITLE_CHARS]
    return fallback


def _shortened(line: str) -> str:
    """A line too long for a headline, as a title: up to its first colon, semicolon, dash
    or full stop after two words with letters ("Liste des numéros utiles du site : poste
    1000 ...", not "Le 12" of "Le 12 - 14 mars"), else its first :data:`_SHORTENED_WORDS`
    words and an ellipsis."""
    words = _words(line)
    if len(words) <= _HEADLINE_MAX_WORDS:
        return line
    for cut in _TITLE_BREAK.finditer(line, len(" ".join(words[:2]))):
        head = _words(line[:cut.start()])
        if len(head) > _HEADLINE_MAX_WORDS:
            break
        if sum(1 for word in head if _LETTER.search(word)) >= 2:  # not "Le 12" of "12 - 14"
            return line[:cut.start()].rstrip()
    return " ".join(words[:_SHORTENED_WORDS]) + " …"


def shared_preamble_lines(texts: Iterable[str], min_docs: int = MIN_SHARED_DOCS) -> frozenset[str]:
    """Normalised preamble lines found in at least ``min_docs`` documents: site chrome."""
    seen: Counter[str] = Counter()
    for text in texts:
        seen.update({line.text.casefold() for line in preamble(text) if line.text})
    return frozenset(line for line, n in seen.items() if n >= min_docs)


def metadata_title(title: str | None) -> str | None:
    """A title from file metadata (PDF info, HTML ``<title>``), or None if it is empty or
    names a file or a template ("Microsoft Word - draft.docx", "untitled")."""
    cleaned = " ".join(str(title or "").split())
    if not _LETTER.search(cleaned) or _JUNK_METADATA.match(cleaned):
        return None
    return cleaned[:MAX_TITLE_CHARS]


