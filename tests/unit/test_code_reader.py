"""Pasted Keras code read into a spec without running it: the seed snippets, every accepted spelling, Keras's own
layer names, and a table of refusals each with its type, line, column and reason."""

import ast
import collections
import inspect
import os
import signal
import subprocess
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import keras
import pytest
from keras.src.backend.common import (
    global_state,  # the same private counters service/keras_core.py resets
)

from keras_shape_service.schemas.examples import SEED_CODE
from keras_shape_service.schemas.keras_names import ALLOWED_LAYER_TYPES
from keras_shape_service.specs.code.reader import (
    CodeLimits,
    CodeRejected,
    ReadCode,
    read_code,
)
from keras_shape_service.specs.naming import keras_default_names, to_snake_case

ROOT = Path(__file__).parents[2]
READER_FILES = sorted((ROOT / "keras_shape_service" / "specs" / "code").glob("*.py"))


def positional_arguments(name: str) -> list[str]:
    """A layer's positional parameters, as the service wires it to the real Keras class."""
    return [
        p.name
        for p in inspect.signature(getattr(keras.layers, name).__init__).parameters.values()
        if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD
    ]


def read(source: str, **options) -> ReadCode:
    return read_code(source, positional_arguments, **options)


def refusal(source: str, **options) -> CodeRejected:
    with pytest.raises(CodeRejected) as caught:
        read(source, **options)
    return caught.value


