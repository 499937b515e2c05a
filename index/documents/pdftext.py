"""A PDF's extracted text as a person reads it: the canonical text of a PDF.

pypdf gives each page's text as the lines the layout printed. Three things of the layout
are undone, page by page, so that BM25, the embedding model, highlights and quotes see
words and sentences:

* ligature glyphs (U+FB00–U+FB06, "ﬁ" in "ﬁnancement" as TeX and InDesign write it) are
  the letters they stand for (their NFKC form), and soft hyphens (U+00AD, invisible) go.
  BM25's analyzer (``casefold``) and the model's tokenizer (NFKC) already read "ﬁ" as
  "fi"; the glyph still reached the quotes people read and copy, and the LLM's prompt;
* a word hyphenated at a line end is joined when the next line starts in lower case:
  "préve-\\nnance" reads "prévenance". French writes many compounds with a hyphen
  ("porte-parole", "peut-être"), so the hyphen is kept when the document itself says so
  (the hyphenated form is more frequent in it than the joined word), when the word at the
  line end already holds a hyphen ("c'est-à-\\ndire", "a-t-\\nil") or is one letter
  ("e-\\nmail": no layout cuts a word after its first letter), or, with no evidence
  either way, when the hyphen is inside a URL or an e-mail address, when the word before
  it only starts compounds (:data:`COMPOUND_STARTS`: "après-", "grand-", "sous-"...), when
  the next part only ends them (:data:`COMPOUND_ENDS`: "-il", "-être", "-deux"...) or when
  it keeps two i's apart ("anti-inflammatoire"). Otherwise the default joins: a justified
  line's hyphen cuts a word far more often than it falls at a compound's. A capital after
  the hyphen ("Moyen-\\nOrient") is a compound: the lines are joined, the hyphen kept;
* hard-wrapped lines are joined into paragraphs (:func:`~ragqa.index.documents.wrapping.unwrap`,
  the rule of the other formats), so that a highlight is a sentence, not a line of it. A
  line of 60 characters or more is taken as wrapped before a capital only when it reaches
  near the page's full width (:func:`full_width`, from the lines that surely were wrapped):
  a heading, a title or a table row stops short of the margin.

Pages stay apart (a word hyphenated at a page end is left as printed: joining would move
it to another page than the one cited), separated by a blank line, and the start offset of
each is kept: every offset refers to the text returned here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ragqa.index.documents.wrapping import WRAP_MIN_CHARS, goes_on, unwrap

PAGE_SEPARATOR = "\n\n"

# Their NFKC forms (checked by the tests), kept as a table: NFKC on the whole text would
# also change other characters (superscripts, fractions, full-width forms) people wrote.
LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
                           "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"})
SOFT_HYPHEN = "\xad"
# Words that end French compounds and are no word's last syllable: inverted pronouns
# ("dit-il", "pensez-vous"), "-là", "-ci", "-même(s)", "-être" and the numbers
# ("vingt-deux", "dix-sept"). The right-hand part of a line-end hyphen being one of these,
# the hyphen is kept unless the document shows the joined word.
COMPOUND_ENDS = frozenset({
    "il", "ils", "elle", "elles", "on", "je", "tu", "nous", "vous", "moi", "toi", "lui",
    "leur", "eux", "ce", "là", "ci", "même", "mêmes", "être",
    "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
    "douze", "treize", "quatorze", "quinze", "seize", "vingt", "vingts", "trente",
    "quarante", "cinquante", "soixante", "cent", "cents", "mille",
})

# Words that start French compounds ("après-midi", "grand-mère", "sous-traitant",
# "mot-clé") and that no layout would leave before a hyphen cutting an ordinary word: the
# left-hand part of a line-end hyphen being one of these, the hyphen is kept unless the
# document shows the joined word. Left out, as they also begin ordinary words a layout
# cuts there: "auto" ("auto-risation"), "anti" ("anti-ciper"; "anti-inflammatoire" keeps
# its hyphen by the two i's), "sur" ("sur-veillance"), "contre" ("contre-partie"),
# "extra" ("extra-ordinaire"), "beau" ("beau-coup"), "bas" ("bas-sin"), "porte" and
# "garde" (their verbs' "porte-ra", "garde-rait"), "mi", "co", "ex", "pré", "re"
# ("mi-nistre", "co-mité", "ex-ception", "pré-sident", "re-cevoir"). "sous" still cuts
# "sous-signé", far rarer than its compounds.
COMPOUND_STARTS = frozenset({
    "après", "avant", "arrière", "grand", "belle", "demi", "semi", "sous", "non", "chef",
    "mot", "week", "état", "états", "haut", "petit", "petite", "vice", "nord", "sud",
})

_LINE_BREAKS = re.compile(r"\r\n|[\r\v\f\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_HYPHENS = "-\u2010"  # the ASCII hyphen-minus and U+2010 HYPHEN
# A word (maybe a compound) ending a line with a hyphen, and the word opening the next one.
# The left word is matched from its first letter only (the look-behinds): tried from every
# letter of a long token (a hash, a base64 block) the search was quadratic.
_LINE_END_HYPHEN = re.compile(
    rf"(?<!\w)(?<!\w[{_HYPHENS}])(?P<left>\w+(?:[{_HYPHENS}]\w+)*)[{_HYPHENS}]\n"
    rf"[ \t]*(?P<right>\w+(?:[{_HYPHENS}]\w+)*)")
_ADDRESS_MARK = re.compile(r"[/@]|\.\w")
_ADDRESS_REACH = 200  # characters looked at either side of the hyphen for an address
_WORD = re.compile(rf"\w+(?:[{_HYPHENS}]\w+)*")


@dataclass(frozen=True)
class PdfText:
    """A PDF's canonical text and the start offset of each of its pages in it."""

    text: str
    pages: tuple[int, ...]


