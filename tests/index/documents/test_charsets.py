"""Text files in legacy encodings and in UTF-16 without a BOM, as Windows and old Mac tools
save them: read as the words they hold, real binaries still refused."""

from __future__ import annotations

import random
import struct

import pytest
from ragqa.index.documents.charsets import plausibility
from ragqa.index.documents.reading import decode_text
from ragqa.index.errors import DocumentError

FRENCH = [
    "Réunion du comité",
    "Procédure : déclarer ses congés avant le 15 mars.",
    "À noter : l'accès au bâtiment nécessite un badge.",
    "Adresse : 12 rue de l’Église, 75002 Paris",
    "Ça coûte 20 € ; l’œuvre « Noël » est prête aujourd’hui.",
    "Le cœur du problème : l’ordre des opérations, l’œil et l’âme.",
    "Été 2026 – « Journée portes ouvertes » … inscriptions closes",
    "Les élèves où ça ? Déjà là-bas, à l'écoute.",
]
WESTERN = [
    "Der Bürgermeister äußerte sich zur Größe des Saals.",
    "Öffnungszeiten: Mo–Fr 9–17 Uhr",
    "¿Dónde está la estación? Mañana habrá reunión en el edificio. ¡Olé!",
    "Información: la oficina está cerrada el año próximo.",
    "A atenção à ação é necessária; não há solução à vista.",
    "Perché è così? Più tardi sarà già là, però.",
    "Één café, twee geïnteresseerde ideeën.",
    "Blåbærgrød med fløde er en sød ret på Færøerne.",
    "Mélanger 1½ tasse de farine et ¼ de sucre.",
]


def _encodable(texts, encoding):
    out = []
    for text in texts:
        try:
            out.append((text, text.encode(encoding)))
        except UnicodeEncodeError:
            pass
    return out


@pytest.mark.parametrize("encoding", ["mac_roman", "cp1252", "latin-1", "iso8859-15"])
@pytest.mark.parametrize("language, texts", [("fr", FRENCH), ("other", WESTERN)])
def test_western_legacy_encodings_read_as_written(encoding, language, texts):
    """On main Mac Roman read "RŽunion", "lՃglise" (valid UTF-8 by chance) and "Ė noter",
    and Italian or Portuguese cp1252 read as cp1250 ("Perché č cosě", "atençăo ŕ")."""
    cases = _encodable(texts, encoding)
    assert cases
    wrong = [(text, decode_text(data, "note.txt")) for text, data in cases
             if decode_text(data, "note.txt") != text]
    assert wrong == []


@pytest.mark.parametrize("encoding, text", [
    ("iso8859-15", "Le bœuf coûte 20 € le kilo."),
    ("cp1252", "Le bœuf coûte 20 € le kilo ; « l’œuvre »."),
    ("mac_roman", "Prix : 20 € TTC, l’œuvre « Noël »."),
])
def test_euro_and_oe_ligature_of_each_encoding(encoding, text):
    assert decode_text(text.encode(encoding), "prix.txt") == text


@pytest.mark.parametrize("text, encoding", [
    ("Привет, как дела? Это тестовый документ о погоде в Москве.", "cp1251"),
    ("Привет, как дела? Это тестовый документ о погоде в Москве.", "koi8_r"),
    ("Καλημέρα σας, αυτό είναι ένα δοκιμαστικό κείμενο για τον καιρό.", "cp1253"),
    ("Dobrý den, příliš žluťoučký kůň úpěl ďábelské ódy.", "cp1250"),
    ("日本語のテキストです。これは試験用の文書で、天気について書いています。", "shift_jis"),
    ("这是一个测试文件，关于北京的天气情况和交通状况。", "gb18030"),
])
def test_other_scripts_legacy_encodings_are_still_read(text, encoding):
    assert decode_text(text.encode(encoding), "doc.txt") == text


