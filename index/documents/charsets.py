"""Which encoding a text file's bytes are in, when they are not plain UTF-8.

charset_normalizer proposes readings and measures each one's *chaos* (its mess detector:
symbols and odd letter sequences a text rarely holds). On a short French sentence several
readings are equally clean to it: "Réunion" in Mac Roman reads "RŽunion" in cp1252 and
"Rˇunion" in cp1257 with the same chaos, and Italian or Portuguese cp1252 text scores a
little worse than its cp1250 reading ("atençăo ŕ"). So a Western reading nearly as clean
as the cleanest wins when a Western European reader would recognise it better
(:func:`plausibility`); among those, the cleanest, then the most common encoding.
Readings in other scripts' encodings (cp1251, Shift JIS...) are left to the library,
but for a text too short for it to tell (below).

Short text in Central European, Turkish or Cyrillic encodings (cp1250, iso8859-2, cp1254,
cp1251) reads cleanly in cp1252 too ("Toplantý yarýn baþlayacak" for "Toplantı yarın
başlayacak"): a Western reading so chosen gives way when it is no language's writing while
another reading as clean is (:func:`fits_one_alphabet`): its letters are not all found in
one alphabet of :data:`ALPHABETS` (French's, German's, Polish's, Turkish's...: "ü" beside
"ð" is no language's, nor "ù" beside "ø"), or it holds what Western text rarely holds (a
symbol inside a word: "zarz±du"). A reading without accented letters ("12 € TTC") has
nothing to tell and stays. Icelandic's þ, ð, ý are in no alphabet: a short Western reading
whose only accented letters are those, beside a Turkish or Central European reading, is a
misreading far more often than it is Icelandic (a longer Icelandic text holds á, ó, æ...).
A Western reading whose letters are all Western, though of several alphabets ("Tube Ø 12
mm à souder", "Rendez-vous à København": :func:`fits_western`), gives way only to a reading
that shows two letters of its own inside words, none alone as a word ("Schůzka ve
středu", not "Réunion ŕ Ĺrhus" nor "Tube Ш 12 mm а souder"), and never to a Baltic or DOS
Cyrillic one when every byte reads as a Latin-1 letter (:data:`LATIN_1_LOOKALIKES`).

A text of a few words is too short for charset_normalizer to tell a language (the reading
it takes has no coherence): it may take a Big5, Shift JIS, DOS or EBCDIC reading of a
cp1251 or KOI8-R word ("砎魤殣" for "Привет", "╚Ґюуш уюфр" for "Итоги года"). Such a
choice, no words, gives way to a reading as clean that is (:func:`reads_as_words`: one
alphabet's letters, each word cased as a bicameral script cases it, a small letter
somewhere); random bytes must match the case of every letter to pass. A word or two of
Chinese in Big5 still did now and then, and took a Western reading more often (of 300
random single hanzi among the frequently used, 42 read as Cyrillic or Greek and 111 as
Western letters or symbols; of 300 pairs, 7 and 45): bytes that are all Big5's frequently
used hanzi or punctuation, two by two with nothing between (:func:`common_hanzi`), are
read as Big5 whenever the reading chosen holds no Chinese, Japanese or Korean character;
a European text is almost never so (every other byte one of a few symbols or capitals, no
ASCII letter, space or small accented letter). A text of capitals only ("ЗАО") or of one
or two letters ("Да", which Dutch's "Äà" fits) shows too little to tell and may
still be misread, and a Greek word whose every reading is cased alike reads as cp1251's
Russian, the more common ("Ευχαριστώ" as "Ехчбсйуфю", as before).

UTF-16 without a byte-order mark (some Windows tools write it) is recognised by its NUL
bytes, which fall on one side of each two-byte unit (the high byte of Latin letters).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

# The legacy encodings Western European text is found in, most common first (ties go to
# the first). latin_1 and iso8859_15 differ from cp1252 only where cp1252 has
# typographic marks and ISO has controls or ¤ ½ ¼ (€ œ Œ in iso8859_15).
WESTERN = ("cp1252", "iso8859_15", "latin_1", "mac_roman")
# The single-byte encodings of the other European alphabets, read too when the Western
# reading is no language's, or a short text's chosen reading no words (charset_normalizer
# may have stopped before them).
OTHER_SINGLE_BYTE = ("cp1250", "iso8859_2", "cp1254", "cp1251", "koi8_r", "cp1257", "cp1253")
MAX_CHAOS = 0.2  # charset_normalizer's own threshold: messier readings are not text
CHAOS_MARGIN = 0.1  # readings this close to the cleanest are compared by plausibility
SAMPLE_CHARS = 100_000  # plausibility is measured on the text's start

# Letters French, German, Spanish, Italian, Portuguese, Dutch and the Nordic languages are
# written with (Latin-1's, French's Œ œ Ÿ, the ordinals ª º of "nº 5"), typographic marks
# common in their running text, and among those the marks that may stand inside a word
# (l’Église, Mo–Fr, l·l).
WESTERN_LETTERS = frozenset(
    {chr(c) for c in range(0xC0, 0x100)} - {"×", "÷"} | set("ŒœŸªº"))
WESTERN_MARKS = frozenset("«»“”„‚‹›–—…•€£°§½¼¾¡¿\u00a0\u202f")
WESTERN_JOINERS = frozenset("’‘·")
_FRACTIONS = frozenset("½¼¾")
# The non-ASCII letters (small) of the alphabets a reading may be written in, one language
# (or a few that write alike) each; "ª º µ" ("nº 5") in every Western one. Icelandic's
# þ ð ý are in none: see the module's docstring.
_SIGNS = "ªºµ"
ALPHABETS = {name: frozenset(letters) for name, letters in {
    "french": "àâæçéèêëîïôœùûüÿ" + _SIGNS,
    "german": "äöüßé" + _SIGNS,
    "spanish": "áéíñóúü" + _SIGNS,
    "italian": "àèéìíîòóùú" + _SIGNS,
    "portuguese": "áâãàçéêíóôõúü" + _SIGNS,
    "catalan": "àçéèíïòóúü" + _SIGNS,
    "dutch": "áéíóúàèëïöüäêô" + _SIGNS,
    "danish": "æøåéó" + _SIGNS,
    "swedish": "åäöéü" + _SIGNS,
    "finnish": "åäöšž" + _SIGNS,
    "turkish": "çğıöşüâîû",
    "polish": "ąćęłńóśźż",
    "czech": "áčďéěíňóřšťúůýž",
    "slovak": "áäčďéíĺľňóôŕšťúýž",
    "hungarian": "áéíóöőúüű",
    "romanian": "ăâîșțşţ",
    "croatian": "čćđšž",
    "latvian": "āčēģīķļņšūž",
    "lithuanian": "ąčęėįšųūž",
    "estonian": "äöõüšž",
    "russian": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "ukrainian": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "belarusian": "абвгдеёжзійклмнопрстуўфхцчшыьэюя",
    "bulgarian": "абвгдежзийклмнопрстуфхцчшщъьюя",
    "serbian": "абвгдђежзијклљмнњопрстћуфхцчџш",
    "macedonian": "абвгдѓежзѕијклљмнњопрстќуфхцчџш",
    "greek": "".join(map(chr, range(0x3AC, 0x3CF))),
}.items()}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WORD = re.compile(r"[^\s.,;:!?()\[\]«»\"'’/№-]+")  # a word, its digits with it
_WESTERN_NAMES = ("french", "german", "spanish", "italian", "portuguese", "catalan", "dutch",
                  "danish", "swedish", "finnish")
_WESTERN_UNION = frozenset().union(*(ALPHABETS[name] for name in _WESTERN_NAMES))
# Icelandic's alphabet is no alphabet of fits_one_alphabet (see the module's docstring),
# only a Western one here.
_ICELANDIC = frozenset("áéíóúýþðæö" + _SIGNS)
_ICELANDIC_ONLY = _ICELANDIC - _WESTERN_UNION  # þ ð ý
_WESTERN_ALL = _WESTERN_UNION | _ICELANDIC
# Encodings whose letters sit where Latin-1 has letters too (Baltic, DOS Cyrillic): never
# chosen for bytes that all read as Latin-1 letters ("København" is no "Kųbenhavn").
LATIN_1_LOOKALIKES = ("cp1257", "cp866", "cp1125", "cp775", "iso8859_13", "iso8859_4")


@dataclass(frozen=True)
class Reading:
    """One way of decoding a file's bytes."""

    encoding: str
    text: str
    chaos: float  # charset_normalizer's mess ratio, 0 (clean) to 1
    coherence: float  # charset_normalizer's language coherence, 0 to 1
    plausibility: int  # see plausibility()


