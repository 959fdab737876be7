"""The concise graph form says what code and to_json say: keyword tensors (a seq2seq decoder's initial_state, a
mask) beside a layer's inbound, and models nested as layers ({"type": "Sequential"} or {"type": "Functional"}),
called several times with their weights shared. Each answer is compared with the same model built by Keras here."""

import keras
import numpy as np
import pytest

from keras_shape_service.adapter.summary import keras_summary_text

SEQ2SEQ = {
    "inputs": [{"name": "encoder_inputs", "shape": [None, 7]}, {"name": "decoder_inputs", "shape": [None, 6]}],
    "layers": [
        {"type": "LSTM", "name": "encoder", "units": 5, "return_state": True, "inbound": ["encoder_inputs"]},
        {
            "type": "LSTM",
            "name": "decoder",
            "units": 5,
            "return_sequences": True,
            "return_state": True,
            "inbound": ["decoder_inputs"],
            "initial_state": [{"layer": "encoder", "tensor": 1}, {"layer": "encoder", "tensor": 2}],
        },
        {"type": "Dense", "name": "decoder_dense", "units": 6, "activation": "softmax", "inbound": ["decoder"]},
    ],
    "outputs": ["decoder_dense"],
}
SIAMESE = {
    "inputs": [{"name": "left", "shape": [6]}, {"name": "right", "shape": [6]}],
    "layers": [
        {
            "type": "Sequential",
            "name": "tower",
            "input_shape": [6],
            "layers": [{"type": "Dense", "units": 8, "activation": "relu"}, {"type": "Dense", "units": 4}],
            "calls": [["left"], ["right"]],
        },
        {
            "type": "Functional",
            "name": "head",
            "inputs": [{"name": "a", "shape": [4]}, {"name": "b", "shape": [4]}],
            "layers": [{"type": "Subtract", "inbound": ["a", "b"]}, {"type": "Dense", "units": 1}],
            "inbound": ["tower", "tower#1"],
        },
    ],
    "outputs": ["head"],
}
NESTED_SEQUENTIAL = {
    "input_shape": [5],
    "layers": [
        {
            "type": "Sequential",
            "name": "block",
            "layers": [{"type": "Dense", "units": 8}, {"type": "Dense", "units": 3}],
        },
        {"type": "Dense", "name": "head", "units": 2},  # unnamed, each model's layers are counted afresh
    ],
}

# The outer model with no input shape: Keras builds it from its first layer's, the nested model's own
# (Sequential._maybe_rebuild); the service answered 422 "the model's input shape is unknown"
NESTED_FIRST_GIVES_THE_INPUT = {
    "layers": [
        {
            "type": "Sequential",
            "name": "block",
            "layers": [{"type": "Dense", "units": 4, "input_shape": [3]}],
        },
        {"type": "Dense", "name": "head", "units": 2},
    ],
}


def _seq2seq():
    encoder_inputs = keras.Input(shape=(None, 7), name="encoder_inputs")
    _, state_h, state_c = keras.layers.LSTM(5, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = keras.Input(shape=(None, 6), name="decoder_inputs")
    decoder = keras.layers.LSTM(5, return_sequences=True, return_state=True, name="decoder")
    decoded, _, _ = decoder(decoder_inputs, initial_state=[state_h, state_c])
    outputs = keras.layers.Dense(6, activation="softmax", name="decoder_dense")(decoded)
    return keras.Model([encoder_inputs, decoder_inputs], outputs)


def _siamese():
    tower = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(4)], name="tower"
    )
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    head = keras.Model([a, b], keras.layers.Dense(1)(keras.layers.Subtract()([a, b])), name="head")
    left, right = keras.Input((6,), name="left"), keras.Input((6,), name="right")
    return keras.Model([left, right], head([tower(left), tower(right)]))


def _nested_sequential():
    block = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(3)], name="block")
    return keras.Sequential([keras.Input((5,)), block, keras.layers.Dense(2, name="head")])


def _nested_first_gives_the_input():
    block = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)], name="block")
    return keras.Sequential([block, keras.layers.Dense(2, name="head")])


