"""What runs around an exported transformer: tokenisation before it, pooling after it.

Two implementations of one small interface (:class:`TextPipeline`):

* :class:`FolderPipeline` reads a sentence-transformers folder itself: its ``tokenizer.json``
  with the ``tokenizers`` library, its pooling with numpy. No torch, no sentence-transformers
  and no transformers are imported, so a process serving an ONNX backend never holds them
  (about 400 MB). It reads only the folders whose modules it can compute exactly
  (:func:`folder_pipeline` says ``None`` otherwise): a transformer, then mean or CLS pooling,
  then optionally a normalisation; no lower-casing, an explicit ``max_seq_length``.
* :class:`SentenceTransformerPipeline` wraps a loaded sentence-transformers model and uses its
  own modules: for the other folders, and for the torch backend's token vectors.

Both give the same features (the ids, the attention mask and the token type ids that
sentence-transformers' ``Transformer`` module makes: padding to the longest text,
``longest_first`` truncation at ``max_seq_length``) and the same pooled vectors (checked
against each other in ``tests/index/embedding/test_pipeline.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)

Features = dict[str, np.ndarray]
_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
# The keys of sentence_bert_config.json that change nothing here when they have these values.
_NEUTRAL_CONFIG = {"do_lower_case": False}
# The tokenizer's special tokens as transformers names them (its ``all_special_ids``).
_SPECIAL_TOKENS = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token",
                   "cls_token", "mask_token")


class TextPipeline(Protocol):
    """Tokenisation before the transformer and pooling after it, for one model."""

    dimension: int | None
    padding_side: str
    special_ids: frozenset[int]

    def inputs(self, texts: Sequence[str]) -> Features:
        """The features of ``texts`` (int64 arrays ``(texts, tokens)``), padded to the
        longest, each truncated at the model's maximum sequence length."""

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The character span of each token :meth:`inputs` makes of ``text`` (special
        tokens included)."""

    def pieces(self, ids: Sequence[int]) -> list[str]:
        """The vocabulary's string of each token id."""

    def pool(self, features: Features, states: np.ndarray) -> np.ndarray:
        """The model's own modules after the transformer, on its last hidden states
        ``(texts, tokens, dim)``: float32 vectors ``(texts, dim')``."""


class FolderPipeline:
    """Tokenisation with ``tokenizers`` and pooling with numpy, read from a model folder."""

    def __init__(self, tokenizer, *, max_length: int, pad_id: int, padding_side: str,
                 special_ids: frozenset[int], pooling: str, normalize: bool,
                 dimension: int | None) -> None:
        self._tokenizer = tokenizer
        self.max_length = max_length
        self.pad_id = pad_id
        self.padding_side = padding_side
        self.special_ids = special_ids
        self.pooling = pooling
        self.normalize = normalize
        self.dimension = dimension

    def _encodings(self, texts: Sequence[str]) -> list:
        return self._tokenizer.encode_batch(list(texts), add_special_tokens=True)

    def inputs(self, texts: Sequence[str]) -> Features:
        encodings = self._encodings(texts)
        width = max((len(e.ids) for e in encodings), default=0)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            cols = slice(0, n) if self.padding_side == "right" else slice(width - n, width)
            ids[row, cols] = encoding.ids
            mask[row, cols] = encoding.attention_mask
            types[row, cols] = encoding.type_ids
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}

    def spans(self, text: str) -> list[tuple[int, int]]:
        return [tuple(span) for span in self._encodings([text])[0].offsets]

    def pieces(self, ids: Sequence[int]) -> list[str]:
        return [self._tokenizer.id_to_token(i) for i in ids]

    def pool(self, features: Features, states: np.ndarray) -> np.ndarray:
        """As sentence-transformers' ``Pooling`` (``mean``: the masked mean, the mask's sum
        clamped at 1e-9; ``cls``: the first attended token) and ``Normalize`` (divided by
        the L2 norm clamped at 1e-12), in float32. Not bit for bit: torch sums the tokens
        in another order (a cascade); summed here in float64, the vectors differ from
        torch's by at most ~1e-7 (tests/index/embedding/test_pipeline.py)."""
        states = np.asarray(states, dtype=np.float32)
        mask = features["attention_mask"]
        if self.pooling == "cls":
            first = mask.argmax(axis=1)
            vectors = states[np.arange(len(states)), first]
        else:
            weights = mask.astype(np.float32)
            vectors = np.einsum("btd,bt->bd", states, weights, dtype=np.float64
                                ).astype(np.float32)
            vectors /= np.maximum(weights.sum(axis=1, keepdims=True), np.float32(1e-9))
        if self.normalize:
            norms = np.sqrt((vectors * vectors).sum(axis=1, keepdims=True, dtype=np.float32))
            vectors = vectors / np.maximum(norms, np.float32(1e-12))
        return np.ascontiguousarray(vectors, dtype=np.float32)


class UnreadableFolder(Exception):
    """The folder has a module or setting :class:`FolderPipeline` does not compute."""


def folder_pipeline(folder: Path) -> FolderPipeline | None:
    """The torch-free pipeline of the sentence-transformers model in ``folder``, or ``None``
    (with the reason logged at debug level) where only sentence-transformers can run it."""
    try:
        return _read_folder(folder)
    except UnreadableFolder as exc:
        logger.debug("%s is tokenised and pooled by sentence-transformers: %s", folder, exc)
        return None