def plausibility(text: str) -> int:
    """How Western European ``text`` looks, from its non-ASCII characters: +1 for each
    letter or mark of :data:`WESTERN_LETTERS` / :data:`WESTERN_MARKS` /
    :data:`WESTERN_JOINERS`, -1 for what such text rarely holds: a control character, a
    capital letter right after a small one ("RÈunion"), a symbol between two letters
    ("Procˇdure", "b‰timent"), a letter of another script glued to a Latin one
    ("lՃglise"). Other characters count 0: a Cyrillic or Greek text is not penalised, only
    not favoured. Only the readings of one file's bytes are compared with it."""
    sample = text[:SAMPLE_CHARS]
    score = 0
    for found in _NON_ASCII.finditer(sample):
        i = found.start()
        c = found.group()
        before = sample[i - 1] if i else " "
        after = sample[i + 1] if i + 1 < len(sample) else " "
        if unicodedata.category(c) in ("Cc", "Co", "Cn"):
            score -= 1
        elif c.isalpha():
            if (c.isupper() and before.islower()) or before.isdigit() or after.isdigit():
                score -= 1
            elif c in WESTERN_LETTERS:
                score += before.isalpha() or after.isalpha()  # not a word of one letter
            elif not unicodedata.name(c, "").startswith("LATIN") and (
                    _ascii_letter(before) or _ascii_letter(after)):
                score -= 1
        elif c in WESTERN_JOINERS:
            score += 1
        elif (before.isalpha() and after.isalpha()) or (
                c in _FRACTIONS and (before.isalpha() or after.isalpha())):  # "l'½il"
            score -= 1
        elif c in WESTERN_MARKS:
            score += 1
    return score


