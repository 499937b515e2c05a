"""What a question says about the turns before it, read from its words alone: whether it
points back to them (:func:`pointing_back`: a strong marker, an anaphora or an ellipsis of
its own, or a weak one, a possessive or "en" before a verb), the names it mentions
(:func:`names`), and whether it asks for a definition (:func:`is_definition`).
:mod:`~ragqa.index.search.followup` decides from these, and the index's idf, whether a
question leans on the dialogue.
"""

from __future__ import annotations

import re

from ragqa.index.search.analysis import Analyzer

# Words and shapes that point back to an earlier turn, French and English: a sentence that
# starts with "Et"/"And" continues the previous one ("Et l'édition précédente ?"); the
# others are pronouns and determiners that need an antecedent. One feature beside the
# specificity below, measured together (docs/retrieval-quality.md#conversations).
_CONTINUES = re.compile(r"^\W*(?:et|and|also|aussi|mais|puis|but|(?:what|how)\s+about)\b",
                        re.IGNORECASE)
_POINTS_BACK = re.compile(r"""
      \bl['’](?:a|ont|avait|avaient|aura)\b            # qui l'a signé
    | \bles\s+(?:a|ont|avait|avaient)\b                # les a reçus
    | \b(?:lui|celui|celle|ceux|celles|cela|ça)\b
    | (?<![-'’])\b(?:il|elle|ils|elles|eux)\b(?!-)      # avec elle, d'entre elles
    | \b(?:cet|cette|ces)\s+\w+                         # cette entreprise, ces réseaux
    | (?<![-'’])\bce\s+(?!(?:que|qui|quoi|dont|à|a|en|y|ne|se|sur|pour|faisant|disant
                           |sont|sera|serait|seront|fut|furent|fût|soit|soient|était
                           |étaient|doit|doivent|devait|devrait|peut|peuvent|pouvait
                           |pourrait|semble|semblait|va|vont|allait|faire
                           |jour|moment|titre|matin|soir|midi|mois|week)\b|[nsq]u?['’])\w+
                               # ce centre (not ce que, ce sont, à ce jour, en ce moment)
    | \by\b                                            # y sont inscrites
    | (?!(?-i:IT)\b)\b(?:it|they|them|he|she|him|this|these|those)\b  # not "IT", the trade
    | \bthe\s+(?:former|latter|same)\b                  # the latter, the same company
    | \bthat\s+(?!(?:is|was|are|were|will|would|has|have|had|can|could|may|might|must
                     |should|does|did|do|it|he|she|they|we|you|i|there|this|these|those
                     |the|a|an|its|his|her|their|our|my|your|no|not|all|some|any|each
                     |every|many|much|most|more|one|to|of|in|on|at|by|for|with|from
                     |as|if|when|what|who|which|how|so|also|still|only|such)\b)
      (?-i:[a-z])\w*(?<!ed)(?<!ing)\b          # that programme (not "said that Nokia")
    | (?<!\bis\s)(?<!\bare\s)(?<!\bwas\s)(?<!\bwere\s)(?<!\bbe\s)
      \bthere\b(?!\s+(?:is|are|was|were|will|would|has|have|had|be|been|seems?|seemed
                         |appears?|exists?|may|might|must|could|should|used)\b|['’])
                               # who works there (not "is there", "there are")
    """, re.IGNORECASE | re.VERBOSE)
# Weak markers: a possessive belongs to the question's own subject as often as to an
# earlier turn's ("Quand Nokia a-t-il ouvert son centre… ?"), and "en" before a verb is an
# idiom as often as a pronoun ("Où en est le projet… ?", "Qui en est le directeur ?"):
# they point back as FollowupParams.weak_markers says.
_WEAK = re.compile(r"""
      \b(?:son|sa|ses|leur|leurs|its|their|his|her)\b
    | \ben\s+(?:est|sont|a|ont|était|étaient|compte)\b  # qui en est le directeur
    """, re.IGNORECASE | re.VERBOSE)
# "a-t-il", "est-elle": the subject is a pronoun ("De quelles consoles est-il à
# l'origine ?"), unless a noun phrase stands before the verb: a name or a determiner in
# the few words before it ("Quand Satoru Iwata est-il devenu…", "Depuis quand la
# télémédecine est-elle encadrée ?").
_INVERTED = re.compile(r"(?:\b(?:se|ne|en)\s+|\b[sn]['’])?(?P<verb>\w+)"
                       r"-(?:t-)?(?:il|elle|ils|elles)\b", re.IGNORECASE)