@pytest.mark.parametrize("text, encoding", [
    ("Toplantı yarın saat 10'da başlayacak.", "cp1254"),
    ("Şirket müdürü Ağustos ayında İstanbul'a gidecek.", "cp1254"),
    ("Teşekkürler", "cp1254"),
    ("Spotkanie zarządu odbędzie się w środę.", "iso8859_2"),
    ("Spotkanie zarządu odbędzie się w środę.", "cp1250"),
    ("Kraków, ul. Długa", "iso8859_2"),
    ("Schůzka bude ve středu.", "iso8859_2"),
    ("Спасибо!", "cp1251"),
])
def test_short_central_european_turkish_and_russian_text_is_not_read_as_cp1252(text,
                                                                               encoding):
    """Read on main as cp1252 ("Toplantý yarýn baþlayacak", "zarz±du", "Ñïàñèáî!"): a
    reading no language writes ("ü" beside "ð", a symbol inside a word)."""
    assert decode_text(text.encode(encoding), "note.txt") == text


@pytest.mark.parametrize("text, encoding", [
    ("Привет", "cp1251"),
    ("Отчёт", "cp1251"),
    ("Итоги года", "cp1251"),
    ("Сотрудники", "cp1251"),
    ("Приказ № 5", "cp1251"),
    ("Беларусь", "cp1251"),
    ("Київ", "cp1251"),
    ("Привет", "koi8_r"),
    ("Заявление", "koi8_r"),
    ("Анна", "koi8_r"),
    ("ЗАО Восток", "koi8_r"),
    ("Όχι", "cp1253"),
    ("Łódź", "cp1250"),
])
def test_a_few_words_of_another_alphabet_are_not_read_as_cjk_or_dos_symbols(text, encoding):
    """Read on main as Big5, Shift JIS, DOS or EBCDIC ("砎魤殣", "╚Ґюуш уюфр",
    "JÓ203UÒY²Y"): too short for charset_normalizer to tell a language, it took a reading
    that is no words; one as clean is written in words of one alphabet."""
    assert decode_text(text.encode(encoding), "note.txt") == text


@pytest.mark.parametrize("text, encoding", [
    ("台北市政府", "big5"),
    ("東京都庁", "shift_jis"),
    ("서울특별시", "euc_kr"),
    # read "Внјь" in cp1251: Serbian's ј beside Russian's ь is no one alphabet's
    ("鎮瑩", "big5"),
])
def test_a_few_cjk_characters_stay_cjk(text, encoding):
    assert decode_text(text.encode(encoding), "note.txt") == text


def _common_big5_words(length: int, count: int = 300) -> list[str]:
    """Seeded random words of ``length`` characters from Big5's frequently used hanzi
    (lead bytes A4-C6: its first 5,401 characters)."""
    chars = []
    for lead in range(0xA4, 0xC7):
        for trail in [*range(0x40, 0x7F), *range(0xA1, 0xFF)]:
            if (lead, trail) < (0xC6, 0x7F):
                chars.append(bytes([lead, trail]).decode("big5"))
    rng = random.Random(29)
    return ["".join(rng.choice(chars) for _ in range(length)) for _ in range(count)]


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("length", [1, 2])
def test_short_common_big5_words_are_read_as_big5(length):
    """On main 42 of 300 single hanzi and 7 of 300 pairs read as Cyrillic or Greek ("麻藍"
    as KOI8-R "Ёббе", "擬" as "юю"), 111 and 45 as Western letters or symbols ("草膝" as
    "ØÛΩ•"): too short for charset_normalizer to tell, random bytes in a word's shape.
    Those whose bytes are valid UTF-8 too ("罌" is "Ģ") are read as UTF-8, the first
    choice, as before."""
    wrong = [(word, text) for word in _common_big5_words(length)
             if not _valid_utf8(data := word.encode("big5"))
             and (text := decode_text(data, "n.txt")) != word]
    assert wrong == []