def fits_one_alphabet(text: str) -> bool | None:
    """Whether ``text``'s non-ASCII letters are all in one of :data:`ALPHABETS`, with
    nothing Western text rarely holds (a symbol inside a word, a control character, a
    letter of another script glued to a Latin one: what :func:`plausibility` counts
    against a reading); None when it has no non-ASCII letter (nothing to tell)."""
    sample = text[:SAMPLE_CHARS]
    letters = {c for c in "".join(_NON_ASCII.findall(sample)).lower()
               if c.isalpha() and not c.isascii()}  # "İ" is "i̇" in small letters
    if not letters:
        return None
    if not any(letters <= alphabet for alphabet in ALPHABETS.values()):
        return False
    return not _has_defects(sample)


def fits_western(text: str) -> bool:
    """Whether ``text``'s non-ASCII letters are all Western European (the union of the
    Western alphabets of :data:`ALPHABETS`, Danish's ø å æ, Catalan's ò and Icelandic's
    letters among them: "Tube Ø 12 mm à souder", "Søren arrivera à 10 h."), with nothing
    Western text rarely holds. Icelandic's þ ð ý count only beside Icelandic's other letters
    ("Því miður", not "Teþekkürler")."""
    sample = text[:SAMPLE_CHARS]
    letters = {c for c in "".join(_NON_ASCII.findall(sample)).lower()
               if c.isalpha() and not c.isascii()}
    if not letters or _has_defects(sample):
        return False
    if letters & _ICELANDIC_ONLY:
        return letters <= _ICELANDIC
    return letters <= _WESTERN_UNION


def _tells_itself(text: str) -> bool:
    """Whether a reading shows enough of its own alphabet to outweigh a Western reading
    that fits (:func:`fits_western`): two distinct letters no Western alphabet has inside
    its words of two letters or more ("Schůzka ve středu": ů ř), and no such Latin letter
    standing alone as a word (the French "à" read "ŕ" in "Réunion ŕ Ĺrhus"; "Tube Ш 12 mm
    а souder" shows no Russian word)."""
    words = re.findall(r"\w+", text[:SAMPLE_CHARS].lower())
    foreign = {c for word in words if len(word) > 1 for c in word
               if c.isalpha() and not c.isascii() and c not in _WESTERN_ALL}
    return len(foreign) >= 2 and not any(
        len(word) == 1 and not word.isascii() and word not in _WESTERN_ALL
        and unicodedata.name(word, "").startswith("LATIN") for word in words)


def _latin_1_letters_only(data: bytes) -> bool:
    """Whether every non-ASCII byte of ``data`` reads as a letter in Latin-1."""
    return all(chr(b).isalpha() for b in set(data) if b >= 0x80)


