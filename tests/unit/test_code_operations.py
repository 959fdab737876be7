"""Operators on tensors and keras.ops calls in pasted code, read (never run) as Keras records them: each a keras.ops
operation node of the graph, named by Keras's one counter, its numbers kept among its operands. Each model is
also built by real Keras here, from the same code, and the service's rows, summary text and predictions (with
Keras's weights) must be Keras's."""

import inspect

import keras
import numpy as np
import pytest

from keras_shape_service.adapter.summary import keras_summary_text
from keras_shape_service.schemas.keras_names import OPERATION_ARGUMENTS
from keras_shape_service.schemas.keras_names import OPERATIONS as ALLOWED_OPERATIONS
from keras_shape_service.specs.code.tables import OPERATION_FUNCTIONS, OPERATIONS
from tests.as_keras import assert_answers_as_keras, example_inputs, keras_built, post

OPERATORS_CODE = """import keras
from keras import layers

inputs = keras.Input(shape=(4,))
other = keras.Input(shape=(4,))
x = inputs + 1.0
x = x * 0.5
x = -x
x = x / 2
x = x ** 2
x = abs(x)
x = x + other
x = 2.0 - x
x = x // 3 + x % 0.7
x = layers.Dense(4)(x)
y = layers.Add()([x, other])
attended = (x > 0.0) & (x <= 1.0) | ~(x != 0.5)
model = keras.Model([inputs, other], [y, keras.ops.cast(attended, "float32")])
"""

OPS_CODE = """import keras
from keras import layers, ops

inputs = keras.Input(shape=(6, 3))
x = layers.Dense(3)(inputs)
x = ops.relu(x) + keras.ops.sigmoid(x) * ops.hard_swish(x)
x = ops.maximum(x, 0.1)
x = ops.gelu(x, approximate=False)
x = ops.elu(x, alpha=0.5)
x = ops.cast(x, "float32")
pooled = ops.mean(x, axis=1)
kept = ops.sum(x, axis=-1, keepdims=True)
peak = ops.max(x, axis=(1, 2))
keys = keras.Input(shape=(3, 5))
gram = ops.matmul(x, keras.ops.negative(keys))
model = keras.Model([inputs, keys], [pooled, kept, peak, layers.Flatten()(gram)])
"""

RESIDUAL_CODE = """import keras
from keras import layers, ops

inputs = keras.Input(shape=(8, 4))
x = layers.Conv1D(4, 1)(inputs)
x = x + inputs
x = layers.LayerNormalization()(x)
res = x * layers.Dense(4, activation="sigmoid")(x)
keys = keras.Input(shape=(4, 3))
outputs = layers.Dense(2)(ops.tanh(res - x.shape[-1] / 8) @ keys)
model = keras.Model([inputs, keys], outputs)
"""

# keras.io's Siamese network's euclidean distance written with keras.ops in place of its Lambda, on a shared tower
# that itself ends in operations
SIAMESE_OPS_CODE = """import keras
from keras import layers, ops

inp = keras.Input(shape=(6,))
h = layers.Dense(4)(inp)
tower = keras.Model(inp, ops.relu(h) * 2.0 + 1.0)
a = keras.Input(shape=(6,))
b = keras.Input(shape=(6,))
ta = tower(a)
tb = tower(b)
distance = ops.sqrt(ops.sum(ops.square(ta - tb), axis=1, keepdims=True) + 1e-6)
model = keras.Model([a, b], layers.Dense(1, activation="sigmoid")(distance))
"""

EXAMPLES = {"operators": OPERATORS_CODE, "ops": OPS_CODE, "residual": RESIDUAL_CODE, "siamese_ops": SIAMESE_OPS_CODE}


@pytest.mark.parametrize("code", list(EXAMPLES.values()), ids=list(EXAMPLES))
def test_operators_and_ops_in_code_answer_as_keras_records_them(client, code):
    """Keras's summary lists its operations, each by the name Keras gave it, with no weights: so must the
    answer, and its predictions be Keras's."""
    built = keras_built(code)
    answer = assert_answers_as_keras(client, {"code": code}, built, example_inputs(built, seed=7, steps=4))
    # the spec the code reads as, sent as the model, answers the same
    assert post(client, "/v1/summary", {"model": answer["model"]})["summary"] == answer["summary"]


