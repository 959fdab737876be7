"""Code in place of a spec: POST /v1/predict and /v1/summary read pasted Keras code (never running it) and answer
as for the spec it reads as, which the answer carries as `model`."""

import numpy as np
import pytest

from keras_shape_service.adapter.summary import keras_summary_text
from keras_shape_service.schemas import PredictResponse, Problem, SummaryResponse
from keras_shape_service.schemas.examples import SEED_CODE, SEED_INPUTS, SEED_MODEL
from tests.as_keras import assert_answers_as_keras, example_inputs, keras_built, weights

SEED_CODE_NO_FLATTEN = SEED_CODE.replace("model.add(Flatten())\n", "")
FUNCTIONAL_CODE = """import keras
from keras import layers
features = keras.Input(shape=(8,), name="features")
trunk = layers.Dense(16, activation="relu", name="trunk")(features)
left = layers.Dense(4, name="left")(trunk)
right = layers.Dense(3, name="right")(trunk)
both = layers.concatenate([left, right])
model = keras.Model(features, both)
"""


def _post(client, path, body, status=200):
    response = client.post(path, json=body)
    assert response.status_code == status, response.get_json()
    return response


def test_the_seed_code_as_pasted_predicts_one_vector_per_example(client):
    answer = PredictResponse.model_validate_json(_post(client, "/v1/predict", {"code": SEED_CODE}).data)
    assert answer.output_shape == [1, 4]
    assert answer.params.total == 244
    assert [row.output_shape for row in answer.layers] == [[None, 3, 16], [None, 3, 16], [None, 48], [None, 4]]
    assert answer.model == SEED_MODEL


def test_without_the_flatten_line_dense_keeps_the_three_rows(client):
    answer = PredictResponse.model_validate_json(_post(client, "/v1/predict", {"code": SEED_CODE_NO_FLATTEN}).data)
    assert answer.output_shape == [1, 3, 4]
    assert answer.params.total == 116
    summary = SummaryResponse.model_validate_json(_post(client, "/v1/summary", {"code": SEED_CODE_NO_FLATTEN}).data)
    assert summary.params.total == 116 and summary.model["layers"][-1] == {"type": "Dense", "units": 4}


def test_functional_code_answers_as_keras_builds_it_and_its_spec_answers_the_same(client):
    built = keras_built(FUNCTIONAL_CODE)
    assert_answers_as_keras(client, {"code": FUNCTIONAL_CODE}, built, example_inputs(built, seed=7, steps=4))
    from_code = _post(client, "/v1/summary", {"code": FUNCTIONAL_CODE}).get_json()
    from_spec = _post(client, "/v1/summary", {"model": from_code.pop("model")}).get_json()
    assert from_code == from_spec


def test_inputs_given_win_over_the_array_the_code_predicts_on(client):
    two = [SEED_INPUTS[0], SEED_INPUTS[0]]
    answer = _post(client, "/v1/predict", {"code": SEED_CODE, "inputs": two}).get_json()
    assert answer["output_shape"] == [2, 4]


def test_code_without_a_predict_array_and_no_inputs_is_refused_on_inputs(client):
    code = "model = Sequential()\nmodel.add(Dense(4, input_shape=(3,)))\n"
    problem = Problem.model_validate_json(_post(client, "/v1/predict", {"code": code}, 422).data)
    assert problem.errors[0].loc == ["inputs"] and "predict" in problem.detail
    assert _post(client, "/v1/summary", {"code": code}).get_json()["params"]["total"] == 16


@pytest.mark.parametrize(
    "code, line, column, words",
    [
        ("model = Sequential()\nmodel.add(Dense(16,, input_shape=(3, 2)))\n", 2, 20, "not valid Python"),
        ("import os\nos.system('ls')\n", 1, 8, "importing `os` is refused"),
        ("model = Sequential()\nwhile True:\n    model.add(Dense(4))\n", 2, 1, "write a `for` loop"),
        ("model = Sequential()\nmodel.add(Dense(4, input_shape=(3,)))\nopen('/etc/passwd')\n", 3, 1, "open"),
    ],
)
def test_code_refusals_are_problems_naming_line_and_column(client, code, line, column, words):
    response = _post(client, "/v1/summary", {"code": code}, 422)
    assert response.mimetype == "application/problem+json"
    problem = Problem.model_validate_json(response.data)
    assert (problem.line, problem.column) == (line, column)
    assert problem.errors[0].loc == ["code"]
    assert words in problem.detail and problem.detail.startswith(f"line {line}, column {column}")