@contextmanager
def hang_guard(seconds: int = 5):
    """Fail instead of hanging: SIGALRM raises in the main thread after `seconds`."""

    def hung(signum, frame):
        raise TimeoutError(f"still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


SEED = SEED_CODE  # the seed's code exactly as its asker pasted it, Python 2 print included
SEED_MODEL = {
    "layers": [
        {"type": "Dense", "units": 16, "input_shape": [3, 2]},
        {"type": "Activation", "activation": "relu"},
        {"type": "Flatten"},
        {"type": "Dense", "units": 4},
    ],
    "compile": {"loss": "mean_squared_error", "optimizer": "SGD"},
}
SECOND_ANSWER = """model = tf.keras.models.Sequential()
model.add(keras.layers.Flatten(input_shape=(28, 28, 3)))
model.add(layers.experimental.preprocessing.Rescaling(1./255))
model.add(keras.layers.Dense(128,activation=tf.nn.relu))
model.add(keras.layers.Dense(2,activation=tf.nn.softmax))
model.build()
model.summary()
"""


def test_the_seed_reads_as_the_seed_spec_and_its_inputs():
    answer = read(SEED)
    assert answer.model == SEED_MODEL
    assert answer.inputs == [[[1, 2], [3, 4], [5, 6]]]
    assert answer.calls == ("add", "add", "add", "add", "compile", "predict")


def test_the_seed_without_flatten_loses_only_the_flatten_layer():
    answer = read(SEED.replace("model.add(Flatten())\n", ""))
    assert answer.model == dict(SEED_MODEL, layers=[SEED_MODEL["layers"][i] for i in (0, 1, 3)])
    assert answer.inputs == [[[1, 2], [3, 4], [5, 6]]]


def test_the_second_answer_of_the_seed_question():
    answer = read(SECOND_ANSWER)
    assert answer.model == {
        "layers": [
            {"type": "Flatten", "input_shape": [28, 28, 3]},
            {"type": "Rescaling", "scale": 0.00392156862745098},
            {"type": "Dense", "units": 128, "activation": "relu"},
            {"type": "Dense", "units": 2, "activation": "softmax"},
        ]
    }
    assert answer.model["layers"][1]["scale"] == 1.0 / 255
    assert answer.inputs is None
    assert answer.calls == ("add", "add", "add", "add", "build", "summary")


# Functional models


def test_two_heads_concatenated():
    answer = read("""
import keras
from keras import layers
inputs = keras.Input(shape=(8,), name="features")
left = layers.Dense(4, activation="relu")(inputs)
right = layers.Dense(6)(inputs)
merged = layers.Concatenate()([left, right])
outputs = layers.Dense(1, name="score")(merged)
model = keras.Model(inputs=inputs, outputs=outputs, name="two_heads")
""")
    assert answer.model == {
        "name": "two_heads",
        "inputs": [{"name": "features", "shape": [8]}],
        "layers": [
            {"type": "Dense", "name": "dense", "units": 4, "activation": "relu", "inbound": ["features"]},
            {"type": "Dense", "name": "dense_1", "units": 6, "inbound": ["features"]},
            {"type": "Concatenate", "name": "concatenate", "inbound": ["dense", "dense_1"]},
            {"type": "Dense", "name": "score", "units": 1, "inbound": ["concatenate"]},
        ],
        "outputs": ["score"],
    }


def test_a_residual_add_with_unnamed_input_and_positional_model_arguments():
    answer = read("""
x_in = Input(shape=(16,))
h = Dense(16, activation="relu")(x_in)
y = Add()([x_in, h])
model = Model(x_in, y)
""")
    assert answer.model == {
        "inputs": [{"name": "input_layer", "shape": [16]}],
        "layers": [
            {"type": "Dense", "name": "dense", "units": 16, "activation": "relu", "inbound": ["input_layer"]},
            {"type": "Add", "name": "add", "inbound": ["input_layer", "dense"]},
        ],
        "outputs": ["add"],
    }


def test_several_inputs_and_outputs_with_dtype_batch_size_and_variable_length():
    answer = read("""
import tensorflow as tf
words = tf.keras.Input(shape=(None,), dtype="int32", name="words")
extra = tf.keras.layers.Input(shape=(3,), batch_size=2)
embedded = tf.keras.layers.Embedding(100, 8)(words)
pooled = tf.keras.layers.GlobalAveragePooling1D()(embedded)
both = tf.keras.layers.concatenate([pooled, extra], name="both")
score = tf.keras.layers.Dense(1, activation=tf.keras.activations.sigmoid, name="score")(both)
kind = tf.keras.layers.Dense(3, activation="softmax", name="kind")(both)
model = tf.keras.Model(inputs=[words, extra], outputs=[score, kind])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
""")
    assert answer.model == {
        "inputs": [
            {"name": "words", "shape": [None], "dtype": "int32"},
            {"name": "input_layer", "shape": [3], "batch_size": 2},
        ],
        "layers": [
            {"type": "Embedding", "name": "embedding", "input_dim": 100, "output_dim": 8, "inbound": ["words"]},
            {"type": "GlobalAveragePooling1D", "name": "global_average_pooling1d", "inbound": ["embedding"]},
            {"type": "Concatenate", "name": "both", "inbound": ["global_average_pooling1d", "input_layer"]},
            {"type": "Dense", "name": "score", "units": 1, "activation": "sigmoid", "inbound": ["both"]},
            {"type": "Dense", "name": "kind", "units": 3, "activation": "softmax", "inbound": ["both"]},
        ],
        "outputs": ["score", "kind"],
        "compile": {"optimizer": "adam", "loss": "binary_crossentropy"},
    }


def test_a_shared_layer_appears_once_with_its_calls_and_its_second_output_is_numbered():
    answer = read("""
left = keras.Input(shape=(5,), name="left")
right = keras.Input(shape=(5,), name="right")
shared = keras.layers.Dense(4, name="shared")
a = shared(left)
b = shared(right)
distance = keras.layers.Subtract()([a, b])
model = keras.Model([left, right], [distance, b])
""")
    assert answer.model == {
        "inputs": [{"name": "left", "shape": [5]}, {"name": "right", "shape": [5]}],
        "layers": [
            {"type": "Dense", "name": "shared", "units": 4, "calls": [["left"], ["right"]]},
            {"type": "Subtract", "name": "subtract", "inbound": ["shared", "shared#1"]},
        ],
        "outputs": ["subtract", "shared#1"],
    }


def test_layers_come_in_the_order_of_their_first_call():
    answer = read("""
late = Dense(2)
x = Input(shape=(3,))
early = Dense(5)(x)
out = late(early)
model = Model(x, out)
""")
    assert [(layer["name"], layer["units"]) for layer in answer.model["layers"]] == [("dense_1", 5), ("dense", 2)]


def test_a_functional_model_predicts_on_a_list_of_arrays():
    answer = read("""
a = Input(shape=(2,), name="a")
b = Input(shape=(1,), name="b")
model = Model([a, b], Concatenate()([a, b]))
y = model.predict([np.array([[1, 2]]), np.array([[3]])])
""")
    assert answer.inputs == [[[1, 2]], [[3]]]


# Names


def test_two_unnamed_dense_layers_are_dense_and_dense_1():
    answer = read("x = Input(shape=(3,))\nh = Dense(4)(x)\nmodel = Model(x, Dense(2)(h))")
    assert [layer["name"] for layer in answer.model["layers"]] == ["dense", "dense_1"]


def test_names_follow_the_order_layers_are_made_not_called():
    # Python makes Dense(2) before it evaluates its argument Dense(4)(x); Keras names them in that order too.
    answer = read("x = Input(shape=(3,))\nmodel = Model(x, Dense(2)(Dense(4)(x)))")
    assert [(layer["name"], layer["units"]) for layer in answer.model["layers"]] == [("dense_1", 4), ("dense", 2)]


def test_a_user_named_dense_takes_the_name_so_the_unnamed_one_is_dense_1():
    answer = read("x = Input(shape=(3,))\nh = Dense(4, name='dense')(x)\nmodel = Model(x, Dense(2)(h))")
    assert [layer["name"] for layer in answer.model["layers"]] == ["dense", "dense_1"]
    answer = read("x = Input(shape=(3,))\nh = Dense(4)(x)\nmodel = Model(x, Dense(2, name='dense')(h))")
    assert [layer["name"] for layer in answer.model["layers"]] == ["dense_1", "dense"]


def test_unnamed_inputs_are_input_layer_then_input_layer_1():
    answer = read("a = Input(shape=(1,))\nb = Input(shape=(2,))\nmodel = Model([a, b], Concatenate()([a, b]))")
    assert [item["name"] for item in answer.model["inputs"]] == ["input_layer", "input_layer_1"]
    assert answer.model["layers"][0]["inbound"] == ["input_layer", "input_layer_1"]


def test_sequential_code_gets_no_names_it_did_not_give():
    answer = read("model = Sequential([Dense(2), Dense(3, name='out')])")
    assert answer.model == {"layers": [{"type": "Dense", "units": 2}, {"type": "Dense", "units": 3, "name": "out"}]}


def test_the_same_name_given_to_two_layers_is_refused():
    error = refusal("x = Input(shape=(3,), name='a')\nmodel = Model(x, Dense(2, name='a')(x))")
    assert (error.line, error.column) == (2, 18)
    assert "given to two layers" in error.detail


@pytest.mark.parametrize(
    "class_name, snake",
    [
        ("Dense", "dense"),
        ("Conv2D", "conv2d"),
        ("MaxPooling2D", "max_pooling2d"),
        ("BatchNormalization", "batch_normalization"),
        ("GlobalAveragePooling1D", "global_average_pooling1d"),
        ("LSTM", "lstm"),
        ("InputLayer", "input_layer"),
        ("PReLU", "p_re_lu"),
        ("Conv2DTranspose", "conv2d_transpose"),
    ],
)
def test_to_snake_case_is_keras_own(class_name, snake):
    assert to_snake_case(class_name) == snake == keras.src.utils.naming.to_snake_case(class_name)


def test_keras_default_names_agree_with_keras_and_skip_taken_names():
    classes = ["Dense", "Conv2D", "Dense", "MaxPooling2D", "BatchNormalization", "Dense", "LSTM", "InputLayer"]
    global_state.set_global_attribute("object_name_uids", collections.defaultdict(int))
    made = [getattr(keras.layers, name)(**_minimal_arguments(name)).name for name in classes]
    assert (
        keras_default_names(classes)
        == made
        == ["dense", "conv2d", "dense_1", "max_pooling2d", "batch_normalization", "dense_2", "lstm", "input_layer"]
    )
    assert keras_default_names(["Dense", "Dense", "Dense"], taken={"dense", "dense_2"}) == [
        "dense_1",
        "dense_3",
        "dense_4",
    ]


def _minimal_arguments(class_name: str) -> dict:
    return {
        "Dense": {"units": 1},
        "Conv2D": {"filters": 1, "kernel_size": 1},
        "LSTM": {"units": 1},
        "InputLayer": {"shape": (1,)},
    }.get(class_name, {})


def test_functional_names_agree_with_keras_for_unnamed_layers():
    answer = read("""
x = Input(shape=(8, 8, 1))
c = Conv2D(2, 3)(x)
p = MaxPooling2D()(c)
f = Flatten()(p)
d = Dense(4)(f)
e = Dense(2)(d)
model = Model(x, [d, e])
""")
    global_state.set_global_attribute("object_name_uids", collections.defaultdict(int))
    inputs = keras.Input(shape=(8, 8, 1))
    made = [
        keras.layers.Conv2D(2, 3),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(4),
        keras.layers.Dense(2),
    ]
    assert [layer["name"] for layer in answer.model["layers"]] == [layer.name for layer in made]
    assert answer.model["inputs"][0]["name"] == inputs._keras_history.operation.name == "input_layer"


# Every accepted spelling

DENSE = {"type": "Dense", "units": 4}


@pytest.mark.parametrize(
    "preamble, constructor",
    [
        ("", "Dense"),
        ("", "layers.Dense"),
        ("", "keras.layers.Dense"),
        ("", "tf.keras.layers.Dense"),
        ("", "tensorflow.keras.layers.Dense"),
        ("", "keras.layers.core.Dense"),
        ("from keras.layers import Dense, Flatten", "Dense"),
        ("from tensorflow.keras.layers import Dense", "Dense"),
        ("from tensorflow.keras.layers import *", "Dense"),
        ("from keras.layers import *", "Dense"),
        ("import keras.layers as L", "L.Dense"),
        ("from keras.layers import Dense as D", "D"),
        ("import keras", "keras.layers.Dense"),
        ("import tensorflow as tf", "tf.keras.layers.Dense"),
        ("from tensorflow import keras", "keras.layers.Dense"),
        ("from keras import layers", "layers.Dense"),
        ("from tensorflow.keras import layers", "layers.Dense"),
        ("import tensorflow.keras as K", "K.layers.Dense"),
        ("from keras.layers import core", "core.Dense"),
        ("import numpy as np\nimport keras", "keras.layers.Dense"),
    ],
)
def test_every_layer_path_reads_as_the_layer(preamble, constructor):
    answer = read(f"{preamble}\nmodel = Sequential()\nmodel.add({constructor}(4))")
    assert answer.model == {"layers": [DENSE]}


@pytest.mark.parametrize(
    "preamble, constructor",
    [
        ("", "Sequential"),
        ("", "keras.Sequential"),
        ("", "keras.models.Sequential"),
        ("", "tf.keras.Sequential"),
        ("", "tf.keras.models.Sequential"),
        ("from keras.models import Sequential", "Sequential"),
        ("from tensorflow.keras.models import Sequential", "Sequential"),
        ("from keras import Sequential", "Sequential"),
        ("from keras import models", "models.Sequential"),
        ("from tensorflow import keras", "keras.Sequential"),
    ],
)
def test_every_sequential_path_reads_as_sequential(preamble, constructor):
    assert read(f"{preamble}\nmodel = {constructor}([Dense(4)])").model == {"layers": [DENSE]}


@pytest.mark.parametrize(
    "constructor", ["Model", "keras.Model", "keras.models.Model", "tf.keras.Model", "tf.keras.models.Model"]
)
def test_every_functional_model_path_reads_as_a_graph(constructor):
    answer = read(f"x = keras.Input(shape=(2,), name='x')\nmodel = {constructor}(inputs=x, outputs=Dense(4)(x))")
    assert answer.model["outputs"] == ["dense"]


@pytest.mark.parametrize(
    "path",
    [
        "layers.experimental.preprocessing.Rescaling",
        "keras.layers.experimental.preprocessing.Rescaling",
        "tf.keras.layers.experimental.preprocessing.Rescaling",
        "layers.Rescaling",
    ],
)
def test_keras_2_preprocessing_paths_read_as_the_keras_3_layer(path):
    assert read(f"model = Sequential([{path}(0.5, offset=1)])").model == {
        "layers": [{"type": "Rescaling", "scale": 0.5, "offset": 1}]
    }


@pytest.mark.parametrize(
    "spelling",
    [
        "'relu'",
        "tf.nn.relu",
        "tf.keras.activations.relu",
        "keras.activations.relu",
        "activations.relu",
        "tensorflow.nn.relu",
    ],
)
def test_activation_spellings_read_as_the_name(spelling):
    assert read(f"model = Sequential([Dense(4, activation={spelling})])").model == {
        "layers": [dict(DENSE, activation="relu")]
    }


def test_activations_imported_by_name_and_softmax():
    answer = read(
        "from keras.activations import relu\nfrom tensorflow.nn import softmax\n"
        "model = Sequential([Dense(4, activation=relu), Activation(softmax), Activation(None)])"
    )
    assert [layer.get("activation") for layer in answer.model["layers"]] == ["relu", "softmax", None]


@pytest.mark.parametrize(
    "argument, expected",
    [
        (
            "kernel_initializer=keras.initializers.GlorotUniform(seed=1)",
            {"kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": 1}}},
        ),
        (
            "kernel_initializer=initializers.glorot_uniform(seed=1)",
            {"kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": 1}}},
        ),
        (
            "kernel_initializer=tf.keras.initializers.RandomNormal(0.0, 0.05)",
            {"kernel_initializer": {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.05}}},
        ),
        (
            "bias_initializer=keras.initializers.Constant(0.1)",
            {"bias_initializer": {"class_name": "Constant", "config": {"value": 0.1}}},
        ),
        ("kernel_initializer='he_normal'", {"kernel_initializer": "he_normal"}),
        ("kernel_initializer=keras.initializers.he_normal", {"kernel_initializer": "he_normal"}),
        (
            "kernel_regularizer=regularizers.l2(0.01)",
            {"kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}},
        ),
        (
            "kernel_regularizer=keras.regularizers.L1(l1=0.5)",
            {"kernel_regularizer": {"class_name": "L1", "config": {"l1": 0.5}}},
        ),
        (
            "activity_regularizer=tf.keras.regularizers.l1_l2(0.1, 0.2)",
            {"activity_regularizer": {"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}}},
        ),
        (
            "kernel_constraint=keras.constraints.MaxNorm(2)",
            {"kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2}}},
        ),
    ],
)
def test_initializer_regularizer_and_constraint_calls(argument, expected):
    assert read(f"model = Sequential([Dense(4, {argument})])").model == {"layers": [dict(DENSE, **expected)]}


def test_a_wrapped_layer_reads_as_its_own_concise_form():
    answer = read(
        "model = Sequential([Bidirectional(LSTM(8, return_sequences=True), input_shape=(5, 3)),"
        " TimeDistributed(Dense(2))])"
    )
    assert answer.model == {
        "layers": [
            {
                "type": "Bidirectional",
                "layer": {"type": "LSTM", "units": 8, "return_sequences": True},
                "input_shape": [5, 3],
            },
            {"type": "TimeDistributed", "layer": {"type": "Dense", "units": 2}},
        ]
    }


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            "model = Sequential([keras.Input(shape=(3, 2)), Dense(4)], name='seed')",
            {"name": "seed", "input_shape": [3, 2], "layers": [DENSE]},
        ),
        (
            "model = Sequential()\nmodel.add(keras.Input((3, 2)))\nmodel.add(Dense(4))",
            {"input_shape": [3, 2], "layers": [DENSE]},
        ),
        (
            "model = Sequential()\nmodel.add(layers.InputLayer(input_shape=(3, 2)))\nmodel.add(Dense(4))",
            {"input_shape": [3, 2], "layers": [DENSE]},
        ),
        (
            "model = Sequential([InputLayer(batch_input_shape=(None, 3, 2)), Dense(4)])",
            {"input_shape": [3, 2], "layers": [DENSE]},
        ),
        ("model = Sequential([Dense(4)])\nmodel.build((None, 3, 2))", {"input_shape": [3, 2], "layers": [DENSE]}),
        (
            "model = Sequential([Dense(4)])\nmodel.build(input_shape=[None, 3, 2])",
            {"input_shape": [3, 2], "layers": [DENSE]},
        ),
        ("model = Sequential([Dense(4)])\nmodel.build()", {"layers": [DENSE]}),
        (
            "model = Sequential([Dense(4)])\nmodel.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), "
            "loss=keras.losses.MeanSquaredError())",
            {"layers": [DENSE], "compile": {"optimizer": "SGD", "loss": "MeanSquaredError"}},
        ),
        (
            "model = Sequential([Dense(4)])\nmodel.compile('adam', 'mse', metrics=['mae'])",
            {"layers": [DENSE], "compile": {"optimizer": "adam", "loss": "mse"}},
        ),
        (
            "model = Sequential([Dense(4)])\nopt = tf.keras.optimizers.Adam(0.01) if False else 'sgd'\n"
            "model.compile(opt, 'mse')",
            {"layers": [DENSE], "compile": {"optimizer": "sgd", "loss": "mse"}},
        ),
    ],
)
def test_input_shape_build_name_and_compile_forms(source, expected):
    assert read(source).model == expected