def _has_defects(sample: str) -> bool:
    for found in _NON_ASCII.finditer(sample):
        i, c = found.start(), found.group()
        before = sample[i - 1] if i else " "
        after = sample[i + 1] if i + 1 < len(sample) else " "
        category = unicodedata.category(c)
        if category in ("Cc", "Co", "Cn"):
            return True
        if c.isalpha():
            if c not in _SIGNS and not unicodedata.name(c, "").startswith("LATIN") and (
                    _ascii_letter(before) or _ascii_letter(after)):
                return True
        elif (category[0] != "M" and c not in WESTERN_JOINERS
              and before.isalpha() and after.isalpha()):
            return True
    return False


def _ascii_letter(c: str) -> bool:
    return c.isascii() and c.isalpha()


def legacy_reading(data: bytes) -> Reading | None:
    """The best reading of ``data`` in a legacy encoding, or None when no reading is clean
    enough to be text. charset_normalizer's choice (the cleanest, then the most coherent)
    gives way to a Western reading nearly as clean that is more plausible, or as plausible
    and as clean; other scripts' encodings (cp1251, Shift JIS...) are left to its choice,
    but for a short text (see the module). Bytes all of Big5's frequently used hanzi
    (:func:`common_hanzi`) read as Big5 unless the reading so chosen is East Asian."""
    reading = _legacy_reading(data)
    if reading is not None and common_hanzi(data) and not _east_asian(reading.text):
        return next(iter(_readings(data, ("big5",))), reading)
    return reading


def _east_asian(text: str) -> bool:
    """Whether ``text`` holds a Chinese, Japanese or Korean character (a reading in
    another East Asian encoding, EUC-KR's "서울" whose bytes are Big5's too, is left to
    charset_normalizer)."""
    return any(unicodedata.name(c, "").startswith(("CJK", "HANGUL", "HIRAGANA", "KATAKANA"))
               for c in text[:SAMPLE_CHARS] if ord(c) >= 0x2E80)


def _legacy_reading(data: bytes) -> Reading | None:
    readings = _readings(data)
    if not readings:
        return None
    best = min(readings, key=lambda r: (round(r.chaos, 3), -r.coherence, _rank(r.encoding)))
    western = [r for r in readings
               if r.encoding in WESTERN and r.chaos <= best.chaos + CHAOS_MARGIN]
    if not western:
        return _worded_instead(data, best, readings)
    top = max(western, key=lambda r: (r.plausibility, -r.chaos, -_rank(r.encoding)))
    if (top.plausibility, -round(top.chaos, 3)) < (best.plausibility, -round(best.chaos, 3)):
        return _worded_instead(data, best, readings)
    if fits_one_alphabet(top.text) is not False:
        return top
    # A Western reading no language writes: another as clean that one language writes.
    others = {r.text: r for r in [*readings, *_readings(data, OTHER_SINGLE_BYTE)]}
    western_fit = fits_western(top.text)
    latin_letters = _latin_1_letters_only(data)
    fitting = [r for r in others.values() if r.chaos <= top.chaos + CHAOS_MARGIN / 10
               and r.encoding not in WESTERN and fits_one_alphabet(r.text)
               and not (latin_letters and r.encoding in LATIN_1_LOOKALIKES)
               and (not western_fit or _tells_itself(r.text))]
    return min(fitting, key=lambda r: (round(r.chaos, 3), -r.coherence, r.encoding),
               default=top)


def _worded_instead(data: bytes, best: Reading, readings: list[Reading]) -> Reading:
    """``best``, charset_normalizer's choice in another script's encoding, or where it
    could not tell the language (a short text: ``best`` has no coherence) and it is not
    written in words (:func:`reads_as_words`: "砎魤殣", "╚Ґюуш уюфр" for "Привет",
    "Итоги года" in cp1251), a reading as clean in one of :data:`OTHER_SINGLE_BYTE` that
    is; the one with the most small letters (a cp1251 word read as KOI8-R is in capitals),
    then the cleanest, then a Western one ("Perché è", not "Perché č")."""
    if best.coherence > 0 or reads_as_words(best.text):
        return best
    others = {r.text: r for r in [*readings, *_readings(data, OTHER_SINGLE_BYTE)]}
    worded = [r for r in others.values()
              if r.chaos <= best.chaos + CHAOS_MARGIN / 10 and reads_as_words(r.text)]
    return min(worded, key=lambda r: (-sum(c.islower() for c in r.text[:SAMPLE_CHARS]),
                                      round(r.chaos, 3), not fits_western(r.text),
                                      _rank(r.encoding), r.encoding), default=best)