def test_a_spec_read_from_code_meets_the_checks_a_json_spec_meets(client):
    code = "model = Sequential()\nmodel.add(Dense(-4, input_shape=(3,)))\n"
    problem = _post(client, "/v1/summary", {"code": code}, 422).get_json()
    assert problem["errors"][0]["loc"] == ["model", "layers", 0, "units"]
    assert problem["detail"].startswith("the code reads as a model the service refuses")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"code": SEED_CODE, "model": SEED_MODEL},
        {"model": SEED_MODEL},
        {"code": ""},
        {"code": None},
        {"model": None, "code": SEED_CODE},
    ],
)
def test_exactly_one_of_model_and_code_and_inputs_with_a_model(client, body):
    problem = _post(client, "/v1/predict", body, 422).get_json()
    assert problem["title"] == "Invalid request"


def test_the_document_offers_the_seed_code_as_an_example_and_forbids_both_forms(client):
    document = client.get("/openapi.json").get_json()
    for path in ("/v1/predict", "/v1/summary", "/v1/diagram"):
        examples = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]
        assert examples["code"]["value"] == {"code": SEED_CODE}
    schemas = document["components"]["schemas"]
    assert schemas["SummaryRequest"]["oneOf"] == [{"required": ["model"]}, {"required": ["code"]}]
    assert schemas["PredictRequest"]["oneOf"] == [{"required": ["model", "inputs"]}, {"required": ["code"]}]
    assert schemas["SummaryRequest"]["not"] == schemas["PredictRequest"]["not"] == {"required": ["model", "code"]}
    assert {"line", "column"} <= set(schemas["Problem"]["properties"])


# Keras's example pages as written: functions, loops, unpacking, operators on tensors, MultiHeadAttention called as
# Keras calls it. Each is read (never run) by the service, and run by `exec` here only, to compare with real Keras.
UNET_CODE = """import keras
from keras import layers

img_size = (32, 32)


def get_model(img_size, num_classes):
    inputs = keras.Input(shape=img_size + (3,))
    x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x  # Set aside residual
    for filters in [8, 16]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x
    for filters in [16, 8][::-1]:
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = x + residual
        previous_block_activation = x
    outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)
    model = keras.Model(inputs, outputs)
    return model


model = get_model(img_size, num_classes=3)
model.summary()
"""
SEQ2SEQ_ENCODER_CODE = """import keras

num_encoder_tokens, latent_dim = 7, 5
encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
encoder = keras.layers.LSTM(latent_dim, return_state=True)
encoder_outputs, state_h, state_c = encoder(encoder_inputs)
encoder_states = [state_h, state_c]
model = keras.Model(encoder_inputs, [encoder_outputs] + encoder_states)
"""
TRANSFORMER_CODE = """import keras
from keras import layers


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


inputs = keras.Input(shape=(10, 6))
x = inputs
for _ in range(2):
    x = transformer_encoder(x, head_size=8, num_heads=2, ff_dim=4, dropout=0.1)
attention = layers.MultiHeadAttention(num_heads=2, key_dim=4)
y = attention(query=x, value=inputs, training=False)
z = attention(x, x, inputs)
x = layers.GlobalAveragePooling1D(data_format="channels_last")(layers.concatenate([y, z]))
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs, outputs)
"""

SEQUENTIAL_LOOP_CODE = """import keras
from keras import layers

model = keras.Sequential()
model.add(keras.Input(shape=(3,)))
for units in (8, 4):
    model.add(layers.Dense(units, activation="relu"))
    if units > 4:
        model.add(layers.Dropout(0.5))
model.add(layers.Dense(2))
"""


@pytest.mark.parametrize(
    "code",
    [UNET_CODE, SEQ2SEQ_ENCODER_CODE, TRANSFORMER_CODE, SEQUENTIAL_LOOP_CODE],
    ids=["unet", "seq2seq_encoder", "transformer", "sequential_loop"],
)
def test_example_page_code_answers_as_keras_builds_it(client, code):
    """Keras records `x + y` as an operation, not a layer: its operations are what its summary lists, row by row."""
    built = keras_built(code)
    assert_answers_as_keras(client, {"code": code}, built, example_inputs(built, seed=7, steps=4))