# Impersonal "il" refers to nothing ("Faut-il payer… ?", "Combien de places reste-t-il ?",
# "Y aura-t-il… ?", "il y avait"): French has a closed class of impersonal verbs, here in
# every tense (their third person singular), inverted or not, with "ne"/"n'" and the
# clitics before them, and their compound and modal forms ("a-t-il fallu", "va-t-il y
# avoir"). Verbs that are personal as often (arriver, passer, sembler, paraître, valoir,
# être, faire) are impersonal only in their impersonal shapes ("que se passe-t-il", "il
# semble que", "…, paraît-il", "vaut-il mieux", "est-il possible de", "fait-il chaud").
# These are masked before the markers are read.
_IMPERSONAL_VERB = r"""(?:
      y\s+(?:a|avait|aura|aurait|eut|eût|ait)                    # y avoir
    | fau[td]\w* | fall\w+ | faille                              # falloir
    | s['’]\s*agi\w*                                             # s'agir
    | exist\w* | rest(?:e|ait|era|erait|a|ât|é)\b                # exister, rester
    | suff(?:it|isait|ira|irait|ise|i)\b                        # suffire
    | manqu\w* | pleu\w+ | plu\b | neig\w+ | gèle\w* | grêl\w*   # manquer, the weather
    | advien\w* | advint | advenu
    )"""
_CLITICS = r"(?:ne\s+|n['’]\s*)?"  # not "lui", "leur": they point back
_SEEM = r"(?:sembl\w*|par(?:aî|ai)t\w*|parut)"  # personal as often: "il semble fatigué"
_WORTH = r"(?:vaut|valait|vaudra|vaudrait|valut)"
_AUXILIARY = r"(?:a|avait|aura|aurait|eut|est|était|sera|serait|va|allait|doit|devait|" \
             r"devrait|peut|pouvait|pourrait|risque)"
_ADJECTIVE = (r"(?:possible|impossible|nécessaire|obligatoire|interdit|permis|autorisé|prévu|"
              r"vrai|faux|utile|inutile|important|difficile|facile|gratuit|conseillé|"
              r"recommandé|question|temps|trop\s+tard|urgent|courant|fréquent|rare|normal|"
              r"probable|légal|sûr|certain|exact)")
_IMPERSONAL = re.compile(rf"""
      (?<![-\w])il\s+{_CLITICS}{_IMPERSONAL_VERB}                     # il y a, il n'y avait
    | (?<!\w){_CLITICS}{_IMPERSONAL_VERB}-(?:t-)?il\b                 # faut-il, n'y a-t-il
    | (?:(?<![-\w])il\s+{_CLITICS}{_AUXILIARY}|{_AUXILIARY}-(?:t-)?il)\b  # a-t-il fallu,
      \s+(?:pas\s+)?(?:fallu|falloir|y\s+(?:avoir|eu)|s['’]\s*agir|agi|suffi|plu|neigé
                      |pleuvoir|neiger)\b                             # va-t-il y avoir
    | \bqu(?:e\s+|['’])(?:(?:se|ne|y)\s+|[sn]['’])*                   # que se passe-t-il,
      (?:(?:pass|arriv|produi|adv)\w*-(?:t-)?il\b                     # qu'est-il arrivé
       |\w+-(?:t-)?il\s+(?:pas\s+)?(?:se\s+|s['’])?(?:pass|arriv|produi|adven)\w*)
    | (?<![-\w])il\s+(?:se|s['’])\s*pass\w* | (?<![-\w])il\s+arriv\w*\s+qu   # il se passe
    | (?:(?<![-\w])il\s+{_CLITICS}{_SEEM}|{_SEEM}-(?:t-)?il)\s+(?:que\b|qu['’])  # il semble que
    | ,\s*{_SEEM}-(?:t-)?il\b                                        # …, paraît-il
    | (?:(?<![-\w])il\s+{_CLITICS}{_WORTH}|{_WORTH}-(?:t-)?il)\s+mieux  # vaut-il mieux
    | (?:(?<![-\w])il\s+(?:n['’]\s*|ne\s+)?(?:est|était|sera|serait|fut|a\s+été)
       |(?:est|était|sera|serait|fut)-(?:t-)?il|a-t-il\s+été)         # est-il possible de
      \s+(?:pas\s+|plus\s+|encore\s+|vraiment\s+|toujours\s+|aussi\s+|bien\s+|déjà\s+)*
      {_ADJECTIVE}\s+(?:de\b|d['’]|que\b|qu['’]|à\b)
    | (?:(?<![-\w])il\s+(?:fait|faisait|fera|ferait)|(?:fait|faisait|fera|ferait)-(?:t-)?il)
      \s+(?:chaud|froid|beau|doux|jour|nuit|soleil)\b                   # fait-il chaud
    | \btemps\s+(?:fait|faisait|fera|ferait)-(?:t-)?il\b
    """, re.IGNORECASE | re.VERBOSE)