def pdf_text(page_texts: Sequence[str]) -> PdfText:
    """The canonical text of a PDF whose pages' extracted texts are ``page_texts``."""
    pages = [_letters(page) for page in page_texts]
    words = Counter(word.casefold() for page in pages for word in _WORD.findall(page))
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page in pages:
        lines = _LINE_END_HYPHEN.sub(lambda match: _joined(match, words), page).split("\n")
        shaped = "\n".join(unwrap(lines, full_width(page.split("\n")))).strip()
        starts.append(offset)
        parts.append(shaped)
        offset += len(shaped) + len(PAGE_SEPARATOR)
    return PdfText(PAGE_SEPARATOR.join(parts), tuple(starts))


def full_width(lines: Sequence[str]) -> int:
    """The width, in characters, of a page's full lines: the median length of the lines
    that surely were wrapped (one that ends no clause before a lower-case line, or a word
    hyphenated at its end) and are long enough to be (:data:`WRAP_MIN_CHARS`); 0 where
    the page has none."""
    wrapped = sorted(
        len(line.strip()) for line, following in zip(lines, lines[1:])
        if len(line.strip()) >= WRAP_MIN_CHARS and following.strip()
        and (goes_on(line, following)
             or (line[-1] in _HYPHENS and following.lstrip()[0].isalpha())))
    return wrapped[len(wrapped) // 2] if wrapped else 0


def _letters(page: str) -> str:
    """``page`` with ligatures as letters, soft hyphens gone, its line breaks ``\\n``,
    control characters removed and lines right-stripped."""
    text = _LINE_BREAKS.sub("\n", page.replace("\ufeff", "")).translate(LIGATURES)
    text = text.replace(SOFT_HYPHEN + "\n", "").replace(SOFT_HYPHEN, "")
    return "\n".join(line.rstrip() for line in _CONTROL.sub("", text).split("\n")).strip()


def _joined(match: re.Match[str], words: Counter[str]) -> str:
    """The text of a line-end hyphen ``match``: the two parts joined, with the hyphen or
    without (see the module's docstring)."""
    left, right = match["left"], match["right"]
    hyphen = match.group()[len(left)]
    compound = f"{left}{hyphen}{right}"
    if not right[0].islower():
        return compound
    if len(left) == 1 or any(h in left or h in right for h in _HYPHENS):
        return compound  # layouts leave two letters at least before a hyphen that cuts
    as_compound = sum(words[form.casefold()] for form in {f"{left}-{right}", compound})
    as_word = words[f"{left}{right}".casefold()]
    if as_compound != as_word:
        return compound if as_compound > as_word else f"{left}{right}"
    if (_in_address(match) or left.casefold() in COMPOUND_STARTS
            or right.casefold() in COMPOUND_ENDS or left[-1] + right[0] == "ii"):
        return compound
    return f"{left}{right}"


def _in_address(match: re.Match[str]) -> bool:
    """Whether a line-end hyphen ``match`` is inside a URL or an e-mail address, whose
    hyphens are its own: the token it cuts holds ``/``, ``@`` or a ``.`` between letters."""
    before = match.string[max(0, match.start() - _ADDRESS_REACH):match.start()]
    after = match.string[match.end():match.end() + _ADDRESS_REACH]
    token = (before.split() or [""])[-1] if before[-1:].strip() else ""
    token += "-" + (after.split() or [""])[0] if after[:1].strip() else ""
    return bool(_ADDRESS_MARK.search(token))