def test_attention_called_on_a_list_as_keras_refuses_it_is_refused_saying_how_keras_calls_it(client):
    code = "x = keras.Input(shape=(4, 8))\ny = layers.MultiHeadAttention(2, 4)([x, x])\nmodel = keras.Model(x, y)\n"
    problem = _post(client, "/v1/summary", {"code": code}, 422).get_json()
    assert (problem["line"], problem["column"]) == (2, 37)
    assert "write `mha(query, value)`" in problem["detail"]
    fixed = code.replace("([x, x])", "(x, x)")
    import keras

    assert (
        _post(client, "/v1/summary", {"code": fixed}).get_json()["params"]["total"]
        == keras_built("import keras\nfrom keras import layers\n" + fixed).count_params()
    )
    with pytest.raises(TypeError, match="'value'"):  # what the reader accepted before: Keras itself refuses it
        layer = keras.layers.MultiHeadAttention(2, 4)
        inputs = keras.Input(shape=(4, 8))
        layer([inputs, inputs])


# Models called on tensors (nested, and shared: a Siamese network's tower) and keyword tensors (a seq2seq decoder's
# initial_state), written as keras.io writes them; a Lambda distance becomes the built-in layers.Dot.
SIAMESE_CODE = """import keras
from keras import layers

input = layers.Input((8, 8, 1))
x = layers.BatchNormalization()(input)
x = layers.Conv2D(4, (3, 3), activation="tanh")(x)
x = layers.AveragePooling2D(pool_size=(2, 2))(x)
x = layers.Flatten()(x)
x = layers.BatchNormalization()(x)
x = layers.Dense(10, activation="tanh")(x)
embedding_network = keras.Model(input, x)

input_1 = layers.Input((8, 8, 1))
input_2 = layers.Input((8, 8, 1))
tower_1 = embedding_network(input_1)
tower_2 = embedding_network(input_2)
merge_layer = layers.Dot(axes=1, normalize=True)([tower_1, tower_2])
normal_layer = layers.BatchNormalization()(merge_layer)
output_layer = layers.Dense(1, activation="sigmoid")(normal_layer)
model = keras.Model(inputs=[input_1, input_2], outputs=output_layer)
model.compile(loss="binary_crossentropy", optimizer="RMSprop", metrics=["accuracy"])
model.summary()
"""
SEQ2SEQ_CODE = """import keras

num_encoder_tokens, num_decoder_tokens, latent_dim = 7, 6, 5
# Define an input sequence and process it.
encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
encoder = keras.layers.LSTM(latent_dim, return_state=True)
encoder_outputs, state_h, state_c = encoder(encoder_inputs)
# We discard `encoder_outputs` and only keep the states.
encoder_states = [state_h, state_c]

# Set up the decoder, using `encoder_states` as initial state.
decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
decoder_outputs = decoder_dense(decoder_outputs)

model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
"""
SEQUENTIAL_TOWER_CODE = """import keras
from keras import layers

embedding = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"), layers.Dense(4)])
left = keras.Input(shape=(6,))
right = keras.Input(shape=(6,))
distance = layers.Subtract()([embedding(left), embedding(right, training=False)])
model = keras.Model([left, right], layers.Dense(1)(distance))
"""
NESTED_SEQUENTIAL_CODE = """import keras
from keras import layers

block = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(8)], name="block")
model = keras.Sequential([keras.Input(shape=(5,)), block, layers.Dense(2)])
"""
# Keras builds a Sequential into a Functional model of its own at each layer added once its input is known, and
# makes its input layer: each takes a default name, which the models after it skip
SEQUENTIAL_BUILT_BY_ADD_CODE = """import keras
from keras import layers

tower = keras.Sequential()
tower.add(layers.Dense(8, activation="relu", input_shape=(6,)))
tower.add(layers.Dense(4))
features = keras.Input(shape=(6,))
model = keras.Model(features, layers.Dense(2)(tower(features)))
"""
MASK_CODE = """import keras
from keras import layers

tokens = keras.Input(shape=(None,), dtype="int32")
embedded = layers.Embedding(20, 4)(tokens)
kept = keras.Input(shape=(None,), dtype="int32")
outputs = layers.GRU(3)(embedded, mask=kept)
model = keras.Model([tokens, kept], outputs)
"""
# No input shape on the outer model: Keras takes its first layer's, the nested model's (answered 422 before)
NESTED_FIRST_GIVES_THE_INPUT_CODE = """import keras
from keras import layers

inner = keras.Sequential([layers.Dense(4, input_shape=(3,))])
model = keras.Sequential([inner, layers.Dense(2)])
"""

