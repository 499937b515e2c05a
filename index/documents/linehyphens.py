"""A word hyphenated at a line end: joined, or its hyphen kept, by one rule.

A printed line that ends with a hyphen either cuts a word ("préve-" / "nance": the
layout's hyphenation, "prévenance") or falls at a compound's hyphen ("porte-" / "parole").
:func:`joined` decides, for a PDF's body text and its headings alike
(:mod:`~ragqa.index.documents.pdftext`, :mod:`~ragqa.index.documents.pdfheadings`):

* a capital after the hyphen ("Moyen-" / "Orient", "Al-" / "Maghrib") is a compound: the
  hyphen is kept, and so it is after one letter ("e-" / "mail": no layout cuts a word after
  its first letter) or in a word that already holds a hyphen ("c'est-à-" / "dire");
* otherwise the document itself tells: the hyphenated form kept where it is more frequent
  in the document than the joined word, the word joined where the joined form is the more
  frequent (:func:`vocabulary`);
* with no evidence either way, the hyphen is kept inside a URL or an e-mail address, when
  the word before it only starts compounds (:data:`COMPOUND_STARTS`: "après-", "grand-",
  "sous-"...) or starts them before the parts that follow it in compounds
  (:data:`GUARDED_STARTS`: "porte-parole" but "porte-ra"), when the next part only ends
  them (:data:`COMPOUND_ENDS`: "-il", "-être", "-deux"...) or when it keeps two i's apart
  ("anti-inflammatoire"). Otherwise the word is joined: a justified line's hyphen cuts a
  word far more often than it falls at a compound's.

:func:`joined_lines` reads a heading wrapped over lines by that rule: "Conditions d'accès
au ser-" / "vice public" is "Conditions d'accès au service public", its other lines joined
by a space.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

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
    "mot", "mots", "week", "état", "états", "haut", "petit", "petite", "vice", "nord", "sud",
})

# Words that start French compounds and also ordinary words, each with the test of its
# compounds' next part: "porte-parole", "garde-fou" but the verbs' "porte-ra", "garde-rait"
# and "garde-rie", "porte-feuille" (one word each); "mi-temps", "mi-mars" but
# "mi-nistre", "mi-lieu"; "ex-président", "ex-mari" (a role, a bond: :data:`_EX_ROLES`)
# but "ex-ception", "ex-position".
_VERB_ENDINGS = frozenset({"r", "ra", "ras", "rai", "rais", "rait", "raient", "rez", "riez",
                           "rions", "rons", "ront", "rie", "ries", "feuille", "feuilles"})
_MI_ENDS = frozenset({
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre", "temps", "chemin", "parcours", "mandat", "journée",
    "saison", "hauteur", "voix", "course", "carême", "clos", "long", "longue", "lourd",
    "année", "semaine", "mois", "distance", "étape", "session", "exercice"})
# What "ex-" is said of: a person by a role, a title or a bond ("ex-président", "ex-mari");
# before anything else a line-end "ex-" cuts a word ("ex-position", "ex-trait").
_EX_ROLES = frozenset(
    form for word in (
        "président", "présidente", "ministre", "premier", "première", "mari", "femme",
        "épouse", "époux", "compagnon", "compagne", "conjoint", "conjointe", "fiancé",
        "fiancée", "petit", "petite", "directeur", "directrice", "salarié", "salariée",
        "employé", "employée", "collaborateur", "collaboratrice", "associé", "associée",
        "champion", "championne", "maire", "député", "députée", "sénateur", "sénatrice",
        "secrétaire", "patron", "patronne", "chef", "dirigeant", "dirigeante",
        "gouverneur", "préfet", "préfète", "adjoint", "adjointe", "conseiller",
        "conseillère", "élu", "élue", "membre", "détenu", "détenue", "otage", "footballeur",
        "joueur", "joueuse", "entraîneur", "sélectionneur", "capitaine", "soldat",
        "militaire", "policier", "policière", "agent", "agente", "élève", "étudiant",
        "étudiante", "candidat", "candidate", "maître", "maîtresse", "roi", "reine", "prince",
        "princesse", "colonie", "colonies", "république", "urss", "yougoslavie", "rda")
    for form in (word, word + "s"))
GUARDED_STARTS = {
    "porte": lambda right, words: right not in _VERB_ENDINGS,
    "garde": lambda right, words: right not in _VERB_ENDINGS,
    "mi": lambda right, words: right in _MI_ENDS,
    "ex": lambda right, words: right in _EX_ROLES,
}

SOFT_HYPHEN = "\xad"
HYPHENS = "-\u2010"  # the ASCII hyphen-minus and U+2010 HYPHEN
# A word (maybe a compound) ending a line with a hyphen, and the word opening the next one.
# The left word is matched from its first letter only (the look-behinds): tried from every
# letter of a long token (a hash, a base64 block) the search was quadratic.
LINE_END_HYPHEN = re.compile(
    rf"(?<!\w)(?<!\w[{HYPHENS}])(?P<left>\w+(?:[{HYPHENS}]\w+)*)[{HYPHENS}]\n"
    rf"[ \t]*(?P<right>\w+(?:[{HYPHENS}]\w+)*)")
_ADDRESS_MARK = re.compile(r"[/@]|\.\w")
ADDRESS_REACH = 200  # characters looked at either side of the hyphen for an address
_WORD = re.compile(rf"\w+(?:[{HYPHENS}]\w+)*")


def joined(match: re.Match[str], words: Counter[str]) -> str:
    """The text of a line-end hyphen ``match``: the two parts joined, with the hyphen or
    without (see the module's docstring)."""
    left, right = match["left"], match["right"]
    hyphen = match.group()[len(left)]
    compound = f"{left}{hyphen}{right}"
    if not right[0].islower():
        return compound
    if len(left) == 1 or any(h in left or h in right for h in HYPHENS):
        return compound  # layouts leave two letters at least before a hyphen that cuts
    as_compound = sum(words[form.casefold()] for form in {f"{left}-{right}", compound})
    as_word = words[f"{left}{right}".casefold()]
    if as_compound != as_word:
        return compound if as_compound > as_word else f"{left}{right}"
    guard = GUARDED_STARTS.get(left.casefold())
    if (_in_address(match) or left.casefold() in COMPOUND_STARTS
            or right.casefold() in COMPOUND_ENDS or left[-1] + right[0] == "ii"
            or (guard and guard(right.casefold(), words))):
        return compound
    return f"{left}{right}"


def _in_address(match: re.Match[str]) -> bool:
    """Whether a line-end hyphen ``match`` is inside a URL or an e-mail address, whose
    hyphens are its own: the token it cuts holds ``/``, ``@`` or a ``.`` between letters."""
    before = match.string[max(0, match.start() - ADDRESS_REACH):match.start()]
    after = match.string[match.end():match.end() + ADDRESS_REACH]
    token = (before.split() or [""])[-1] if before[-1:].strip() else ""
    token += "-" + (after.split() or [""])[0] if after[:1].strip() else ""
    return bool(_ADDRESS_MARK.search(token))


def vocabulary(pages: Iterable[str]) -> Counter[str]:
    """How often each word (a compound whole, casefolded) is written in ``pages``: the
    document's own word for :func:`joined`."""
    return Counter(word.casefold() for page in pages for word in _WORD.findall(page))


def joined_lines(lines: Sequence[str], words: Counter[str]) -> str:
    """``lines`` (one heading or title wrapped over them) as one line: a word hyphenated at
    a line end joined or its hyphen kept by :func:`joined` (``words``: the document's
    :func:`vocabulary`), a soft hyphen (U+00AD) at a line end joining the word without a
    trace, the other lines joined by a space."""
    stripped = [line.strip() for line in lines]
    if len(stripped) < 2:
        return "".join(stripped)
    text = LINE_END_HYPHEN.sub(lambda match: joined(match, words), "\n".join(stripped))
    return text.replace(SOFT_HYPHEN + "\n", "").replace("\n", " ")
