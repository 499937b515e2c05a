"""What a lone cell's words say of it under a sheet's table: a note, or a value.

A row whose only value stands in the table's first column, under its last row, is a note
("Source : DRH, mars 2025", "Chiffres provisoires.", "(1) hors contrats aidés") or a row
whose other cells are empty: a name without its phone number, "Moreau Jean-Baptiste", a
city without its figures, "Aix-en-Provence", a "Total" still to fill in. Its length alone
does not tell them apart: a directory's last name is often its longest, and a value may end
in a full stop ("Martin et Fils S.A."). A note shows itself by its words: it starts like one
(:func:`starts_like_note`), or it reads as a sentence clearly longer than the column's
values (:func:`reads_as_sentence`). Where it stands (after a blank row, under the totals
row) is told by :class:`~ragqa.index.documents.sheets._Labeller`.
"""

from __future__ import annotations

import re

# A note's first words: a label and a colon ("Source : DRH", "NB :", "Lecture :"), a
# footnote's call ("*", "(1)", "1)"), or a word notes open with and values seldom do,
# followed by more ("Chiffres provisoires", "Données estimées en mai", "N.B. hors ...").
_NOTE_START = re.compile(
    r"^(?:[^\W\d_][^:]{0,29}?\s?:\s+\S|[*†‡]|\(\d{1,2}\)|\d{1,2}\)\s"
    r"|(?:sources?|n\.\s?b\.|nb|nota|notes?|remarques?|chiffres|donn[ée]es|lecture|champ"
    r"|avertissement|attention|précisions?|rappel|légende|méthodologie|estimations?"
    r"|hors|y compris|non compris|(?:dernière )?mise? à jour|situation au|état au"
    r"|arrêtée?s? au)[\s:;,.(]+\S)",
    re.IGNORECASE)
# A total's first cell: the table's last row ("Total", "Sous-total", "Ensemble").
_TOTAL = re.compile(r"^(?:(?:sous-?\s?)?totale?s?|ensemble|cumul|somme)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…]$")
SENTENCE_WORDS = 5  # a sentence's fewest words (a person's name with particles has fewer)
# A verb's forms that notes use ("Les effectifs comprennent les agents ...", "ne sont pas
# comptés"), and past participles ("estimées", "transmis"): a value (a name, a service, a
# place) seldom has one. A word right after a determiner or a preposition is a noun
# ("la mise en service", "des salariés", "des données"), whatever its shape.
_VERB = frozenset("""
    est sont était étaient sera seront a ont avait avaient aura auront fait font peut peuvent
    doit doivent comprend comprennent inclut incluent exclut excluent concerne concernent
    correspond correspondent représente représentent figure figurent manque manquent
    reste restent porte portent tient tiennent compte comptent prend prennent agit voir
    mis mise mises pris prise prises compris comprise comprises inclus incluse incluses exclu
    exclus exclue exclues transmis transmise transmises fourni fournie fournis fournies établi
    établie établis établies
    is are was were has have include includes exclude excludes
""".split())
_PARTICIPLE = re.compile(r"^[a-zàâäçèêëîïôöûùüÿœ]{2,}(?<!it)ée?s?$")  # "comptés", "estimées"
# Nouns of a participle's shape ("sécurité" is told by its "-ité").
_NOT_PARTICIPLE = frozenset("""
    année années journée journées entrée entrées société sociétés comité comités santé durée
    lycée musée côté arrivée rentrée pensée idée degré marché vallée allée assemblée soirée
    clé été propreté liberté beauté volonté sûreté café donnée données employé employés
    salarié salariés délégué délégués député députés associé associés
""".split())
_BEFORE_NOUN = frozenset("""
    le la les l' un une des du de d' au aux à en et ou sur par pour sans avec dans ce cet
    cette ces son sa ses leur leurs notre nos votre vos the a an of and
""".split())


def starts_like_note(text: str) -> bool:
    """Whether ``text`` opens as a note does: "Source : ...", "(1) ...", "* ...",
    "Chiffres provisoires", "NB ..."."""
    return _NOTE_START.match(text) is not None


def reads_as_sentence(text: str, longest: int) -> bool:
    """Whether ``text`` reads as a sentence rather than a value of a column whose longest
    value has ``longest`` characters: :data:`SENTENCE_WORDS` words or more, more than twice
    that long, with a final stop or a verb's shape. A name with particles ("de La Fontaine
    Jean"), a service's long name ("Direction des ressources humaines et des relations
    sociales": no verb), a company's ("Martin et Fils S.A.") fail one of them."""
    words = text.split()
    if len(words) < SENTENCE_WORDS or len(text) <= 2 * longest:
        return False
    return (_SENTENCE_END.search(text) is not None
            or any(_is_verb(word, before) for before, word in zip(words, words[1:])))


def is_total(text: str) -> bool:
    """Whether a row's first value names it the totals row ("Total", "Sous-total")."""
    return _TOTAL.match(text) is not None


def _is_verb(word: str, before: str) -> bool:
    """Whether ``word`` (``before`` it in its text) has a verb's shape (see :data:`_VERB`)."""
    if before.lower().replace("’", "'") in _BEFORE_NOUN:
        return False
    word = word.replace("’", "'").strip(",;:()«»\"")
    word = word.removeprefix("n'").removeprefix("s'")  # "n'ont", "s'agit"
    return word in _VERB or (_PARTICIPLE.match(word) is not None
                             and word not in _NOT_PARTICIPLE)