NESTED_EXAMPLES = {
    "siamese": SIAMESE_CODE,
    "seq2seq": SEQ2SEQ_CODE,
    "sequential_tower": SEQUENTIAL_TOWER_CODE,
    "nested_sequential": NESTED_SEQUENTIAL_CODE,
    "sequential_built_by_add": SEQUENTIAL_BUILT_BY_ADD_CODE,
    "mask": MASK_CODE,
    "nested_first_gives_the_input": NESTED_FIRST_GIVES_THE_INPUT_CODE,
}


@pytest.mark.parametrize("code", list(NESTED_EXAMPLES.values()), ids=list(NESTED_EXAMPLES))
def test_nested_models_and_keyword_tensors_in_code_answer_as_keras(client, code):
    """One row per layer of the outer model, a shared tower once (its first call's shapes), its weights counted
    once; Keras's summary text, and its predictions with its weights."""
    built = keras_built(code)
    answer = assert_answers_as_keras(client, {"code": code}, built, example_inputs(built, seed=7, steps=4))
    # the concise spec the code reads as answers the same
    assert _post(client, "/v1/summary", {"model": answer["model"]}).get_json()["summary"] == answer["summary"]


def test_a_layer_called_on_tensors_the_model_does_not_use_is_no_row_of_it(client):
    code = (
        "x = keras.Input(shape=(4,))\ny = layers.Dense(2)(x)\nprobe = layers.Dense(3)(x)\nmodel = keras.Model(x, y)\n"
    )
    built = keras_built("import keras\nfrom keras import layers\n" + code)
    answer = _post(client, "/v1/summary", {"code": code}).get_json()
    assert [(row["name"], row["params"]) for row in answer["layers"]] == [
        (layer.name, layer.count_params()) for layer in built.layers
    ]


def test_plot_model_at_the_end_of_a_page_is_read_as_drawing_nothing(client):
    """keras.io's pages end on keras.utils.plot_model(model, show_shapes=True): it draws, builds nothing; the
    answer is the model's, as without the line. Drawing something other than a model is refused saying so."""
    code = "import keras\nx = keras.Input(shape=(4,))\nmodel = keras.Model(x, keras.layers.Dense(2)(x))\n"
    plain = _post(client, "/v1/summary", {"code": code}).get_json()
    drawn = code + 'keras.utils.plot_model(model, show_shapes=True, to_file="model.png")\n'
    assert _post(client, "/v1/summary", {"code": drawn}).get_json()["summary"] == plain["summary"]
    imported = "from keras.utils import plot_model\n" + code + "plot_model(model)\n"
    assert _post(client, "/v1/summary", {"code": imported}).get_json()["params"] == plain["params"]
    problem = _post(client, "/v1/summary", {"code": code + "keras.utils.plot_model(x)\n"}, 422).get_json()
    assert (problem["line"], problem["column"]) == (4, 1)
    assert "draws a model: its one positional argument is the model" in problem["detail"]
    opened = code + "keras.utils.plot_model(model, to_file=open('model.png', 'w'))\n"
    problem = _post(client, "/v1/summary", {"code": opened}, 422).get_json()
    assert (problem["line"], problem["column"]) == (4, 39) and "literal options only" in problem["detail"]


DICT_OUTPUTS_CODE = """import keras
from keras import layers

tags = keras.Input(shape=(6,), name="tags")
x = layers.Dense(8, activation="relu")(tags)
priority = layers.Dense(1, name="priority")(x)
model = keras.Model(inputs=tags, outputs={"priority": priority, "department": layers.Dense(3)(x)})
"""


def test_a_model_made_with_a_dict_of_outputs_answers_keyed_as_kerass_predict(client):
    """The Functional API guide's outputs={...}: the spec read says the dict, the predictions are keyed by it."""
    built = keras_built(DICT_OUTPUTS_CODE)
    tags = example_inputs(built, seed=9, steps=4)
    answer = assert_answers_as_keras(client, {"code": DICT_OUTPUTS_CODE}, built, tags)
    assert answer["model"]["outputs"] == {"priority": "priority", "department": "dense_1"}
    assert answer["output_shape"] == {"priority": [2, 1], "department": [2, 3]}
    again = {"model": answer["model"], "inputs": tags.tolist(), "weights": weights(built)}
    assert _post(client, "/v1/predict", again).get_json()["predictions"] == answer["predictions"]


