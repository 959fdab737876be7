"""/v1/summary's expand_nested and show_trainable: the summary text made with the same options as Keras's
model.summary(expand_nested=..., show_trainable=...), compared with Keras's own text of the same model built
here; the rows are the same whatever the options (a nested model's rows in `layers`, `trainable` on each)."""

import json

import keras
import pytest

from keras_shape_service.adapter.summary import keras_summary_text
from keras_shape_service.schemas import SummaryResponse

L = keras.layers


def _models():
    inner = keras.Sequential(
        [keras.Input((8,)), L.Dense(4, name="inner_dense"), L.Dense(2, name="inner_out")], name="inner"
    )
    inner.layers[0].trainable = False
    outer = keras.Sequential([keras.Input((8,)), inner, L.Dense(1, name="head")], name="outer")
    return outer


def _summary(client, body) -> SummaryResponse:
    response = client.post("/v1/summary", json=body)
    assert response.status_code == 200, response.get_json()
    return SummaryResponse.model_validate_json(response.data)


@pytest.mark.parametrize(
    "options",
    [{"expand_nested": True}, {"show_trainable": True}, {"expand_nested": True, "show_trainable": True}, {}],
    ids=["expand_nested", "show_trainable", "both", "neither"],
)
def test_the_summary_text_is_kerass_with_the_same_options(client, options):
    model = _models()
    answer = _summary(client, {"model": json.loads(model.to_json()), **options})
    assert answer.summary == keras_summary_text(model, **options)


def test_expand_nested_shows_the_inner_layers_and_show_trainable_their_flags(client):
    body = {"model": json.loads(_models().to_json())}
    plain = _summary(client, body)
    expanded = _summary(client, {**body, "expand_nested": True})
    flagged = _summary(client, {**body, "show_trainable": True})
    assert "inner_dense" not in plain.summary and "inner_dense (Dense)" in expanded.summary
    # Keras's own column, its heading cut short at Keras's width: "Traina…"
    assert "Traina" not in plain.summary.splitlines()[2] and "Traina" in flagged.summary.splitlines()[2]
    # The rows are the same: a nested model's rows are always there, each with its flag.
    assert plain.layers == expanded.layers == flagged.layers
    assert [(row.name, row.trainable) for row in plain.layers[0].layers] == [
        ("inner_dense", False),
        ("inner_out", True),
    ]


def test_code_takes_the_options_too(client):
    code = "model = Sequential()\nmodel.add(Dense(8, input_shape=(4,), trainable=False))\nmodel.add(Dense(3))\n"
    flagged = _summary(client, {"code": code, "show_trainable": True})
    spec = _summary(client, {"model": flagged.model, "show_trainable": True})
    assert flagged.summary == spec.summary and "Traina" in flagged.summary.splitlines()[2]


def test_predict_answers_with_the_options_too(client):
    body = {"model": json.loads(_models().to_json()), "inputs": [[0.0] * 8], "expand_nested": True}
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 200, response.get_json()
    assert "inner_dense (Dense)" in response.get_json()["summary"]


@pytest.mark.parametrize("value", ["yes", 2, None])
def test_an_option_that_is_not_a_boolean_is_refused(client, value):
    body = {"model": json.loads(_models().to_json()), "show_trainable": value}
    response = client.post("/v1/summary", json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["loc"][-1] == "show_trainable"