def test_every_keras_ops_function_read_is_the_operation_keras_records_with_its_arguments():
    """The reader's table (it may not import the service's schemas) against Keras and the allow-list."""
    # the same operations, each from the module Keras writes, keeping its operands' shape as its family says
    assert OPERATIONS == {
        name: (module, family in ("broadcast", "elementwise")) for name, (module, family) in ALLOWED_OPERATIONS.items()
    }
    tensor = keras.Input(shape=(3,))
    for function, (class_name, operands, arguments) in OPERATION_FUNCTIONS.items():
        assert set(arguments) <= set(OPERATION_ARGUMENTS.get(class_name, ()))
        parameters = list(inspect.signature(getattr(keras.ops, function)).parameters)
        assert parameters[: len(operands) + len(arguments)] == [*operands, *arguments], function
        extra = ("float32",) if function == "cast" else ()
        made = getattr(keras.ops, function)(*[tensor] * len(operands), *extra)
        operation = made._keras_history[0]
        assert (type(operation).__name__, type(operation).__module__) == (class_name, OPERATIONS[class_name][0])
    # every allowed operation but Abs (a class no keras.ops function makes in this Keras) can be written
    assert {class_name for class_name, _, _ in OPERATION_FUNCTIONS.values()} == set(ALLOWED_OPERATIONS) - {"Abs"}


@pytest.mark.parametrize(
    "code, line, column, words",
    [
        ("x = keras.Input(shape=(3,))\ny = +x", 2, 5, "Keras raises a TypeError for unary +"),
        ("x = keras.Input(shape=(3,))\ny = x == x", 2, 5, "write keras.ops.equal(x, y)"),
        ("x = keras.Input(shape=(3,))\ny = 0 < x < 1", 2, 5, "(x > 0) & (x < 1)"),
        ("x = keras.Input(shape=(3,))\ny = x << 1", 2, 5, "the operators read on tensors are"),
        ("x = keras.Input(shape=(3,))\ny = x * [1, 2, 3]", 2, 5, "tensors and numbers, not a list"),
        ("x = keras.Input(shape=(3,))\ny = keras.ops.concatenate([x, x])", 2, 5, "layers.Concatenate"),
        (
            "x = keras.Input(shape=(3,))\ny = keras.ops.mean(x, where=1)",
            2,
            23,
            "read with x, axis, keepdims, the arguments Keras writes in its graph, not `where`",
        ),
        ("x = keras.Input(shape=(3,))\ny = keras.ops.add(1, 2)", 2, 5, "only on a tensor"),
        ("x = keras.Input(shape=(3,))\ny = tf.reduce_mean(x)", 2, 5, "keras.ops (e.g. keras.ops.mean(x, axis=1))"),
        ("x = keras.Input(shape=(3,))\ny = x[:, 0]", 2, 5, "layers.Cropping1D/2D or layers.Reshape"),
    ],
)
def test_what_keras_would_not_record_is_refused_saying_what_to_write(client, code, line, column, words):
    problem = post(client, "/v1/summary", {"code": code}, 422)
    assert (problem["line"], problem["column"]) == (line, column), problem["detail"]
    assert words in problem["detail"]


def test_the_refusal_of_an_unread_keras_ops_function_lists_those_read(client):
    code = "x = keras.Input(shape=(3,))\ny = keras.ops.softmax(x)"
    detail = post(client, "/v1/summary", {"code": code}, 422)["detail"]
    assert "keras.ops is read for abs, absolute, add" in detail and "model.to_json()" in detail