@pytest.mark.parametrize(
    "outputs, column, words",
    [
        ("{1: y}", 33, "with names (strings) as keys"),
        ('{"a": [y, y]}', 38, "maps each name to one tensor, not a list"),
        ('{"a": y, "a": y}', 41, "the output name 'a' is given twice"),
    ],
)
def test_a_dict_of_outputs_is_read_with_names_and_one_tensor_each(client, outputs, column, words):
    code = f"x = keras.Input(shape=(4,))\ny = layers.Dense(2)(x)\nmodel = keras.Model(x, outputs={outputs})\n"
    problem = _post(client, "/v1/summary", {"code": code}, 422).get_json()
    assert (problem["line"], problem["column"]) == (3, column), problem["detail"]
    assert words in problem["detail"]


def test_a_model_with_a_dict_of_outputs_called_as_a_layer_is_refused_saying_what_to_send(client):
    code = (
        "x = keras.Input(shape=(4,))\ninner = keras.Model(x, outputs={'a': layers.Dense(2)(x)})\n"
        "z = keras.Input(shape=(4,))\nmodel = keras.Model(z, inner(z))\n"
    )
    problem = _post(client, "/v1/summary", {"code": code}, 422).get_json()
    assert (problem["line"], problem["column"]) == (4, 24)
    assert "make it with a list of outputs, or send the outer model's model.to_json()" in problem["detail"]


# The Functional API guide's multi-input model (tests/examples/multi_input_output.py) as its pages also write it:
# its inputs a dict, made title, body, tags, which Keras takes in the order of their sorted keys: body, tags, title.
DICT_INPUTS_CODE = """import keras
from keras import layers
import numpy as np

title_input = keras.Input(shape=(None,), name="title")
body_input = keras.Input(shape=(None,), name="body")
tags_input = keras.Input(shape=(12,), name="tags")
inputs = {"title": title_input, "body": body_input, "tags": tags_input}
title_features = layers.LSTM(16)(layers.Embedding(100, 8)(inputs["title"]))
body_features = layers.LSTM(4)(layers.Embedding(100, 8)(inputs["body"]))
x = layers.concatenate([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(4, name="department")(x)
model = keras.Model(
    inputs=inputs,
    outputs={"priority": priority_pred, "department": department_pred},
)
"""


def test_the_guides_model_made_with_a_dict_of_inputs_answers_as_keras(client):
    built = keras_built(DICT_INPUTS_CODE)
    assert [tensor.name for tensor in built.inputs] == ["body", "tags", "title"]
    given = example_inputs(built, seed=11, steps=5, integers_below=5)
    answer = assert_answers_as_keras(client, {"code": DICT_INPUTS_CODE}, built, given)
    assert answer["model"]["inputs"] == {
        "title": {"name": "title", "shape": [None]},
        "body": {"name": "body", "shape": [None]},
        "tags": {"name": "tags", "shape": [12]},
    }
    from_code = _post(client, "/v1/summary", {"code": DICT_INPUTS_CODE}).get_json()
    from_spec = _post(client, "/v1/summary", {"model": from_code.pop("model")}).get_json()
    assert from_code == from_spec


def test_a_dict_of_inputs_keyed_apart_from_their_names_predicts_on_the_codes_dict_as_keras(client):
    """Keys other than the inputs' names (Keras warns, and builds it): Keras's order is the keys' (b before z, the
    inputs made z first); the code's predict({...}) is by key, the answer's inputs by name, as to_json's."""
    code = (
        "import keras\nfrom keras import layers\nimport numpy as np\n"
        'z = keras.Input(shape=(3,), name="zeta")\na = keras.Input(shape=(2,), name="alpha")\n'
        'model = keras.Model(inputs={"z": z, "b": a}, outputs=layers.Dense(2)(layers.concatenate([z, a])))\n'
        'y = model.predict({"z": np.array([[1.0, 2.0, 3.0]]), "b": np.array([[-1.0, 0.5]])})\n'
    )
    with pytest.warns(UserWarning, match="must match the names"):
        built = keras_built(code)
    assert [tensor.name for tensor in built.inputs] == ["alpha", "zeta"]
    answer = _post(client, "/v1/predict", {"code": code, "weights": weights(built)}).get_json()
    assert answer["model"]["inputs"] == {"z": {"name": "zeta", "shape": [3]}, "b": {"name": "alpha", "shape": [2]}}
    assert answer["summary"] == keras_summary_text(built)
    expected = built.predict({"z": np.array([[1.0, 2.0, 3.0]]), "b": np.array([[-1.0, 0.5]])}, verbose=0)
    np.testing.assert_allclose(np.array(answer["predictions"]), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "inputs, column, words",
    [
        ("{1: x}", 29, 'with names (strings) as keys, not a number: write inputs={"title": title_input'),
        ('{"a": y}', 34, "maps each name to one keras.Input(...) tensor, not a layer's output: write inputs={"),
        ('{"a": [x]}', 34, "maps each name to one keras.Input(...) tensor, not a list"),
        ('{"a": x, "b": x}', 42, "`x` is given as two inputs; give each input once"),
        ('{"a": x, "a": x}', 37, "the input name 'a' is given twice"),
        ("{}", 28, "a Model's inputs={} is empty: name each input"),
        ("{**named}", 31, "a dict is read with its keys written out, not **unpacked"),
    ],
)
def test_a_dict_of_inputs_is_read_with_names_and_one_input_each(client, inputs, column, words):
    code = (
        "x = keras.Input(shape=(4,), name='a')\ny = layers.Dense(2)(x)\nnamed = {}\n"
        f"model = keras.Model(inputs={inputs}, outputs=y)\n"
    )
    problem = _post(client, "/v1/summary", {"code": code}, 422).get_json()
    assert (problem["line"], problem["column"]) == (4, column), problem["detail"]
    assert words in problem["detail"]


