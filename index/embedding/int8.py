"""The ``onnx-int8`` recipe: the fp32 export with int8 weights, its matrix products' inputs
quantised per pass by ONNX Runtime (``quantize_dynamic``, per-channel weights).

A dynamically quantised input gets one scale per pass, set by its largest value, so an input
with outliers loses the rest of its values in rounding. Two steps keep most of the error out,
both measured on e5 against the fp32 vectors (mean 1 - cosine over 200 PIAF passages):

* inputs that come straight out of a LayerNorm (the attention's query/key/value and the
  feed-forward's first product) have their outliers in a few channels: they are *smoothed*
  (SmoothQuant, Xiao et al. 2023): ``x W = (x / s)(s W)`` with
  ``s_j = sqrt(max |x_j| / max |W_j|)`` over :data:`CALIBRATION_TEXTS`, the division a
  ``Mul`` before the product, the multiplication folded into the weights (the same function
  in fp32); error 1.11e-3 -> 5.0e-4, for 8 % more CPU time;
* products whose input still has outliers (``max |x| / rms`` above :data:`OUTLIER_RATIO`;
  on e5 the feed-forward outputs of layers 0, 4 and 5, ratios 143-310 where all others are
  at most 86) stay float32: quantised, those three alone doubled the error.

The embedding table is left as the export keeps it (float16 where exact). What it costs in
recall and buys in speed: docs/performance.md, "Indexing speed and first-start memory".
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

OUTLIER_RATIO = 100.0
# Varied text, as passages are embedded (prefix, accents, digits, punctuation, length):
# enough to find the outliers, which show on every text.
CALIBRATION_TEXTS = (
    ("passage: Le Maroc accueille le Gitex Africa 2025 à Marrakech du 14 au 16 avril ; les "
     "organisateurs attendent plus de 45 000 visiteurs, 1 400 exposants et des délégations "
     "venues de 130 pays. L'Agence de développement du digital (ADD) y présentera sa "
     "stratégie « Maroc Digital 2030 », qui vise 240 000 emplois numériques et la "
     "formation de 100 000 jeunes par an aux métiers du code, de la donnée et de l'IA."),
    ("passage: La Bibliothèque nationale de France conserve plus de quinze millions de "
     "livres et d'imprimés. Fondée sous Charles V en 1368 comme librairie royale, elle "
     "s'installe rue de Richelieu au XVIIe siècle, puis en 1996 sur le site François-"
     "Mitterrand, dont les quatre tours en forme de livres ouverts dominent la Seine."),
    "query: Combien de visiteurs sont attendus au Gitex Africa 2025 ?",
    ("passage: The agreement, signed on 3 March by Nokia and the ministry, covers 12,000 km "
     "of optical fibre (FTTH) and 5G sites in 24 provinces; costs: €1.2bn over 5 years."),
)

Feed = dict[str, np.ndarray]


def quantise_int8(fp32: Path, path: Path, feeds: list[Feed]) -> list[str]:
    """Write the int8 variant of the model in ``fp32`` to ``path``, calibrated on ``feeds``
    (one text each); returns the names of the weight products left in float32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(fp32))
    smooth_layer_norm_inputs(model, feeds)
    ratios = outlier_inputs(model, feeds)
    products = weight_products(model)
    quantised = [node.name for node in products
                 if node.name and ratios[node.input[0]] <= OUTLIER_RATIO]
    kept = [node.name for node in products if node.name not in quantised]
    smoothed = path.with_name(f".{path.name}.smoothed-{os.getpid()}")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic warns through the root logger
    try:
        onnx.save(model, str(smoothed))
        del model, products
        quantize_dynamic(str(smoothed), str(tmp), weight_type=QuantType.QInt8,
                         per_channel=True, op_types_to_quantize=["MatMul"],
                         nodes_to_quantize=quantised)
        os.replace(tmp, path)
    finally:
        root.setLevel(level)
        smoothed.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return kept


def weight_products(model) -> list:
    """The ``MatMul`` nodes whose second input is a constant matrix (the layers' weights)."""
    initializers = {init.name for init in model.graph.initializer}
    return [node for node in model.graph.node
            if node.op_type == "MatMul" and node.input[1] in initializers]


def outlier_inputs(model, feeds: list[Feed]) -> dict[str, float]:
    """``max |x| / rms(x)`` of the input of every weight product of ``model`` over
    ``feeds``."""
    names = list(dict.fromkeys(node.input[0] for node in weight_products(model)))
    peak = dict.fromkeys(names, 0.0)
    squares = dict.fromkeys(names, 0.0)
    count = dict.fromkeys(names, 0)
    for name, value in _activations(model, names, feeds):
        peak[name] = max(peak[name], float(np.abs(value).max()))
        squares[name] += float(np.square(value, dtype=np.float64).sum())
        count[name] += value.size
    return {name: peak[name] / max(np.sqrt(squares[name] / max(count[name], 1)), 1e-12)
            for name in names}


def smooth_layer_norm_inputs(model, feeds: list[Feed]) -> list[str]:
    """Smooth the inputs of weight products that a ``LayerNormalization`` makes (see the
    module's docstring), in place; returns their names."""
    from onnx import helper, numpy_helper

    producers = {output: node for node in model.graph.node for output in node.output}
    products = weight_products(model)
    names = list(dict.fromkeys(
        node.input[0] for node in products
        if getattr(producers.get(node.input[0]), "op_type", "") == "LayerNormalization"))
    if not names:
        return []
    channel_max = {name: 0.0 for name in names}
    for name, value in _activations(model, names, feeds):
        channel_max[name] = np.maximum(channel_max[name],
                                       np.abs(value.reshape(-1, value.shape[-1])).max(axis=0))
    weights = {init.name: init for init in model.graph.initializer}
    scales = {}
    for name in names:
        users = [node for node in products if node.input[0] == name]
        weight_max = np.max([np.abs(numpy_helper.to_array(weights[u.input[1]])).max(axis=1)
                             for u in users], axis=0)
        scale = np.sqrt(np.maximum(channel_max[name], 1e-5) / np.maximum(weight_max, 1e-5))
        scales[name] = scale / np.exp(np.mean(np.log(scale)))  # overall magnitude kept
        for user in users:
            weight = weights[user.input[1]]
            weight.CopyFrom(numpy_helper.from_array(
                (numpy_helper.to_array(weight) * scales[name][:, None]).astype(np.float32),
                weight.name))
            user.input[0] = f"{name}.smoothed"
    nodes = []
    for node in model.graph.node:
        nodes.append(node)
        for output in node.output:
            if output in scales:
                model.graph.initializer.append(numpy_helper.from_array(
                    (1.0 / scales[output]).astype(np.float32), f"{output}.smoothing"))
                nodes.append(helper.make_node("Mul", [output, f"{output}.smoothing"],
                                              [f"{output}.smoothed"],
                                              name=f"{node.name or output}.smoothing"))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return names


def _activations(model, names: list[str], feeds: list[Feed]) -> Iterator[tuple[str, np.ndarray]]:
    """``(name, value)`` of the tensors ``names`` of ``model`` run on each feed."""
    import onnx
    import onnxruntime as ort

    outputs = len(model.graph.output)
    model.graph.output.extend(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT,
                                                                 None) for name in names)
    try:
        session = ort.InferenceSession(model.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
    finally:
        del model.graph.output[outputs:]
    for feed in feeds:
        yield from zip(names, session.run(names, feed))