# Data


@pytest.mark.parametrize(
    "data, expected",
    [
        ("np.array([[1, 2.5]])", [[1, 2.5]]),
        ("numpy.array([[1, 2]], dtype='float32')", [[1, 2]]),
        ("np.asarray([[1, 2]], dtype=np.float32)", [[1, 2]]),
        ("[[1, 2]]", [[1, 2]]),
        ("((1, 2),)", [[1, 2]]),
        ("np.array([[-1, -2.0]])", [[-1, -2.0]]),
        ("np.zeros((2, 3))", [[0.0] * 3] * 2),
        ("np.ones(2)", [1.0, 1.0]),
        ("np.random.random((1, 3, 2))", [[[0.0, 0.01], [0.02, 0.03], [0.04, 0.05]]]),
        ("np.random.rand(1, 3, 2)", [[[0.0, 0.01], [0.02, 0.03], [0.04, 0.05]]]),
    ],
)
def test_predict_inputs(data, expected):
    answer = read(f"model = Sequential([Dense(4)])\ny = model.predict({data})")
    assert answer.inputs == expected


def test_predict_inputs_through_bound_names_model_call_and_keywords():
    answer = read(
        "batch = [[1, 2], [3, 4]]\nx = np.array(batch)\nmodel = Sequential([Dense(4)])\n"
        "a = model(x)\nb = model.predict(x=[[9, 9]], verbose=0, batch_size=2)\nprint(model.predict(x).shape)"
    )
    assert answer.inputs == [[1, 2], [3, 4]]
    assert answer.calls == ("call", "predict", "predict")


