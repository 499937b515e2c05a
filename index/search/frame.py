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
greetings and fillers. Matched as written, case aside, never by stem nor without accents:
either would take "marché" with "marche" (and a stem "pouvoirs publics" with "pouvoir"),
so a form that is a noun as often ("pouvoir", "devoir", "faits", "allée") is not listed, a
form typed without its accents is listed only where it is no other word ("deja", "etre";
not "ca", a turnover), and a name is never one ("la Marche verte": a capital after the
question's first word, :func:`~ragqa.index.search.markers.names`).
"""

from __future__ import annotations

import functools
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
        ça cela ceci moi toi quelque chose rien lequel laquelle lesquels lesquelles
        si alors donc car puis ensuite aussi bien bon oui non ici là voici voilà voila vraiment
        exactement précisément precisement encore déjà deja svp stp merci bonjour bonsoir
        salut
    """,
    "english": """
        can could may might must shall should will would do does did done doing
        please tell know wonder want wanted like need needs thanks thank hello hi
        also then so if whether yes no just really exactly many much
    """,
}


@functools.cache
def frame_words(language: str) -> frozenset[str]:
    """The words that frame a question in ``language`` (a Snowball name), in lower case;
    empty for a language without a list."""
    return frozenset(_FRAME_WORDS.get(language, "").split())


def frames(word: str, language: str) -> bool:
    """Whether ``word`` (as written) frames a question in ``language`` rather than names
    its subject."""
    return unicodedata.normalize("NFC", word.casefold()) in frame_words(language)