DICT_MODEL = (
    "import numpy as np\nx = keras.Input(shape=(2,), name='x')\nw = keras.Input(shape=(1,), name='w')\n"
    "model = keras.Model({'x': x, 'w': w}, layers.Dense(1)(layers.concatenate([x, w])))\n"
)


@pytest.mark.parametrize(
    "last_line, column, words",
    [
        ("model.predict({'x': np.ones((1, 2)), 'v': np.ones((1, 1))})", 38, "has the key 'v'; the model's inputs are"),
        ("model.predict({'x': np.ones((1, 2))})", 15, "no data for the input(s) ['w']; Keras asks for every key"),
        ("model({'x': np.ones((1, 2)), 1: np.ones((1, 1))})", 30, "keyed by input name (a string), not a number"),
        ("model.predict({'x': np.ones((1, 2)), 'w': 'one'})", 43, "predict reads a list or np.array of numbers"),
        (
            "z = keras.Input(shape=(2,))\nouter = keras.Model(z, model({'x': z, 'w': z}))",
            24,
            "a model made with inputs={...} is not read as a layer of another",
        ),
        ("layer = layers.Dense(4, kernel_initializer={'a': 1})", 44, "a dict is read only as a Model's inputs={"),
    ],
)
def test_what_is_given_a_dict_besides_a_model_is_refused_saying_what_to_write(client, last_line, column, words):
    code = DICT_MODEL + last_line + "\n"
    problem = _post(client, "/v1/predict", {"code": code}, 422).get_json()
    assert (problem["line"], problem["column"]) == (code.count("\n"), column), problem["detail"]
    assert words in problem["detail"]


def test_predict_on_a_dict_at_the_end_of_the_code_is_the_data_by_input_name(client):
    code = DICT_MODEL + "y = model({'w': np.array([[2.0]]), 'x': np.array([[0.5, -1.0]])})\n"
    answer = _post(client, "/v1/predict", {"code": code}).get_json()
    assert answer["output_shape"] == [1, 1]
    assert answer["model"]["inputs"] == {"x": {"name": "x", "shape": [2]}, "w": {"name": "w", "shape": [1]}}
    given = {"model": answer["model"], "inputs": {"x": [[0.5, -1.0]], "w": [[2.0]]}}
    assert _post(client, "/v1/predict", given).get_json()["predictions"] == answer["predictions"]


def test_code_whose_output_is_true_false_is_refused_by_predict_saying_to_cast_it(client):
    """Code was sent, not a to_json document: the refusal says to end the model with numbers and send it again."""
    code = "import keras\ninputs = keras.Input(shape=(3,))\nmodel = keras.Model(inputs, inputs > 0)\n"
    body = {"code": code, "inputs": [[1.0, -1.0, 2.0]]}
    problem = Problem.model_validate_json(_post(client, "/v1/predict", body, 422).data)
    assert problem.errors[0].type == "boolean_output"
    assert problem.detail == (
        "the model's output is true/false (a comparison such as x > 0 ends it), which predictions, numbers, do not "
        'carry: end the model with numbers (keras.ops.cast(x > 0, "float32")) and send it again; /v1/summary '
        "answers the model as it is"
    )
    assert _post(client, "/v1/summary", {"code": code}).get_json()["layers"][-1]["type"] == "Greater"