def test_names_bound_to_literals_and_tuple_targets():
    answer = read("units, shape = 16, (3, 2)\nn = units // 4\nmodel = Sequential([Dense(n, input_shape=shape)])")
    assert answer.model == {"layers": [{"type": "Dense", "units": 4, "input_shape": [3, 2]}]}


@pytest.mark.parametrize(
    "expression, value",
    [
        ("2 * 8 + 1", 17),
        ("2 ** 4", 16),
        ("7 // 2", 3),
        ("7 % 4", 3),
        ("-(-3)", 3),
        ("+5", 5),
        ("1 / 4", 0.25),
        ("2 ** 30 + (2 ** 30 - 1)", 2**31 - 1),
        ("2.0 ** 64", 2.0**64),
        ("10 ** -2", 0.01),
        ("1./255", 1.0 / 255),
    ],
)
def test_small_arithmetic(expression, value):
    answer = read(f"model = Sequential([Dropout({expression})])")
    assert answer.model["layers"][0]["rate"] == value


@pytest.mark.parametrize(
    "expression, phrase, error_type",
    [
        ("2 ** 31", "over the limit max_int=2,147,483,647", "code_limit"),
        ("(-2) ** 40", "over the limit max_int", "code_limit"),
        ("3000000000", "the integer 3,000,000,000 is over the limit max_int", "code_limit"),
        ("2 ** 65", "the exponent 65 is over the limit 64", "code_limit"),
        ("(2 ** 30) ** 64", "of 1921 bits is over the limit max_int", "code_limit"),
        ("1e308 * 10", "is not a finite real number", "code_unsupported"),
        ("(-8) ** 0.5", "is not a finite real number", "code_unsupported"),
        ("1 / 0", "cannot be computed: division by zero", "code_unsupported"),
        ("'a' * 3", "arithmetic is only read on numbers", "code_unsupported"),
        ("True + 1", "arithmetic is only read on numbers", "code_unsupported"),
        ("1 << 3", "the operation `1 << 3` is not supported", "code_unsupported"),
        ("~1", "the operation `~1` is not supported", "code_unsupported"),
    ],
)
def test_arithmetic_bounds(expression, phrase, error_type):
    error = refusal(f"model = Sequential([Dropout({expression})])")
    assert (error.errors[0].type, error.line, error.column) == (error_type, 1, 29)
    assert phrase in error.detail


def test_max_int_is_a_setting():
    assert refusal("n = 300", limits=CodeLimits(max_int=255)).detail.endswith("over the limit max_int=255")


# The Python of Keras's example pages: functions, loops, conditions, unpacking, indexing, operators on tensors


def test_multi_head_attention_is_called_on_separate_query_value_and_key_as_keras_calls_it():
    answer = read(
        "x = Input(shape=(4, 8))\n"
        "a = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)\n"
        "b = layers.MultiHeadAttention(num_heads=2, key_dim=4)(query=a, value=x, training=False)\n"
        "c = layers.MultiHeadAttention(num_heads=2, key_dim=4)(b, x, key=a)\n"
        "model = Model(x, c)"
    )
    assert [layer["inbound"] for layer in answer.model["layers"]] == [
        ["input_layer", "input_layer"],
        ["multi_head_attention", "input_layer"],
        ["multi_head_attention_1", "input_layer", "multi_head_attention"],
    ]
    # Keras builds each attention layer at its first call, making an unnamed Softmax and Dropout, which take names
    assert answer.model["layers"][1]["name"] == "multi_head_attention_1"