# English impersonal "it" refers to nothing either: "it" before an extraposed clause ("Is it
# possible to…", "it is said that…", "How long does it take to…", "What does it cost to…",
# "Is it worth visiting…", "it seems that…"), the weather and the time ("is it raining",
# "what time is it"). Only these shapes: "What does it cost?", "Is it possible?" with no
# clause after them point back, as "Who signed it?" does.
_BE = r"(?:is|was|will\s+be|would\s+be|has\s+been|had\s+been|isn['’]t|wasn['’]t|['’]s)"
_EN_ADJECTIVE = (r"(?:possible|impossible|necessary|mandatory|compulsory|required|allowed|"
                 r"permitted|forbidden|free|true|false|worth|useful|important|hard|difficult|"
                 r"easy|better|best|safe|legal|common|usual|likely|unlikely|expected|planned|"
                 r"known|said|reported|believed|estimated|thought|clear|certain|enough|"
                 r"time|too\s+late|too\s+early)")
_IMPERSONAL_EN = re.compile(rf"""
      \bit\s*{_BE}\s+(?:not\s+|still\s+|really\s+|also\s+|already\s+)*{_EN_ADJECTIVE}
      \b(?:\s+(?:that|whether|if)\b|(?=\s+(?:to|for|when|\w+ing)\b))          # it is possible to
    | \b(?:is|was|will|would|isn['’]t|wasn['’]t)\s+it\s+(?:be\s+)?
      (?:not\s+|still\s+|really\s+|also\s+|already\s+)*{_EN_ADJECTIVE}
      \b(?:\s+(?:that|whether|if)\b|(?=\s+(?:to|for|when|\w+ing)\b))          # is it possible to
    | \b(?:does|did|will|would|can|could)\s+it\s+(?:take|cost|require|need|matter)\b
      (?=.*\bto\b)                                              # how long does it take to
    | \bit\s+(?:takes|took|will\s+take|costs|cost|will\s+cost|requires|required)\b
      (?=.*\bto\b)                                              # it takes … to
    | \bit\s+(?:seems|seemed|appears|appeared|looks|looked|turns\s+out|turned\s+out
                |happens|happened|follows)\s+(?:that|as\s+if|like)\b   # it seems that
    | \b(?:does|did)\s+it\s+(?:seem|appear|look)\s+(?:that|as\s+if|like)\b
    | \bit\s*(?:is|was|['’]s)\s+(?:raining|snowing|sunny|cold|hot|warm|late|early)\b
    | \b(?:is|was)\s+it\s+(?:raining|snowing|sunny|cold|hot|warm|late|early)\b
    | \bwhat\s+time\s+is\s+it\b | \bhow\s+far\s+is\s+it\b
    """, re.IGNORECASE | re.VERBOSE)
_DETERMINERS = frozenset(
    "le la les l un une des du au aux ce cet cette ces son sa ses leur leurs mon ma mes "
    "notre nos votre vos the a an".split())


def pointing_back(question: str) -> str | None:
    """"strong" when ``question`` has a word or shape that points back to an earlier turn,
    "weak" when it has only a possessive or "en" before a verb, else None."""
    question = question.strip()
    if question.isupper():  # "WHO SIGNED IT?": its capitals tell nothing
        question = question.lower()
    question = _IMPERSONAL_EN.sub(" _ ", _IMPERSONAL.sub(" _ ", question))
    if _CONTINUES.search(question) or _POINTS_BACK.search(question):
        return "strong"
    if any(not _has_subject(question[: m.start()]) for m in _INVERTED.finditer(question)):
        return "strong"
    return "weak" if _WEAK.search(question) else None


def has_marker(question: str) -> bool:
    """Whether ``question`` has a word or shape that may point back to an earlier turn."""
    return pointing_back(question) is not None


def _has_subject(before: str) -> bool:
    """Whether the last few words before an inverted verb hold a noun phrase: a name (not
    the question's first word), a number or a determiner."""
    words = re.findall(r"\w+", before)
    for position in range(max(0, len(words) - 5), len(words)):
        word = words[position]
        if ((position > 0 and word[0].isupper()) or any(c.isdigit() for c in word)
                or word.casefold() in _DETERMINERS):
            return True
    return False


# A definition: "Qu'est-ce qu'un réseau privé ?", "What is a private network?" asks what a
# kind of thing is, a subject of its own ("Qu'est-ce que c'est ?" names nothing: not one).
_DEFINITION = re.compile(r"^\W*(?:qu['’]est[- ]ce\s+qu(?:e\s+|['’])|what\s+(?:is|are)\s+)"
                         r"(?P<rest>.+)", re.IGNORECASE)


def is_definition(question: str, analyzer: Analyzer) -> bool:
    """Whether ``question`` asks what something it names is."""
    match = _DEFINITION.match(question.strip())
    return bool(match and analyzer(match["rest"]))


# A name: a capitalised word (or an acronym) after the question's first word.
_NAME = re.compile(r"(?<=[\s'’(«\"-])[A-ZÀ-ÖØ-Ý][\w.-]*")


def names(question: str) -> list[str]:
    """The names ``question`` mentions (capitalised words after its first one; not the
    English pronoun "I": "Where can I apply?" names nothing)."""
    return [n for n in _NAME.findall(question.strip()) if n != "I"]