@pytest.mark.parametrize(
    "spec, make",
    [
        (SEQ2SEQ, _seq2seq),
        (SIAMESE, _siamese),
        (NESTED_SEQUENTIAL, _nested_sequential),
        (NESTED_FIRST_GIVES_THE_INPUT, _nested_first_gives_the_input),
    ],
    ids=["seq2seq_initial_state", "siamese_nested_and_shared", "nested_sequential", "nested_first_gives_the_input"],
)
def test_the_concise_form_answers_as_keras(client, spec, make):
    keras.backend.clear_session()
    built = make()
    response = client.post("/v1/summary", json={"model": spec})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert [(row["name"], row["params"]) for row in answer["layers"]] == [
        (layer.name, layer.count_params()) for layer in built.layers
    ]
    assert answer["params"]["total"] == built.count_params()
    # Keras's own text but for the names Keras gives the unnamed (the service names each model afresh)
    assert answer["summary"].split("\n")[2:] == keras_summary_text(built).split("\n")[2:]
    rng = np.random.default_rng(3)
    names = [name for name, _, _ in built.get_config()["input_layers"]] if len(built.inputs) > 1 else []
    data = [rng.uniform(-1, 1, [2, *(size or 4 for size in t.shape[1:])]) for t in built.inputs]
    inputs = {name: array.tolist() for name, array in zip(names, data)} if names else data[0].tolist()
    weights = {layer.name: [w.tolist() for w in layer.get_weights()] for layer in built.layers if layer.weights}
    predicted = client.post("/v1/predict", json={"model": spec, "inputs": inputs, "weights": weights})
    assert predicted.status_code == 200, predicted.get_json()
    expected = built.predict(data if names else data[0], verbose=0)
    np.testing.assert_allclose(np.asarray(predicted.get_json()["predictions"]), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "model, loc, words",
    [
        (
            {"input_shape": [4], "layers": [{"layers": [{"type": "Dense", "units": 3}]}]},
            ["model", "layers", 0],
            '"type": "Sequential" with its "layers"',
        ),
        (
            {"input_shape": [4, 3], "layers": [{"type": "LSTM", "units": 3, "initial_state": ["x"]}]},
            ["model", "layers", 0],
            "'initial_state' and 'mask' belong to a graph model",
        ),
        (
            {
                "inputs": [{"name": "x", "shape": [4, 3]}, {"name": "h", "shape": [3]}],
                "layers": [{"type": "LSTM", "units": 3, "calls": [["x"], ["x"]], "initial_state": ["h", "h"]}],
            },
            ["model", "layers", 0, "initial_state"],
            "send the model's model.to_json()",
        ),
        (
            {
                "inputs": [{"name": "x", "shape": [4]}],
                "layers": [
                    {
                        "type": "Functional",
                        "input_shape": [4],
                        "inputs": [{"name": "y", "shape": [4]}],
                        "layers": [{"type": "Dense", "units": 2}],
                    }
                ],
            },
            ["model", "layers", 0, "input_shape"],
            "a nested Functional model's inputs are its 'inputs'",
        ),
        (
            {
                "input_shape": [4],
                "layers": [{"type": "Sequential", "layers": [{"type": "Dense", "units": 2}], "units": 3}],
            },
            ["model", "layers", 0, "units"],
            "Extra inputs are not permitted",
        ),
    ],
    ids=[
        "untyped_nested_model",
        "initial_state_in_a_sequential",
        "initial_state_with_calls",
        "nested_input_shape",
        "extra_key",
    ],
)
def test_what_the_concise_form_cannot_say_is_refused_saying_what_to_send(client, model, loc, words):
    response = client.post("/v1/summary", json={"model": model})
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert problem["errors"][0]["loc"] == loc
    assert words in problem["detail"], problem["detail"]


def test_the_openapi_document_describes_keyword_tensors_and_nested_models(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    dense = schemas["DenseLayer"]["properties"]
    assert "initial_state" in str(dense["initial_state"]) and "mask=" in str(dense["mask"])
    assert schemas["SequentialLayer"]["properties"]["type"]["const"] == "Sequential"
    assert {"inputs", "layers", "outputs"} <= set(schemas["FunctionalLayer"]["properties"])