def test_a_layer_made_after_an_attention_layer_is_called_takes_the_name_keras_gives_it():
    answer = read(
        "x = Input(shape=(4, 8))\ny = MultiHeadAttention(2, 4)(x, x)\nz = Dropout(0.1)(y)\nw = Dropout(0.1)(z)\n"
        "model = Model(x, w)"
    )
    assert [layer["name"] for layer in answer.model["layers"]] == ["multi_head_attention", "dropout_1", "dropout_2"]


def test_a_layer_s_several_outputs_are_unpacked_into_sources_of_each_tensor():
    answer = read(
        "x = Input(shape=(None, 7))\nencoder = LSTM(5, return_state=True)\n"
        "outputs, state_h, state_c = encoder(x)\nstates = [state_h, state_c]\n"
        "d = Dense(2)(state_c)\nmodel = Model(x, [outputs] + states + [d])"
    )
    assert answer.model["outputs"] == [
        "lstm",
        {"layer": "lstm", "node": 0, "tensor": 1},
        {"layer": "lstm", "node": 0, "tensor": 2},
        "dense",
    ]
    assert answer.model["layers"][1]["inbound"] == [{"layer": "lstm", "node": 0, "tensor": 2}]


def test_functions_loops_and_conditions_are_read_as_python_runs_them():
    answer = read(
        """
def conv_block(x, filters, name, pool=True):
    for i, kernel in enumerate((3, 3)):
        x = layers.Conv2D(filters, kernel, padding="same", name=f"{name}_conv{i}")(x)
    if pool and filters < 64:
        x = layers.MaxPooling2D()(x)
    return x


img_size = (16, 16)
inputs = keras.Input(shape=img_size + (3,))
x = inputs
sizes = [8, 16, 32, 64, 128]
for filters in sizes[1::2]:
    x = conv_block(x, filters, name="block" + str(filters))
    if filters >= 64:
        break
else:
    x = layers.Flatten()(x)
units = 10
units += inputs.shape[-1] * 2
model = keras.Model(inputs, layers.Dense(units)(x))
"""
    )
    layers_read = [(layer["name"], layer.get("filters", layer.get("units"))) for layer in answer.model["layers"]]
    assert layers_read == [
        ("block16_conv0", 16),
        ("block16_conv1", 16),
        ("max_pooling2d", None),
        ("block64_conv0", 64),
        ("block64_conv1", 64),
        ("dense", 16),
    ]
    assert answer.model["inputs"] == [{"name": "input_layer", "shape": [16, 16, 3]}]


def test_a_function_s_names_stay_in_it_and_it_sees_the_names_around_it():
    answer = read(
        "units = 3\ndef head(x):\n    hidden = Dense(units)(x)\n    def inner(y):\n        return Dense(units + 1)(y)\n"
        "    return inner(hidden)\nx = Input(shape=(2,))\nmodel = Model(x, head(x))"
    )
    assert [layer["units"] for layer in answer.model["layers"]] == [3, 4]
    error = refusal("def f():\n    hidden = 1\n    return hidden\nz = f()\nprint(hidden)")
    assert error.errors[0].type == "code_unknown_name" and "`hidden` is not defined" in error.detail


@pytest.mark.parametrize(
    "operator, class_name", [("+", "Add"), ("-", "Subtract"), ("*", "Multiply")], ids=["add", "subtract", "multiply"]
)
def test_an_operator_on_two_tensors_reads_as_the_operation_keras_records(operator, class_name):
    """Keras 3 records `y + x` as a keras.ops operation node (not a layers.Add), written as its to_json writes it."""
    answer = read(f"x = Input(shape=(3,))\ny = Dense(3)(x)\nmodel = Model(x, y {operator} x)")
    name = to_snake_case(class_name)
    assert answer.model["layers"][-1] == {
        "class_name": class_name,
        "module": "keras.src.ops.numpy",
        "name": name,
        "config": {"name": name},
        "inbound_nodes": [
            {
                "args": [
                    {"class_name": "__keras_tensor__", "config": {"keras_history": [source, 0, 0]}}
                    for source in ("dense", "input_layer")
                ],
                "kwargs": {},
            }
        ],
    }


@pytest.mark.parametrize(
    "expression, value",
    [
        ("(4, 8) + (3,)", [4, 8, 3]),
        ("[2] * 3", [2, 2, 2]),
        ("[1, 2, 3, 4][::-1][1:]", [3, 2, 1]),
        ("(5, 6, 7)[-1]", 7),
        ("list(range(1, 7, 2))", [1, 3, 5]),
        ("max(len((1, 2)), abs(-3))", 3),
        ("x.shape[1:]", [4, 8]),
        ("Dense(6)(x).shape", [None, 4, 6]),
        ("3 if x.shape[-1] == 8 and not None else 4", 3),
    ],
)
def test_tuple_list_and_shape_arithmetic_read_as_python_computes_it(expression, value):
    answer = read(f"x = Input(shape=(4, 8))\nmodel = Sequential([Reshape({expression})])")
    assert answer.model["layers"][0]["target_shape"] == value


@pytest.mark.parametrize(
    "body",
    ["-" * 36 + "f(n)", "(" * 18 + "f(n)" + "+1)" * 18, "f(f(f(f(f(f(f(n)))))))"],
    ids=["unary", "binary", "calls"],
)
def test_deep_expressions_through_functions_are_refused_by_a_bound_not_by_python_s_stack(body):
    error = refusal(f"def f(n):\n    return {body}\nx = f(1)\n")
    assert error.errors[0].type == "code_limit" and error.line == 2
    assert "max_evaluation_depth=120" in error.detail or "max_call_depth=20" in error.detail


# Python 2


def test_python_2_prints_are_read_as_calls_on_the_same_lines():
    answer = read(
        "model = Sequential([Dense(4)])\nx = [[1, 2]]\nprint x  # the data\nprint 'shape:', x, ; y = 1\n"
        "print model.predict(x).shape\nprint\nprint(x)\n"
    )
    assert answer.inputs == [[1, 2]]
    assert answer.calls == ("predict",)
    error = refusal("model = Sequential([Dense(4)])\nprint 'a'\nprint b")
    assert (error.line, error.column, error.errors[0].type) == (3, 7, "code_unknown_name")


def test_a_python_2_print_inside_a_string_is_left_alone():
    answer = read('text = """\nprint x\n"""\nmodel = Sequential([Dense(4)])')
    assert answer.model == {"layers": [DENSE]}


def test_invalid_escape_sequences_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read("pattern = '\\d+'\nmodel = Sequential([Dense(4)])").model == {"layers": [DENSE]}


