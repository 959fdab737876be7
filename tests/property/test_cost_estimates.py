"""The cost estimates against what TensorFlow runs: small generated models of every family with arithmetic of
its own (attention of each kind, Dense, EinsumDense, convolutions, Dot), traced in this process.

Measured, from the traced inference graph for one example (not from the service's rules):
- multiply-adds: every MatMul, BatchMatMulV2 and convolution (output elements x products summed into each)
  and every Einsum (the product of its axes' sizes);
- memory: the largest tensor any op of the graph makes, the attention scores among them.
The estimate may be above the measure (AdditiveAttention's scores are made by additions and a tanh, no
product; the service counts them as products), never below it by more than BELOW (1: never below at all,
since these rules are exact for these families), nor above it by more than ABOVE: a good model must not be
refused for an estimate far from what it costs.
"""

import json
from math import prod

import keras
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from keras_shape_service import adapter
from keras_shape_service.facts import every_call
from keras_shape_service.guards import cost
from keras_shape_service.schemas import SummaryRequest, SummaryResponse
from keras_shape_service.specs.forms import canonical_spec

pytestmark = [pytest.mark.property, pytest.mark.slow]
L = keras.layers
BELOW, ABOVE = 1.0, 2.5
_CONVOLUTIONS = {"Conv2D": 1, "Conv3D": 1, "DepthwiseConv2dNative": 2}  # filter axes that are not summed over


def _graph(model: keras.Model) -> tf.Graph:
    specs = [tf.TensorSpec((1, *tensor.shape[1:]), tf.float32) for tensor in model.inputs]
    function = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False))
    return convert_variables_to_constants_v2(function.get_concrete_function(*specs)).graph


def _op_multiply_adds(op: tf.Operation) -> int:
    if op.type == "Einsum":
        sizes: dict[str, int] = {}
        for operand, tensor in zip(op.get_attr("equation").decode().split("->")[0].split(","), op.inputs):
            sizes.update(zip(operand, tensor.shape))
        return prod(sizes.values())
    if op.type in ("MatMul", "BatchMatMulV2"):
        first = op.inputs[0].shape
        transposed = op.get_attr("transpose_a" if op.type == "MatMul" else "adj_x")
        return op.outputs[0].shape.num_elements() * (first[-2] if transposed else first[-1])
    if op.type in _CONVOLUTIONS:
        summed = op.inputs[1].shape[: -_CONVOLUTIONS[op.type]]
        return op.outputs[0].shape.num_elements() * prod(summed)
    return 0


def measured(model: keras.Model) -> tuple[int, int]:
    """Multiply-adds and the largest computed tensor's elements of the model's inference graph, batch of 1."""
    ops = _graph(model).get_operations()
    from_inputs: set[str] = set()  # ops computing on the inputs: not the weights (constants) nor shapes
    for op in ops:  # in the graph's order, inputs before the ops that read them
        if op.type == "Placeholder" or any(tensor.op.name in from_inputs for tensor in op.inputs):
            from_inputs.add(op.name)
    largest = max(
        out.shape.num_elements()
        for op in ops
        if op.name in from_inputs
        for out in op.outputs
        if out.dtype.is_floating and out.shape.is_fully_defined()
    )
    return sum(_op_multiply_adds(op) for op in ops), largest


def estimated(client, model: keras.Model) -> tuple[int, int]:
    """The service's multiply-adds per example (its answer), and the largest tensor its limits see: a layer's
    output or what it makes inside itself, or an input."""
    document = json.loads(model.to_json())
    response = client.post("/v1/summary", json={"model": document})
    assert response.status_code == 200, response.get_json()
    facts = adapter.plan(canonical_spec(SummaryRequest.model_validate({"model": document}).model), 0, 10**9).facts
    largest = max(
        max(cost.scratch_elements(f), *(cost.elements(shape) for shape in f.output_shapes + f.input_shapes))
        for f in every_call(facts)
    )
    return SummaryResponse.model_validate_json(response.data).cost.macs, largest


small = st.integers(1, 6)


def model_drawn(draw: st.DrawFn) -> keras.Model:
    """One layer with arithmetic, on inputs of a few positions and features (built in the test, not in a
    strategy: Keras draws its initializers' seeds from the random module)."""
    family = draw(st.sampled_from(["mha", "gqa", "attention", "additive", "dense", "einsum", "conv", "dot"]))
    t_query, t_value, features = draw(small), draw(small), draw(small)
    query, value = keras.Input((t_query, features), name="q"), keras.Input((t_value, features), name="v")
    if family == "mha":
        layer = L.MultiHeadAttention(draw(st.integers(1, 4)), draw(st.integers(1, 4)), value_dim=draw(small))
        return keras.Model([query, value], layer(query, value))
    if family == "gqa":
        kv_heads = draw(st.integers(1, 2))
        layer = L.GroupQueryAttention(draw(st.integers(1, 4)), kv_heads * draw(st.integers(1, 3)), kv_heads)
        return keras.Model([query, value], layer(query, value))
    if family == "attention":
        layer = L.Attention(score_mode=draw(st.sampled_from(["dot", "concat"])))
        return keras.Model([query, value], layer([query, value]))
    if family == "additive":
        return keras.Model([query, value], L.AdditiveAttention()([query, value]))
    if family == "dot":
        return keras.Model([query, value], L.Dot(axes=2)([query, value]))
    if family == "dense":
        return keras.Model(query, L.Dense(draw(small))(query))
    if family == "einsum":
        return keras.Model(query, L.EinsumDense("abc,cd->abd", output_shape=(t_query, draw(small)))(query))
    image = keras.Input((t_query + 2, t_value + 2, features))
    return keras.Model(image, L.Conv2D(draw(small), draw(st.integers(1, 3)))(image))


@settings(max_examples=12)
@given(data=st.data())
def test_estimates_are_never_below_what_tensorflow_runs(client, data):
    model = model_drawn(data.draw)
    measured_macs, measured_largest = measured(model)
    estimated_macs, estimated_largest = estimated(client, model)
    kinds = [layer.__class__.__name__ for layer in model.layers]
    assert estimated_macs * BELOW >= measured_macs, f"{kinds}: {estimated_macs:,} multiply-adds, ran {measured_macs:,}"
    assert estimated_macs <= ABOVE * measured_macs, f"{kinds}: {estimated_macs:,} multiply-adds, ran {measured_macs:,}"
    assert estimated_largest * BELOW >= measured_largest, (
        f"{kinds}: largest {estimated_largest:,}, ran {measured_largest:,}"
    )
    assert estimated_largest <= ABOVE * measured_largest, (
        f"{kinds}: largest {estimated_largest:,}, ran {measured_largest:,}"
    )