@pytest.mark.parametrize("text, encoding", [
    ("Le prix est de 12 € TTC.", "cp1252"),  # no accented letter: nothing to tell
    ("Facture nº 5", "cp1252"),
    ("Þórunn og Sigurður búa á Íslandi, í Reykjavík.", "cp1252"),  # ó ú á í: Icelandic's
    # letters of several Western alphabets together: no Cyrillic, Baltic or Central reading
    ("Tube Ø 12 mm à souder.", "cp1252"),
    ("Rendez-vous à København.", "cp1252"),
    ("Søren arrivera à 10 h.", "cp1252"),
    ("Réunion à Århus.", "cp1252"),
    ("Því miður.", "cp1252"),
    ("L'Ajuntament i la Generalitat: el año del niño, però també.", "cp1252"),
    ("Rendez-vous à København, très bien, Søren viendra.", "cp1252"),
])
def test_western_text_with_little_to_tell_stays_western(text, encoding):
    assert decode_text(text.encode(encoding), "note.txt") == text


@pytest.mark.parametrize("text", [
    "Le mot arménien Ճանապարհ et le grec λόγος, dans un texte français.",
    "Привет, как дела? Это тестовый документ.",
    "Tシャツ iPhone手机 H₂O x² → résumé",
    "Réunion du comité : l’ordre du jour — « budget ».",
])
def test_utf8_stays_utf8(text):
    assert decode_text(text.encode("utf-8"), "doc.txt") == text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", [
    "Réunion du comité\r\nLes congés d'été doivent être posés avant le 15 mars.\r\n",
    "Été 2026 – « Journée portes ouvertes » … inscriptions closes",
    "Привет, как дела? Это тестовый документ.",
    "a",
])
def test_utf16_without_a_bom_is_read(codec, text):
    """Refused on main as "a binary file (NUL bytes)"."""
    assert decode_text(text.encode(codec), "notes.txt") == text.replace("\r\n", "\n")


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_utf16_and_utf32_with_a_bom_are_read(codec):
    text = "Réunion du comité à 9h."
    assert decode_text(text.encode(codec), "notes.txt") == text


def _binaries() -> list[bytes]:
    rng = random.Random(7)
    return [
        b"\x00\x01\x02PNG\x00\x00binary" * 50,
        bytes(range(256)) * 40,
        bytes(rng.getrandbits(8) for _ in range(20000)),
        b"".join(struct.pack("<h", rng.randint(0, 255)) for _ in range(5000)),
        b"".join(struct.pack("<h", rng.randint(32, 126)) for _ in range(5000)),
        b"".join(struct.pack("<i", rng.randint(0, 10000)) for _ in range(3000)),
        b"\x00" * 4000 + b"ab",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(rng.getrandbits(8)
                                                                   for _ in range(3000)),
    ]


@pytest.mark.parametrize("index", range(len(_binaries())))
def test_binaries_are_still_refused(index):
    with pytest.raises(DocumentError, match=r"^bin\.txt: .*binary"):
        decode_text(_binaries()[index], "bin.txt")


def test_plausibility_prefers_what_western_text_holds():
    assert plausibility("Réunion du comité") > plausibility("RŽunion du comitŽ")
    assert plausibility("Procédure") > plausibility("Procˇdure")  # a symbol inside a word
    assert plausibility("l’Église") > plausibility("lՃglise")  # another script in a word
    assert plausibility("l’accès") > plausibility("l’accËs")  # a capital after a small one
    assert plausibility("l'œil") > plausibility("l'½il")  # a fraction against a letter
    assert plausibility("9–17 Uhr") > plausibility("9ñ17 Uhr")  # a letter against a digit
    assert plausibility("Prix : 20 €") > plausibility("Prix : 20 Û")  # a one-letter word
    assert plausibility("caf\x82") < 0  # a control character
    # Another script is not penalised on its own, only not favoured.
    assert plausibility("Привет, как дела?") == 0