# Refusals

REFUSALS = [
    # (source, error_type, line, column, phrase)
    ("import os", "code_forbidden", 1, 8, "importing `os` is refused"),
    ("import numpy as np\nimport pickle", "code_forbidden", 2, 8, "importing `pickle` is refused"),
    ("from subprocess import run", "code_forbidden", 1, 1, "importing `subprocess` is refused"),
    ("from . import models", "code_forbidden", 1, 1, "a relative import is refused"),
    ("import keras.__main__", "code_forbidden", 1, 8, "`__main__` is refused"),
    ("eval('1')", "code_forbidden", 1, 1, "`eval` is refused"),
    ("exec('x = 1')", "code_forbidden", 1, 1, "`exec` is refused"),
    ("x = open('/tmp/f', 'w')", "code_forbidden", 1, 5, "`open` is refused"),
    ("__import__('os')", "code_forbidden", 1, 1, "`__import__` is refused"),
    ("y = getattr(keras, 'layers')", "code_forbidden", 1, 5, "`getattr` is refused"),
    ("compile('1', 'f', 'exec')", "code_forbidden", 1, 1, "`compile` is refused"),
    ("x = Dense.__class__", "code_forbidden", 1, 5, "`__class__` is refused"),
    ("print(__builtins__)", "code_forbidden", 1, 7, "`__builtins__` is refused"),
    ("f = lambda x: x", "code_unsupported", 1, 5, "a lambda is not supported"),
    ("x = Input(shape=(3,))\nfor t in x:\n    pass", "code_unsupported", 2, 10, "a `for` loop is read over range"),
    ("for i in range(10_001):\n    pass", "code_limit", 1, 1, "max_loop_iterations=10,000"),
    ("def f(n):\n    return f(n)\nf(1)", "code_limit", 2, 12, "max_call_depth=20"),
    ("def f(n):\n    return n\nx = f()", "code_unsupported", 3, 5, "called without its argument `n`"),
    ("def f(n):\n    return n\nx = f(m=1)", "code_unsupported", 3, 7, "has no parameter `m`"),
    ("return 3", "code_unsupported", 1, 1, "`return` outside a function"),
    ("break", "code_unsupported", 1, 1, "`break` outside a loop"),
    ("class Block(layers.Layer):\n    pass", "code_unsupported", 1, 1, "send the model's model.to_json() instead"),
    ("model = Sequential([Lambda(lambda x: x / 255)])", "code_unsupported", 1, 21, "layers.Rescaling"),
    (
        "x = Input(shape=(4, 8))\ny = MultiHeadAttention(2, 4)([x, x])",
        "code_unsupported",
        2,
        30,
        "takes its query as one tensor, not a list: write `mha(query, value)`",
    ),
    ("x = Input(shape=(4, 8))\ny = MultiHeadAttention(2, 4)(value=x)", "code_unsupported", 2, 5, "its query and value"),
    (
        "x = Input(shape=(4, 8))\ny = LSTM(3)(x, constants=x)",
        "code_unsupported",
        2,
        26,
        "send the model's model.to_json()",
    ),
    (
        "x = Input(shape=(4, 8))\ny = LSTM(3)(x, initial_state=3)",
        "code_unsupported",
        2,
        30,
        "`initial_state=` takes a list",
    ),
    (
        "x = Input(shape=(4, 8))\ny = LSTM(3)(x, mask=[x])",
        "code_unsupported",
        2,
        21,
        "`mask=` takes a tensor, not a list",
    ),
    (
        "x = Input(shape=(4,))\ninner = Sequential([Dense(2)])\ny = inner(x, mask=x)",
        "code_unsupported",
        3,
        19,
        "calling a model as a layer with `mask=`",
    ),
    (
        "x = Input(shape=(4,))\nd = Dense(4)\ninner = Model(x, d(x))\n"
        "y = Input(shape=(4,))\nmodel = Model(y, d(inner(y)))",
        "code_unsupported",
        2,
        5,
        "the layer `dense` is called in two models",
    ),
    (
        "x = Input(shape=(4, 8))\nh = Input(shape=(3,))\nl = LSTM(3)\na = l(x, initial_state=[h, h])\nb = l(x)\n"
        "model = Model([x, h], [a, b])",
        "code_unsupported",
        3,
        5,
        "called more than once, with `initial_state=` or `mask=`",
    ),
    (
        "inner = Sequential([Dense(2)])\nouter = Sequential([inner])\ninner.add(outer)",
        "code_unsupported",
        3,
        11,
        "a model cannot be a layer of itself",
    ),
    (
        "x = Input(shape=(4,))\nencoder = Model(x, Dense(2)(x))\ndecoder = Model(x, Dense(3)(x))",
        "code_unsupported",
        3,
        11,
        "a second model is not supported (the first is on line 2)",
    ),
    ("x = Input(shape=(4, 8))\ny = +x", "code_unsupported", 2, 5, "Keras raises a TypeError for unary +"),
    ("x = Input(shape=(4, 8))\ny = x * [1, 2]", "code_unsupported", 2, 5, "tensors and numbers, not a list"),
    ("x = Input(shape=(4, 8))\ny = x[:, 0]", "code_unsupported", 2, 5, "unpack them"),
    ("x = Input(shape=(4, 8, 1))\ny = Conv2D(3, 3)(x)\nz = y.shape[-1]", "code_unsupported", 3, 5, "write the number"),
    (
        # a dict of inputs is read (the Functional API guide's), each name to a keras.Input tensor
        "x = Input(shape=(4,))\nmodel = Model({'a': Dense(2)(x)}, Dense(2)(x))",
        "code_unsupported",
        2,
        21,
        "maps each name to one keras.Input(...) tensor, not a layer's output",
    ),
    ("while True:\n    pass", "code_unsupported", 1, 1, "a `while` loop is not supported"),
    ("sizes = [n * 2 for n in (1, 2)]", "code_unsupported", 1, 9, "a comprehension is not supported"),
    ("def build(*layers):\n    pass", "code_unsupported", 1, 12, "`*args` and `**kwargs` parameters are not read"),
    ("@tf.function\ndef f():\n    pass", "code_unsupported", 1, 2, "a decorator is not supported"),
    ("class M(keras.Model):\n    pass", "code_unsupported", 1, 1, "a class definition is not supported"),
    ("with tf.device('/cpu:0'):\n    model = Sequential()", "code_unsupported", 1, 1, "a `with` block"),
    ("try:\n    import keras\nexcept ImportError:\n    pass", "code_unsupported", 1, 1, "a `try` block"),
    ("x = Input(shape=(3,))\nif x:\n    pass", "code_unsupported", 2, 4, "known only when the model runs"),
    ("global model", "code_unsupported", 1, 1, "a `global` statement"),
    ("x = 1\ndel x", "code_unsupported", 2, 1, "`del` is not supported"),
    ("x = (n := 3)", "code_unsupported", 1, 6, "the walrus operator"),
    ("model = Sequential()\nmodel.layers += [Dense(4)]", "code_unsupported", 2, 1, "assigning to `model.layers`"),
    ("model = Sequential([Dense(*[4])])", "code_unsupported", 1, 27, "star-arguments (`*args`)"),
    ("model = Sequential([Dense(**{'units': 4})])", "code_unsupported", 1, 27, "star-arguments (`**kwargs`)"),
    ("model = Sequential()\nprint(f'{model.summary()}')", "code_unsupported", 2, 10, "an f-string that calls"),
    ("name = f'{3.14159:.2f}'", "code_unsupported", 1, 8, "format spec"),
    ("model = Sequential()\nmodel.fit(x, y)", "code_unsupported", 2, 1, "`model.fit` is not supported"),
    ("x = [1, 2][2]", "code_unsupported", 1, 5, "index 2 is out of range for 2 item(s)"),
    ("x = {'a': 1}\ny = x['b']", "code_unsupported", 2, 5, "the dict has no key 'b'; its keys are 'a'"),
    ("x = {'a': 1}\ny = x.items()", "code_unsupported", 2, 5, "attribute access `.items` on a dict"),
    ("x = {'a': 1}\ny = x[[1]]", "code_unsupported", 2, 7, "a dict is looked up by a string (or a number), not a list"),
    ("x = {(1, 2): 1}", "code_unsupported", 1, 6, "a dict's keys are read as strings (or numbers), not a tuple"),
    ("inputs = {}\ninputs['a'] = Input(shape=(2,))", "code_unsupported", 2, 1, "a dict is read as written whole"),
    ("x = Input(shape=(3,))\ny = 1 if x else 2", "code_unsupported", 2, 10, "known only when the model runs"),
    ("model = Sequential()\nmodel.trainable = False", "code_unsupported", 2, 1, "assigning to `model.trainable`"),
    (
        "model = Sequential([Dense(4)])\ny = model.predict([[1]])\ns = y.shape",
        "code_unsupported",
        3,
        5,
        "`.shape` is only read inside print",
    ),
    ("model = Sequential([Dense(4)])\nmodel2 = Sequential()", "code_unsupported", 2, 10, "a second model"),
    ("model = Sequential([Dense(16, units=3)])", "code_unsupported", 1, 31, "got two values for `units`"),
    ("model = Sequential([Flatten('channels_last', 2)])", "code_unsupported", 1, 46, "takes at most 1 positional"),
    ("x = 1", "code_unsupported", 1, 1, "no model found"),
    ("x = np.load('weights.npy')", "code_unknown_name", 1, 5, "calling `np.load` is not supported"),
    ("x = os.system('ls')", "code_unknown_name", 1, 5, "`os` is not defined"),
    ("model = Sequential()\nmodel.add(Dence(4))", "code_unknown_name", 2, 11, "did you mean `Dense`?"),
    ("model = Sequential()\nmodel.add(layers.Dence(4))", "code_unknown_name", 2, 11, "did you mean `Dense`?"),
    ("model = Sequential([Dense(4, kernel_initializer=my_init)])", "code_unknown_name", 1, 49, "`my_init`"),
    (
        "x = Input(shape=(3,))\nmodel = Model(x, Dense(2)(np.zeros((1, 3))))",
        "code_unsupported",
        2,
        27,
        "read only on keras.Input(...) tensors",
    ),
    ("model = Sequential(\n", "code_syntax", 1, 19, "not valid Python: '(' was never closed"),
    ("model = Sequential()\nx = 'abc", "code_syntax", 2, 5, "unterminated string literal"),
    ("x = 1\n  y = 2", "code_syntax", 2, 2, "unexpected indent"),
    ("x = 'a\0'", "code_syntax", 1, 7, "a null character"),
    ("x = 'caf\udce9'", "code_syntax", 1, 9, "a lone surrogate"),
    ("x = " + "(" * 41 + "1" + ")" * 41, "code_limit", 1, 45, "the code nests 41 levels deep here"),
    ("x = " + "[" * 41 + "]" * 41, "code_limit", 1, 45, "max_nesting=40"),
    ("x = " + "+".join(["1"] * 41), "code_limit", 1, 5, "an expression nests 41 levels deep"),
    ("x = np.zeros((1000, 1000))", "code_limit", 1, 5, "holds more than 100,000 elements"),
    ("a = [1] * 2 + (3,)", "code_unsupported", 1, 5, "lists and tuples are read with + (two of the same kind)"),
    ("a = [1] * 100_001", "code_limit", 1, 5, "max_literal_elements=100,000"),
    ("a = 'x' * 3", "code_unsupported", 1, 5, "arithmetic is only read on numbers"),
    ("x = 1\nwhile x:\n    pass", "code_unsupported", 2, 1, "write a `for` loop over range(n)"),
    ("for i in range(60_000):\n    break", "code_limit", 1, 1, "max_loop_iterations"),
    ("é = 'ü'; x = ü", "code_unknown_name", 1, 14, "`ü` is not defined"),
    # what the reader still refuses says what to send instead
    (
        "def distance(vects):\n    return vects\nx = Input((3,))\ny = layers.Lambda(distance)([x, x])",
        "code_unsupported",
        4,
        5,
        "layers.Dot(axes=1, normalize=True)([a, b])",
    ),
    ("model = Sequential([Dense(4)])\nmodel.fit(x, y)", "code_unsupported", 2, 1, "leave out the lines that train"),
    ("model = Sequential([Dense(4)])\nmodel.save('m.keras')", "code_unsupported", 2, 1, "field `model`"),
    ("model = keras.models.load_model('m.keras')", "code_unknown_name", 1, 9, "upload the saved file"),
    ("import my_layers", "code_forbidden", 1, 8, "paste here what the model needs from it"),
    ("x = open('data.csv')", "code_forbidden", 1, 5, "send a file's data as the request's `inputs`"),
    ("x = np.loadtxt('a.csv')", "code_unknown_name", 1, 5, "send the data as the request's `inputs`"),
    ("x = Input((3,))\ny = keras.ops.softmax(x)", "code_unknown_name", 2, 5, "the built-in layer that computes it"),
    ("x = Input((3,))\ny = tf.concat([x, x], axis=-1)", "code_unknown_name", 2, 5, "layers.Concatenate for concat"),
]