@pytest.mark.parametrize(
    "code, words",
    [
        ("x = keras.Input(shape=(4,))\ny = keras.Input(shape=(3,))\nmodel = keras.Model([x, y], x + y)", "broadcast"),
        ("x = keras.Input(shape=(8, 4))\nk = keras.Input(shape=(4, 3))\nmodel = keras.Model([x, k], k @ x)", "Inner"),
        ("x = keras.Input(shape=(4,))\nmodel = keras.Model(x, keras.ops.mean(x, axis=3))", "out of bounds"),
    ],
)
def test_an_operation_keras_refuses_answers_keras_words_not_a_server_error(client, code, words):
    """An operation has no input_spec, which the words of a layer's refusal read (it answered 500)."""
    problem = post(client, "/v1/summary", {"code": code}, 422)
    assert problem["title"] == "Keras rejected the model" and words in problem["detail"]


def test_an_operations_shape_is_read_for_the_code_and_its_row_says_why(client):
    """`y.shape[-1]` after operations that keep the shape is read (the reader sizes the Dense from it), and each
    operation's row says what Keras recorded and what it does."""
    code = (
        "import keras\nfrom keras import layers, ops\nx = keras.Input(shape=(5, 4))\ny = (x * 0.5 + x) - 1\n"
        "z = layers.Dense(y.shape[-1] * 2)(ops.mean(y, axis=1))\nmodel = keras.Model(x, z)\n"
    )
    built = keras_built(code)
    rows = post(client, "/v1/summary", {"code": code})["layers"]
    assert [(row["name"], row["output_shape"]) for row in rows] == [
        (operation.name, list(operation.output.shape)) for operation in built.operations
    ]
    assert rows[-1]["params"] == built.layers[-1].count_params() == 40
    assert rows[1]["why"]["shape"].startswith("Multiply is a keras.ops operation Keras recorded in the graph")
    assert "it multiplies (None, 5, 4) and 0.5 element by element" in rows[1]["why"]["shape"]
    assert "it takes the mean over axis 1, removed: (None, 5, 4) -> (None, 4)" in rows[4]["why"]["shape"]


# keras.io's TokenAndPositionEmbedding as one function: Keras computes pos_emb(ops.arange(5)) once, outside the
# graph (pos_emb is no layer of the model), and a product with a bare arange is a constant too
POSITIONS_CODE = """import keras
from keras import layers, ops

tokens = keras.Input(shape=(5,))
pos_emb = layers.Embedding(input_dim=5, output_dim=4)
positions = pos_emb(keras.ops.arange(5))
x = layers.Embedding(20, 4)(tokens) + positions
x = x * ops.arange(start=1, stop=5, step=1)
model = keras.Model(tokens, layers.Dense(2)(x))
"""
TOKENS = [[1, 2, 3, 4, 0], [19, 0, 0, 7, 1]]


def _constant_operand(built, operation: str, argument: int) -> list:
    node = next(op for op in built.operations if op.name == operation)._inbound_nodes[0]
    return np.asarray(node.arguments.args[argument]).tolist()


def test_a_layer_called_on_an_arange_is_computed_outside_the_model_as_keras_does(client):
    built = keras_built(POSITIONS_CODE)
    assert [layer.name for layer in built.layers] == ["input_layer", "embedding_1", "dense"]  # no pos_emb
    answer = post(client, "/v1/summary", {"code": POSITIONS_CODE})
    assert [row["name"] for row in answer["layers"]] == [operation.name for operation in built.operations]
    assert answer["summary"] == keras_summary_text(built)
    assert answer["params"]["total"] == built.count_params()
    add, multiply = answer["model"]["layers"][1], answer["model"]["layers"][2]
    computed, numbers = add["inbound_nodes"][0]["args"][1], multiply["inbound_nodes"][0]["args"][1]
    assert computed["class_name"] == "__layer_output__" and computed["config"]["layer"]["config"]["name"] == "embedding"
    assert numbers == {"class_name": "__tensor__", "config": {"value": [1, 2, 3, 4], "dtype": "int32"}}
    assert "a constant of shape (5, 4)" in answer["layers"][2]["why"]["shape"]
    # the spec the code reads as, sent as the model, answers the same
    assert post(client, "/v1/summary", {"model": answer["model"]})["summary"] == answer["summary"]
    # pos_emb's weights by its Keras name: its table is the constant Keras wrote in the add node
    weights = {layer.name: [w.tolist() for w in layer.get_weights()] for layer in built.layers if layer.weights}
    weights["embedding"] = [_constant_operand(built, "add", 1)]
    body = {"code": POSITIONS_CODE, "inputs": TOKENS, "weights": weights}
    predicted = post(client, "/v1/predict", body)["predictions"]
    expected = built.predict(np.array(TOKENS, dtype=np.float32), verbose=0)
    np.testing.assert_allclose(np.asarray(predicted), expected, atol=1e-6, rtol=0)