def common_hanzi(data: bytes) -> bool:
    """Whether ``data`` is Big5 of its frequently used hanzi and its punctuation only,
    two bytes each and nothing between (lead bytes A1-C6, up to C67E: the standard's
    first blocks, the 5,401 most used characters). A word or two of Chinese so written
    reads too in Western, cp1251 or KOI8-R letters now and then ("麻藍" as "Ёббе", "擬"
    as "юю", "草膝" as "ØÛΩ•"), while a European text almost never falls in these
    blocks: every other byte of it would be one of a few symbols or capitals (cp1251's
    А-Ж, Latin-1's À-Æ) with no ASCII letter, space or small accented letter (E0-FF in
    cp1251 and Latin-1) among them."""
    if not data or len(data) % 2:
        return False
    if not all(0xA1 <= data[i] and data[i:i + 2] < b"\xc6\x7f"
               for i in range(0, len(data), 2)):
        return False
    try:
        data.decode("big5")
    except UnicodeDecodeError:
        return False
    return True


def reads_as_words(text: str) -> bool:
    """Whether ``text`` is written in words of one alphabet (:func:`fits_one_alphabet`)
    as a bicameral script writes them: each word in small letters, or capitals, or a
    capital then small letters, digits and punctuation aside, at least one non-ASCII small
    letter ("Привет", "ООО Ромашка"; not "пРИВЕТ", "ЗАО", nor "╚Ґюуш" where a symbol stands
    in a word). Random bytes read in the wrong alphabet rarely fall in that shape: the
    case of each letter is one more byte they must match."""
    if fits_one_alphabet(text) is not True:
        return False
    sample = text[:SAMPLE_CHARS]
    for word in _WORD.findall(sample):
        letters = "".join(c for c in word if not (c.isascii() and c.isdigit()))
        if letters and not letters.isalpha():
            return False
        if not (letters[1:].islower() or letters.isupper() or letters[1:].isascii()):
            return False
    return any(c.islower() and not c.isascii() for c in sample)


def doubtful_utf8(data: bytes, text: str) -> Reading | None:
    """A legacy reading to use instead of ``text``, the valid UTF-8 reading of ``data``,
    when ``text`` holds what Western text does not and the legacy reading is both more
    plausible and cleaner; else None (``text`` is right)."""
    score = plausibility(text)
    if score >= 0:
        return None
    from charset_normalizer.md import mess_ratio

    candidates = [r for r in _readings(data, WESTERN) if r.plausibility > max(score, 0)]
    if not candidates:
        return None
    chaos = mess_ratio(text[:SAMPLE_CHARS], MAX_CHAOS)
    best = max(candidates, key=lambda r: (r.plausibility, -r.chaos, -_rank(r.encoding)))
    return best if best.chaos < chaos else None


def _readings(data: bytes, isolation: tuple[str, ...] | None = None) -> list[Reading]:
    """charset_normalizer's readings of ``data``, and the Western encodings' always (it
    stops early once one reading is clean, and Mac Roman may not be among them)."""
    from charset_normalizer import from_bytes

    seen: dict[str, Reading] = {}
    runs = [isolation] if isolation else [None, WESTERN]
    for cp_isolation in runs:
        for match in from_bytes(data, threshold=MAX_CHAOS,
                                cp_isolation=list(cp_isolation) if cp_isolation else None):
            text = str(match)
            if text in seen or match.chaos > MAX_CHAOS:  # a fallback reading
                continue
            # One reading stands for every encoding that gives the same text: named by
            # the most common Western one among them.
            names = sorted(match.could_be_from_charset or [match.encoding], key=_rank)
            seen[text] = Reading(names[0], text, match.chaos, match.coherence,
                                 plausibility(text))
    return list(seen.values())


def _rank(encoding: str) -> int:
    return WESTERN.index(encoding) if encoding in WESTERN else len(WESTERN)


def utf16_without_bom(data: bytes) -> str | None:
    """The codec (``utf_16_le`` or ``utf_16_be``) of ``data`` when it is plainly UTF-16
    written without a byte-order mark, else None: an even length, NUL bytes on one side of
    the two-byte units only (the high byte of Latin letters), a strict decoding, and a
    reading charset_normalizer finds clean. A binary file's NULs fall anywhere."""
    if len(data) % 2 or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    sample = data[:8192]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    # A few NULs on the other side are letters such as U+0100 or U+4E00 ("一").
    if max(even, odd) == 0 or min(even, odd) * 20 > max(even, odd):
        return None
    codec = "utf_16_le" if odd > even else "utf_16_be"
    from charset_normalizer import from_bytes

    return codec if from_bytes(data, threshold=MAX_CHAOS, cp_isolation=[codec]) else None