@pytest.mark.parametrize(
    "source, error_type, line, column, phrase", REFUSALS, ids=[f"{i}:{row[0][:30]}" for i, row in enumerate(REFUSALS)]
)
def test_refusals(source, error_type, line, column, phrase):
    error = refusal(source, known_layers=ALLOWED_LAYER_TYPES)
    assert (error.errors[0].type, error.line, error.column) == (error_type, line, column), error.detail
    assert phrase in error.detail
    assert error.detail.startswith(f"line {line}, column {column}: ")


def test_a_refusal_is_a_service_error_located_at_the_code():
    error = refusal("while y:\n    pass")
    assert (error.status, error.title) == (422, "Code not understood")
    assert error.errors[0].loc == ["code"]
    assert error.extra == {"line": 1, "column": 1}


def test_unknown_names_suggest_from_known_layers_only_when_given():
    assert "did you mean" not in refusal("model = Sequential([Dence(4)])").detail
    assert "did you mean `Conv2D`" in refusal("model = Sequential([Conv2d(4, 3)])", known_layers=["Conv2D"]).detail


@pytest.mark.parametrize(
    "setting, value, source, phrase",
    [
        ("max_source_bytes", 20, "model = Sequential([Dense(4)])", "the code is at least 30 bytes"),
        ("max_nesting", 2, "model = Sequential([Dense((1,))])", "the code nests 3 levels deep here"),
        ("max_nodes", 10, "model = Sequential([Dense(4)])", "more than 10 syntax nodes"),
        (
            "max_literal_elements",
            5,
            "model = Sequential([Dense(4)])\nmodel.predict([[1, 2, 3]])",
            "more than 5 elements",
        ),
        ("max_steps", 5, "x = 1\nfor i in range(4):\n    x = i\n", "more than 5 steps"),
        ("max_loop_iterations", 3, "for i in range(2):\n    for j in range(2):\n        pass", "more than 3 times"),
        ("max_evaluation_depth", 5, "x = -(-(-(-(-(-1)))))", "nest more than 5 deep"),
        ("max_call_depth", 2, "def f(n):\n    return g(n)\ndef g(n):\n    return f(n)\nf(1)", "more than 2 deep"),
    ],
)
def test_each_bound_is_named_in_its_refusal(setting, value, source, phrase):
    error = refusal(source, limits=CodeLimits(**{setting: value}))
    assert error.errors[0].type == "code_limit"
    assert phrase in error.detail and f"{setting}={value}" in error.detail