def test_a_constant_layers_weights_are_drawn_from_the_seed_unless_given_and_checked_by_its_name(client):
    built = keras_built(POSITIONS_CODE)
    weights = {layer.name: [w.tolist() for w in layer.get_weights()] for layer in built.layers if layer.weights}
    body = {"code": POSITIONS_CODE, "inputs": TOKENS, "seed": 3}
    drawn = post(client, "/v1/predict", body | {"weights": weights})["predictions"]
    assert post(client, "/v1/predict", body | {"weights": weights})["predictions"] == drawn
    zeros = post(client, "/v1/predict", body | {"weights": weights | {"embedding": [[[0.0] * 4] * 5]}})
    assert zeros["predictions"] != drawn  # the drawn table is used: zeros answer otherwise
    problem = post(client, "/v1/predict", body | {"weights": {"embedding": [[[0.0] * 3] * 5]}}, 422)
    assert "layer 'embedding' (Embedding) expects weights of shapes [[5, 4]], got [[5, 3]]" in problem["detail"]


@pytest.mark.parametrize(
    "code, words",
    [
        (
            "p = keras.ops.arange(4)\nx = keras.Input(shape=(4,))\nmodel = keras.Model(x, x + p * 2)",
            "Keras computes it on the constant at once, outside the graph",
        ),
        (
            "e = layers.Embedding(4, 2)\nx = keras.Input(shape=(4,))\np = e(keras.ops.arange(4))\n"
            "model = keras.Model(x, e(x) + p)",
            "is called both on a constant",
        ),
        ("x = keras.Input(shape=(4,))\nmodel = keras.Model(x, x + keras.ops.arange(10**8))", "max_literal_elements"),
        ("x = keras.Input(shape=(4,))\nmodel = keras.Model(x, x + keras.ops.arange(3, 3))", "an empty constant"),
        (
            'x = keras.Input(shape=(4,))\nmodel = keras.Model(x, x + keras.ops.arange(65534, 65538, dtype="uint16"))',
            "line 4, column 28: `keras.ops.arange(65534, 65538, dtype='uint16')` makes numbers from 65534 to 65537, "
            "which a uint16 does not hold (from 0 to 65535)",
        ),
        (
            'x = keras.Input(shape=(4,))\nmodel = keras.Model(x, x + keras.ops.arange(0, 4, dtype="uint8"))',
            "`keras.ops.arange` makes no uint8 numbers (TensorFlow's range refuses it)",
        ),
        (
            'x = keras.Input(shape=(2,))\nmodel = keras.Model(x, x + keras.ops.arange(65503, 65506, dtype="float16"))',
            "which a float16 does not hold (from -65504.0 to 65504.0)",
        ),
    ],
    ids=["operation_on_constants", "layer_both_ways", "too_long", "empty", "past_uint16", "uint8", "past_float16"],
)
def test_a_constant_the_reader_does_not_compute_is_refused_saying_what_to_send(client, code, words):
    problem = post(client, "/v1/summary", {"code": "import keras\nfrom keras import layers\n" + code}, 422)
    assert words in problem["detail"]


def test_the_readers_constant_dtypes_are_the_services():
    from keras_shape_service.schemas.keras_names import REAL_DTYPES
    from keras_shape_service.specs.code.tables import CONSTANT_DTYPES

    assert CONSTANT_DTYPES == REAL_DTYPES