def _read_folder(folder: Path) -> FolderPipeline:
    modules = _json(folder / "modules.json")
    kinds = [m.get("type") for m in modules]
    if not kinds or kinds[0] != _TRANSFORMER or modules[0].get("path") not in ("", "."):
        raise UnreadableFolder(f"its first module is not a transformer in the folder: {kinds}")
    rest = kinds[1:]
    normalize = rest[-1:] == [_NORMALIZE]
    if normalize:
        rest = rest[:-1]
    if rest != [_POOLING]:
        raise UnreadableFolder(f"modules {kinds}")
    pooling, dimension = _pooling(folder / modules[1].get("path", ""))

    config = _json(folder / "sentence_bert_config.json")
    max_length = config.pop("max_seq_length", None)
    if not isinstance(max_length, int) or max_length <= 0:
        raise UnreadableFolder("no max_seq_length in sentence_bert_config.json")
    if any(config.get(k, v) != v for k, v in _NEUTRAL_CONFIG.items()) or (
            set(config) - set(_NEUTRAL_CONFIG)):
        raise UnreadableFolder(f"sentence_bert_config.json sets {sorted(config)}")

    tokenizer_config = _json(folder / "tokenizer_config.json", default={})
    padding_side = tokenizer_config.get("padding_side", "right")
    truncation_side = tokenizer_config.get("truncation_side", "right")
    if padding_side not in ("right", "left") or truncation_side not in ("right", "left"):
        raise UnreadableFolder("unknown padding or truncation side")
    try:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except ImportError as exc:
        raise UnreadableFolder("the tokenizers package cannot be imported") from exc
    except Exception as exc:  # noqa: BLE001 - unreadable here: sentence-transformers may read it
        raise UnreadableFolder(f"tokenizer.json: {exc}") from exc
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length, strategy="longest_first", direction=truncation_side)
    special = _special_tokens(folder, tokenizer_config)
    special_ids = frozenset(i for i in map(tokenizer.token_to_id, special.values())
                            if i is not None)
    pad = special.get("pad_token")
    pad_id = tokenizer.token_to_id(pad) if pad else None
    if pad_id is None:
        raise UnreadableFolder("no padding token")
    return FolderPipeline(tokenizer, max_length=max_length, pad_id=pad_id,
                          padding_side=padding_side, special_ids=special_ids, pooling=pooling,
                          normalize=normalize, dimension=dimension)


def _pooling(folder: Path) -> tuple[str, int | None]:
    """The pooling mode (``mean`` or ``cls``) and its output dimension."""
    config = _json(folder / "config.json")
    dimension = config.get("embedding_dimension", config.get("word_embedding_dimension"))
    if "pooling_mode" in config:
        mode = config["pooling_mode"]
        modes = [mode] if isinstance(mode, str) else list(mode)
    else:
        legacy = {"pooling_mode_cls_token": "cls", "pooling_mode_mean_tokens": "mean",
                  "pooling_mode_max_tokens": "max", "pooling_mode_mean_sqrt_len_tokens":
                  "mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens": "weightedmean",
                  "pooling_mode_lasttoken": "lasttoken"}
        modes = [mode for key, mode in legacy.items() if config.get(key)]
    if modes not in (["mean"], ["cls"]):
        raise UnreadableFolder(f"pooling {modes}")
    return modes[0], dimension if isinstance(dimension, int) else None


def _special_tokens(folder: Path, tokenizer_config: dict) -> dict[str, str]:
    """The special tokens by role (transformers reads them from both files, the
    tokenizer's configuration winning)."""
    found: dict[str, str] = {}
    for source in (_json(folder / "special_tokens_map.json", default={}), tokenizer_config):
        for role in _SPECIAL_TOKENS:
            value = source.get(role)
            if isinstance(value, dict):
                value = value.get("content")
            if isinstance(value, str):
                found[role] = value
        extra = source.get("additional_special_tokens") or source.get("extra_special_tokens")
        if extra:
            raise UnreadableFolder("additional special tokens")
    return found


def _json(path: Path, *, default: object = None):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        if default is not None:
            return default
        raise UnreadableFolder(f"no {path.name}") from exc
    except (OSError, ValueError) as exc:
        raise UnreadableFolder(f"{path.name}: {exc}") from exc


class SentenceTransformerPipeline:
    """A loaded sentence-transformers model's own tokenizer and modules (imports torch)."""

    def __init__(self, st_model) -> None:
        self._st = st_model
        tokenizer = st_model.tokenizer
        self.padding_side = getattr(tokenizer, "padding_side", "right")
        self.special_ids = frozenset(tokenizer.all_special_ids)
        # sentence-transformers 6 names it get_embedding_dimension, 5 the longer name.
        get_dim = (getattr(st_model, "get_embedding_dimension", None)
                   or st_model.get_sentence_embedding_dimension)
        self.dimension = get_dim()

    def inputs(self, texts: Sequence[str]) -> Features:
        from ragqa.index.embedding.inputs import model_inputs

        features = model_inputs(self._st, texts)
        return {name: value.numpy().astype(np.int64) for name, value in features.items()
                if hasattr(value, "numpy")}

    def spans(self, text: str) -> list[tuple[int, int]]:
        return self._st.tokenizer(text, return_offsets_mapping=True, truncation=True,
                                  max_length=self._st.max_seq_length)["offset_mapping"]

    def pieces(self, ids: Sequence[int]) -> list[str]:
        return self._st.tokenizer.convert_ids_to_tokens(list(ids))

    def pool(self, features: Features, states: np.ndarray) -> np.ndarray:
        import torch

        pooled = {name: torch.from_numpy(value) for name, value in features.items()}
        pooled["token_embeddings"] = torch.from_numpy(np.asarray(states, dtype=np.float32))
        with torch.no_grad():
            for module in list(self._st)[1:]:
                pooled = module(pooled)
        return pooled["sentence_embedding"].float().numpy()