# Hostile input at the size limit: every one refused, none hanging (the guard fails a hang after 5 s)

LIMIT = CodeLimits().max_source_bytes
PATHOLOGICAL = {
    "open parentheses": "(" * 60000,
    "balanced brackets": "[" * 30000 + "]" * 30000,
    "a long product": "1" + "*9" * 20000,
    "a long unary run": "-" * 60000 + "1",
    "a long attribute chain": "a" + ".b" * 30000,
    "a long call chain": "f" + "()" * 30000,
    "an unclosed list": "x=" + "[1," * 20000,
    "a flat list": "x=[" + "1," * 30000 + "]",
    "many statements": "a;" * 32000,
    "many names": "a " * 32000,
    "a long line of digits": "x = " + "1" * 65000,
    "many python 2 prints": "print x\n" * 8000,
    "deep indentation": "".join(" " * i + "if 1:\n" for i in range(200)),
    "shared lists": "a=[1,2,3,4,5,6,7,8,9,10]\n" + "a=[a,a,a,a,a,a,a,a,a,a]\n" * 40 + "m=Sequential()\nm.predict(a)",
    "many models": "m = Sequential()\n" * 3000,
    "an unterminated triple quote run": "'''" + "\\'''" * 16000,
    "many string openers": "'\\\n" * 20000,
}


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_at_the_size_limit_is_refused(source):
    assert len(source.encode()) <= LIMIT
    with hang_guard():
        refusal(source)


def test_code_one_byte_over_the_limit_is_refused_before_anything():
    error = refusal("#" * LIMIT + "é")
    assert error.errors[0].type == "code_limit" and "65,537 bytes" in error.detail


# Nothing is run


@pytest.mark.parametrize(
    "template",
    [
        "open({path!r}, 'w')",
        "__import__('os').system('touch {path}')",
        "import os\nos.system('touch {path}')",
        "exec(\"open({path!r}, 'w')\")",
        "eval(\"open({path!r}, 'w')\")",
        "print(open({path!r}, 'w'))",
        "model = Sequential([Dense(4)])\nmodel.save({path!r})",
        "x = np.save({path!r}, [1])",
        "model = Sequential([Dense(4)])\nprint(model.summary(print_fn=open({path!r}, 'w').write))",
    ],
)
def test_code_that_would_write_a_file_is_refused_and_writes_nothing(template, tmp_path):
    target = tmp_path / "pwned_xyz"
    with pytest.raises(CodeRejected):
        read(template.format(path=str(target)))
    assert not target.exists()


def test_the_reader_imports_nothing_but_the_standard_library_service_errors_and_naming():
    imported = set()
    for path in READER_FILES:
        tree = ast.parse(path.read_text())
        imported |= {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        imported |= {
            node.module.split(".")[0]
            if node.level == 0 and not node.module.startswith("keras_shape")
            else "." * node.level + (node.module or "")
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
    ours = {"keras_shape_service.errors", "keras_shape_service.specs.naming"}
    assert imported - {name for name in imported if name.startswith(".")} <= set(sys.stdlib_module_names) | ours
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, keras_shape_service.specs.code.reader as c; "
            "print(sorted({'keras', 'tensorflow', 'numpy'} & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        check=True,
    )
    assert loaded.stdout.strip() == "[]"


def test_models_nested_and_shared_read_into_the_concise_form():
    source = (
        "tower = Sequential([Input(shape=(3,)), Dense(4)])\n"
        "a = Input(shape=(3,))\nb = Input(shape=(3,))\n"
        "model = Model([a, b], Subtract()([tower(a), tower(b)]))"
    )
    assert read(source).model == {
        "name": "functional_1",  # Keras built the Sequential into `functional` first
        "inputs": [{"name": "input_layer_1", "shape": [3]}, {"name": "input_layer_2", "shape": [3]}],
        "layers": [
            {
                "type": "Sequential",
                "name": "sequential",
                "input_shape": [3],
                "layers": [{"type": "Dense", "name": "dense", "units": 4}],
                "calls": [["input_layer_1"], ["input_layer_2"]],
            },
            {"type": "Subtract", "name": "subtract", "inbound": ["sequential", "sequential#1"]},
        ],
        "outputs": ["subtract"],
    }
