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
