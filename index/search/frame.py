"""Words that frame a question rather than name what it is about.

"Peut-on postuler au programme de Huawei ?", "Je voudrais savoir si ça marche, le
programme de Nokia ?": "Peut", "voudrais", "savoir", "si", "ça" are BM25 terms (the
analyzer's stopword list, Snowball's, holds the forms of être and avoir, not those of the
modal verbs, nor "si" or "ça"), but they say how the question is asked, not what it asks
about. A follow-up that borrows an earlier question's words
(:func:`~ragqa.index.search.followup.content_words`) leaves them out: borrowed, they match
whatever passage says "peut" or "savoir" and push the search off its subject.

Per analysis language (Snowball's names; none for a language without a list): the forms of
the verbs a question is framed with (pouvoir, devoir, vouloir, savoir, falloir, aller,
faire, être, avoir; those of asking, aimer and souhaiter in the conditional, dire,
expliquer, connaître; marcher and fonctionner, "si ça marche"), pronouns, conjunctions,
greetings and fillers; for English, also the interrogatives and auxiliaries its analyzer's
short stopword list keeps ("when", "which", "were", "has": an English index's own turns
lent them). Matched as written, case aside, never by stem nor without accents:
either would take "marché" with "marche" (and a stem "pouvoirs publics" with "pouvoir"),
so a form that is a noun as often ("pouvoir", "devoir", "faits", "allée") is not listed, a
form typed without its accents is listed only where it is no other word ("deja", "etre";
not "ca", a turnover), and a name is never one ("la Marche verte": a capital after the
question's first word, :func:`~ragqa.index.search.markers.names`).

Light verbs say that something happens, not what: "When does GITEX Africa 2025 take place?",
"Où le salon aura-t-il lieu ?", "Quand se déroule-t-il ?". Their words are no subject
either ("place" and "lieu" are nouns as often: only in the phrase), and lent to a follow-up
("Who organises it?") they match whatever passage says "place" or "se tiendra"
(:func:`light_verbs` for the phrases, take place; avoir lieu, se tenir, se trouver, se
situer, in every tense, inverted or not; the frame words for the verbs that are light
alone, happen, occur, held, located, situated, based; se dérouler).
"""

from __future__ import annotations

import functools
import re
import unicodedata

_FRAME_WORDS = {
    "french": """
        peux peut peuvent pouvons pouvez pouvais pouvait pouvions pouviez pouvaient pourrai
        pourras pourra pourrons pourrez pourront pourrais pourrait pourrions pourriez
        pourraient puisse puisses puissions puissiez puissent pu pouvant
        dois doit doivent devons devez devais devait devions deviez devaient devrai devras
        devra devrons devrez devront devrais devrait devrions devriez devraient doive doives
        veux veut veulent voulons voulez voulais voulait voulions vouliez voulaient voudrai
        voudras voudra voudrons voudrez voudront voudrais voudrait voudrions voudriez
        voudraient veuille veuillez veuillent voulu vouloir
        sais sait savons savez savent savais savait savions saviez savaient saurai sauras
        saura saurons saurez sauront saurais saurait saurions sauriez sauraient sache saches
        sachions sachiez sachent sachant savoir
        faut fallait faudra faudrait fallu faille falloir
        vais vas va allons allez vont allais allait allions alliez allaient irai iras ira
        irons irez iront irais irait irions iriez iraient aille ailles aillent allé aller
        fais fait faisons faites font faisais faisait faisions faisiez faisaient ferai feras
        fera ferons ferez feront ferais ferait ferions feriez feraient fasse fasses fassions
        fassiez fassent faisant faire
        être etre étant etant été avoir ayant eu
        aimerais aimerait aimerions aimeriez souhaite souhaitons souhaitez souhaiterais
        souhaiterait souhaiterions souhaiteriez dire dites dis expliquer expliquez
        explique connaître connaitre connais connaissez
        marche marchent marcher fonctionne fonctionnent fonctionner
        déroule déroulent déroulera dérouleront déroulerait dérouleraient déroulait
        déroulaient déroula déroulé déroulée déroulés déroulées dérouler
        ça cela ceci moi toi quelque chose rien lequel laquelle lesquels lesquelles
        si alors donc car puis ensuite aussi bien bon oui non ici là voici voilà voila vraiment
        exactement précisément precisement encore déjà deja svp stp merci bonjour bonsoir
        salut
    """,
    "english": """
        can could may might must shall should will would do does did done doing
        please tell know wonder want wanted like need needs thanks thank hello hi
        also then so if whether yes no just really exactly many much
        who whom whose what which when where why how were been being has have had am its
        happen happens happened happening occur occurs occurred occurring
        held located situated based
    """,
}


_INVERTED_PRONOUN = r"(?:-t)?-(?:il|elle|ils|elles|on)\b"
# Light verbs as phrases (their single-word forms are frame words above), French and
# English: a phrase of one language is none of another's, so one pattern reads both.
_LIGHT_VERBS = re.compile(rf"""
      \b(?:take|takes|took|taken|taking)\s+place\b                       # take place
    | \b(?:a|ont|avait|avaient|aura|auront|aurait|auraient|ait|aient|eut|avoir|ayant)
      (?:{_INVERTED_PRONOUN})?\s+(?:eu\s+)?lieu\b                          # a-t-il eu lieu
    | (?:\bse\s+|\bs['’]\s*(?:est|sont|était|étaient|serait|sera)?\s*)
      (?:tien\w*|ten(?:ir|ait|aient|u|ue|us|ues)|trouv\w*|situ\w*)
      (?:{_INVERTED_PRONOUN})?                                             # se tiendra-t-il
    | (?:\b(?:est|sont|était|étaient|sera|serait)(?:{_INVERTED_PRONOUN})\s+)
      (?:tenu|tenue|tenus|tenues|trouvé|trouvée|trouvés|trouvées|situé|située|situés
         |situées)\b                                                       # s'est-il tenu
    """, re.IGNORECASE | re.VERBOSE)


def light_verbs(text: str) -> list[re.Match[str]]:
    """The light-verb phrases of ``text`` (see the module), in order."""
    return list(_LIGHT_VERBS.finditer(text))


@functools.cache
def frame_words(language: str) -> frozenset[str]:
    """The words that frame a question in ``language`` (a Snowball name), in lower case;
    empty for a language without a list."""
    return frozenset(_FRAME_WORDS.get(language, "").split())


def frames(word: str, language: str) -> bool:
    """Whether ``word`` (as written) frames a question in ``language`` rather than names
    its subject."""
    return unicodedata.normalize("NFC", word.casefold()) in frame_words(language)
