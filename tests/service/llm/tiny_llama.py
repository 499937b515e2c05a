"""A tiny random-weight llama written as GGUF, for a real llama.cpp server in the tests.

64-d, 2 layers, a byte-level ``gpt2`` tokenizer (256 byte tokens, three merged citation
tokens ``[1]``, ``[2]``, ``[9]``, bos/eos control tokens) and a jinja chat template. Its
text is random, but steered through one hidden dimension that every token embedding holds
at a large constant (and small random weights leave dominant): the output weights on that
dimension make lowercase letters and spaces likely, the three citation tokens fairly
likely (so answers carry valid and invalid markers), and everything else, eos included,
negligible, so answers are never empty and always ASCII.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

N_EMBD, N_LAYERS, N_HEAD, N_FF, N_CTX = 64, 2, 4, 128, 16384
MARKERS = ("[1]", "[2]", "[9]")
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] "
    "+ '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


def _byte_symbols() -> list[str]:
    """GPT-2's reversible byte -> printable character map, in byte order."""
    visible = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
               + list(range(ord("®"), ord("ÿ") + 1)))
    codes, extra = [], 0
    for b in range(256):
        if b in visible:
            codes.append(chr(b))
        else:
            codes.append(chr(256 + extra))
            extra += 1
    return codes


def write_tiny_llama(path: Path, seed: int = 0) -> Path:
    """Write the model to ``path`` and return it."""
    import gguf

    rng = np.random.default_rng(seed)
    symbols = _byte_symbols()
    tokens = list(symbols)
    merges = []
    for marker in MARKERS:  # "[" + "1" -> "[1", "[1" + "]" -> "[1]"
        merges += [f"[ {marker[1]}", f"{marker[:2]} ]"]
        tokens += [marker[:2], marker]
    bos, eos = len(tokens), len(tokens) + 1
    tokens += ["<s>", "</s>"]
    types = [gguf.TokenType.NORMAL] * bos + [gguf.TokenType.CONTROL] * 2
    vocab = len(tokens)

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("ragqa-tiny-random")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYERS)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_vocab_size(vocab)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(bos)
    writer.add_eos_token_id(eos)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    def weights(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    embeddings = weights(vocab, N_EMBD, scale=0.1)
    embeddings[:, 0] = 10.0  # the steering dimension
    # After the final RMS norm that dimension is about sqrt(64) = 8, so output weight w on
    # it adds about 8·w to a token's logit.
    steer = np.full(vocab, -2.0, dtype=np.float32)
    for b in range(256):
        if (chr(b).islower() and chr(b).isascii()) or b == ord(" "):
            steer[b] = 0.0
    for marker in MARKERS:
        steer[tokens.index(marker)] = 0.17  # each about 1 token in 10
    output = weights(vocab, N_EMBD)
    output[:, 0] = steer

    writer.add_tensor("token_embd.weight", embeddings)
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor("output.weight", output)
    for i in range(N_LAYERS):
        block = f"blk.{i}"
        writer.add_tensor(f"{block}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"{block}.{name}.weight", weights(N_EMBD, N_EMBD))
        writer.add_tensor(f"{block}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"{block}.ffn_gate.weight", weights(N_FF, N_EMBD))
        writer.add_tensor(f"{block}.ffn_up.weight", weights(N_FF, N_EMBD))
        writer.add_tensor(f"{block}.ffn_down.weight", weights(N_EMBD, N_FF))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
