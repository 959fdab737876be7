"""The three spec forms of one model get the same answer."""

import json

import pytest

from keras_shape_service.schemas import PredictResponse, Problem
from tests.forms import (
    CONV_LAYERS,
    EMBEDDING_LAYERS,
    RECURRENT_LAYERS,
    SEED_LAYERS,
    document_form,
    keras_model,
    native_form,
)

MODELS = {
    "seed": (SEED_LAYERS, [[[1, 2], [3, 4], [5, 6]]]),
    "conv": (CONV_LAYERS, [[[[((r * 8 + c) % 7) / 7, (r - c) / 8] for c in range(8)] for r in range(8)]]),
    "recurrent": (RECURRENT_LAYERS, [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9], [1.0, 1.1, 1.2]]] * 2),
    "embedding": (EMBEDDING_LAYERS, [[1, 2, 3, 4, 9], [0, 0, 5, 5, 6]]),
}


def _answer(client, model, inputs):
    response = client.post("/v1/predict", json={"model": model, "inputs": inputs, "seed": 3})
    assert response.status_code == 200, response.get_json()
    return PredictResponse.model_validate_json(response.data)


@pytest.mark.parametrize("name", MODELS)
def test_concise_native_and_document_forms_agree(client, name):
    layers, inputs = MODELS[name]
    concise = _answer(client, {"layers": layers}, inputs)
    native = _answer(client, native_form(layers), inputs)
    document = _answer(client, document_form(layers), inputs)
    assert native.layers == concise.layers == document.layers
    assert native.params == concise.params == document.params
    assert native.predictions == concise.predictions == document.predictions
    assert native.summary == concise.summary == document.summary


def test_expected_shapes_of_the_conv_and_recurrent_models(client):
    conv = _answer(client, {"layers": CONV_LAYERS}, MODELS["conv"][1])
    assert [r.output_shape for r in conv.layers] == [
        [None, 6, 6, 4],
        [None, 3, 3, 4],
        [None, 3, 3, 4],
        [None, 36],
        [None, 3],
    ]
    assert [r.params for r in conv.layers] == [(3 * 3 * 2 + 1) * 4, 0, 16, 0, 37 * 3]
    assert conv.params.non_trainable == 8
    recurrent = _answer(client, {"layers": RECURRENT_LAYERS}, MODELS["recurrent"][1])
    assert recurrent.output_shape == [2, 1]
    assert [r.params for r in recurrent.layers] == [4 * (5 * (3 + 5) + 5), 3 * (2 * (5 + 2) + 2 * 2), 3]


def test_a_model_may_mix_concise_and_native_layers(client):
    mixed = native_form(SEED_LAYERS)["layers"][:3] + [SEED_LAYERS[2], dict(SEED_LAYERS[3], name="out")]
    answer = _answer(client, {"layers": mixed}, MODELS["seed"][1])
    assert [r.name for r in answer.layers] == ["dense", "activation", "flatten", "out"]
    assert answer.output_shape == [1, 4]


def test_a_documents_compile_config_is_compiled(client):
    """to_json's compile_config names the loss and optimizer; an unknown one is refused where it was given."""
    model = keras_model(SEED_LAYERS)
    model.compile(loss="mean_squared_error", optimizer="SGD")
    document = json.loads(model.to_json())
    assert _answer(client, document, MODELS["seed"][1]).output_shape == [1, 4]
    document["compile_config"] = dict(document.get("compile_config") or {}, loss="no_such_loss")
    response = client.post("/v1/predict", json={"model": document, "inputs": MODELS["seed"][1]})
    assert response.status_code == 422
    assert Problem.model_validate_json(response.data).errors[0].loc == ["model", "compile_config", "loss"]


def test_a_concise_graph_with_a_dict_of_inputs_answers_as_kerass_to_json_of_it(client):
    """inputs={key: input}, as the code reader writes keras.Model(inputs={...}): the same answer as the to_json
    document of the model Keras makes, inputs in the keys' order (b before a's creation), predictions by name."""
    import keras

    keras.backend.clear_session()
    first = keras.Input(shape=(3,), name="first")
    second = keras.Input(shape=(2,), name="second")
    built = keras.Model({"z": first, "b": second}, keras.layers.Dense(2)(keras.layers.concatenate([first, second])))
    concise = {
        "inputs": {"z": {"name": "first", "shape": [3]}, "b": {"name": "second", "shape": [2]}},
        "layers": [{"type": "Concatenate", "inbound": ["first", "second"]}, {"type": "Dense", "units": 2}],
    }
    inputs = {"first": [[1, 2, 3], [0, 0, 1]], "second": [[-1, 1], [0.5, 0]]}
    from_concise = _answer(client, concise, inputs)
    from_document = _answer(client, json.loads(built.to_json()), inputs)
    assert from_concise.layers == from_document.layers and from_concise.summary == from_document.summary
    assert from_concise.predictions == from_document.predictions
    # the served signature (/v2 metadata) pairs the spec's inputs with Keras's: both in the keys' order
    from keras_shape_service import adapter
    from keras_shape_service.schemas import SummaryRequest
    from keras_shape_service.specs.forms import canonical_spec

    spec = canonical_spec(SummaryRequest.model_validate({"model": concise}).model)
    assert spec.input_keys == ("b", "z") and [i.name for i in spec.inputs] == ["second", "first"]
    signature_inputs, _ = adapter.signature(adapter.plan(spec, 0, 10**6))
    assert [(tensor.name, tensor.shape) for tensor in signature_inputs] == [("second", (None, 2)), ("first", (None, 3))]


@pytest.mark.parametrize(
    "inputs, loc",
    [
        ({"a": {"name": "x", "shape": [2]}, "b": {"name": "x", "shape": [2]}}, ["model", "inputs", "b", "name"]),
        ([{"name": "x", "shape": [2]}, {"name": "x", "shape": [2]}], ["model", "inputs", 1, "name"]),
    ],
)
def test_two_inputs_of_one_name_are_refused_as_keras_refuses_them(client, inputs, loc):
    model = {"inputs": inputs, "layers": [{"type": "Dense", "units": 1, "inbound": ["x"]}]}
    problem = client.post("/v1/summary", json={"model": model}).get_json()
    assert problem["status"] == 422 and problem["errors"][0]["loc"] == loc
    assert "the name 'x' is given to two inputs" in problem["detail"]