NESTED_POSITIONS_CODE = """import keras
from keras import layers, ops

tokens = keras.Input(shape=(5,))
pos_emb = layers.Embedding(input_dim=5, output_dim=4)
inner = keras.Model(tokens, layers.Embedding(20, 4)(tokens) + pos_emb(ops.arange(5)))
outer_in = keras.Input(shape=(5,))
model = keras.Model(outer_in, layers.Dense(2)(inner(outer_in)))
"""


def test_a_constant_a_layer_computes_inside_a_nested_model_is_put_in_that_models_graph(client):
    built = keras_built(NESTED_POSITIONS_CODE)
    inner = built.layers[1]
    weights = {layer.name: [w.tolist() for w in layer.get_weights()] for layer in built.layers if layer.weights}
    weights["embedding"] = [_constant_operand(inner, "add", 1)]
    body = {"code": NESTED_POSITIONS_CODE, "inputs": TOKENS, "weights": weights}
    answer = post(client, "/v1/predict", body)
    assert answer["summary"] == keras_summary_text(built)
    expected = built.predict(np.array(TOKENS, dtype=np.float32), verbose=0)
    np.testing.assert_allclose(np.asarray(answer["predictions"]), expected, atol=1e-6, rtol=0)


SHARED_POSITIONS_CODE = """import keras
from keras import layers, ops

tokens = keras.Input(shape=(5,))
pos_emb = layers.Embedding(input_dim=5, output_dim=4)
x = layers.Embedding(20, 4)(tokens) + pos_emb(ops.arange(5)) - pos_emb(ops.arange(5))
model = keras.Model(tokens, layers.Dense(2)(x))
"""


def test_one_layer_computing_two_constants_is_one_layer_with_one_table(client):
    """pos_emb called on two constants is one layer in Keras: both operands read its one table, and here they
    cancel out, whatever the table. Built as two layers, each drew its own table from the seed."""
    built = keras_built(SHARED_POSITIONS_CODE)
    weights = {layer.name: [w.tolist() for w in layer.get_weights()] for layer in built.layers if layer.weights}
    answer = post(client, "/v1/predict", {"code": SHARED_POSITIONS_CODE, "inputs": TOKENS, "weights": weights})
    expected = built.predict(np.array(TOKENS, dtype=np.float32), verbose=0)
    np.testing.assert_allclose(np.asarray(answer["predictions"]), expected, atol=1e-6, rtol=0)


def test_a_layer_computing_a_constant_named_as_a_layer_of_the_model_is_refused_at_its_place(client):
    """Weights are given by layer name: a __layer_output__'s layer named as a layer of the model took that
    layer's weights (its own shapes, or silently)."""
    model = post(client, "/v1/summary", {"code": POSITIONS_CODE})["model"]
    computed = model["layers"][1]["inbound_nodes"][0]["args"][1]
    computed["config"]["layer"]["config"]["name"] = "embedding_1"  # the model's token embedding
    problem = post(client, "/v1/summary", {"model": model}, 422)
    assert "'embedding_1'" in problem["detail"] and "a layer of the model" in problem["detail"], problem
    assert problem["errors"][0]["loc"] == ["model", "layers", 1, "inbound_nodes", 0, "args", 1, "config", "layer"]


def test_two_layers_computing_constants_under_one_name_are_one_layer_or_refused(client):
    model = post(client, "/v1/summary", {"code": SHARED_POSITIONS_CODE})["model"]
    second = model["layers"][2]["inbound_nodes"][0]["args"][1]["config"]["layer"]
    assert second["config"]["name"] == "embedding"
    second["config"]["input_dim"] = 6
    problem = post(client, "/v1/summary", {"model": model}, 422)
    assert "two layers computing constants are named 'embedding' with other configs" in problem["detail"], problem
    assert problem["errors"][0]["loc"] == ["model", "layers", 2, "inbound_nodes", 0, "args", 1, "config", "layer"]
