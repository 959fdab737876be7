"""Every row says whether Keras trains its layer (layer.trainable), as Keras's own model built here says it, in
each form a model comes in; the frozen layers' parameters add up to the summary's non-trainable total."""

import json
import re

import keras
import pytest

from keras_shape_service.schemas import SummaryResponse

L = keras.layers

# A frozen Dense, then a BatchNormalization that is trainable but holds 2 x 8 moving statistics Keras never trains.
FROZEN_SPEC = {
    "layers": [
        {"type": "Dense", "units": 8, "input_shape": [4], "trainable": False},
        {"type": "BatchNormalization"},
        {"type": "Dense", "units": 3},
    ]
}
FROZEN_CODE = """model = Sequential()
model.add(Dense(8, input_shape=(4,), trainable=False))
model.add(BatchNormalization())
model.add(Dense(3))
"""


def _summary(client, body: dict) -> SummaryResponse:
    response = client.post("/v1/summary", json=body)
    assert response.status_code == 200, response.get_json()
    return SummaryResponse.model_validate_json(response.data)


def _keras_totals(model) -> dict[str, int]:
    """The three totals model.summary() prints, read from its text."""
    lines = []
    model.summary(print_fn=lambda line, **_: lines.append(line))
    text = "\n".join(lines)
    found = {
        key: int(re.search(rf"{label} params: ([\d,]+)", text).group(1).replace(",", ""))
        for key, label in (("total", "Total"), ("trainable", " Trainable"), ("non_trainable", "Non-trainable"))
    }
    return found


def _frozen_keras_model():
    return keras.Sequential([keras.Input((4,)), L.Dense(8, trainable=False), L.BatchNormalization(), L.Dense(3)])


@pytest.mark.parametrize("body", [{"model": FROZEN_SPEC}, {"code": FROZEN_CODE}], ids=["spec", "code"])
def test_a_frozen_layer_is_marked_and_the_totals_are_kerass(client, body):
    model = _frozen_keras_model()
    answer = _summary(client, body)
    assert [(row.name, row.trainable) for row in answer.layers] == [
        (layer.name, layer.trainable) for layer in model.layers
    ]
    assert [row.trainable for row in answer.layers] == [False, True, True]
    totals = _keras_totals(model)
    assert answer.params.model_dump() == totals == {"total": 40 + 32 + 27, "trainable": 16 + 27, "non_trainable": 56}
    frozen = sum(row.params for row in answer.layers if not row.trainable)
    moving_statistics = 2 * 8
    assert frozen + moving_statistics == totals["non_trainable"]
    assert f"Non-trainable params: {totals['non_trainable']}" in answer.summary


def test_the_layers_of_a_frozen_nested_model_are_frozen_as_keras_rebuilds_them(client):
    inner = keras.Sequential([keras.Input((4,)), L.Dense(5), L.Dense(6)], name="encoder")
    inner.trainable = False
    model = keras.Sequential([keras.Input((4,)), inner, L.Dense(2)])
    # Keras's JSON keeps each inner layer's trainable: false, and its own from_config leaves the nested model's
    # flag True: the rows are those of the model Keras builds from the JSON, not of the one it was written from.
    rebuilt = keras.models.model_from_json(model.to_json())
    answer = _summary(client, {"model": json.loads(model.to_json())})
    encoder, head = answer.layers
    assert (encoder.trainable, head.trainable) == (rebuilt.layers[0].trainable, True)
    assert [row.trainable for row in encoder.layers] == [layer.trainable for layer in rebuilt.layers[0].layers]
    assert [row.trainable for row in encoder.layers] == [False, False]
    assert answer.params.model_dump() == _keras_totals(rebuilt) == _keras_totals(model)
    assert answer.params.non_trainable == sum(row.params for row in encoder.layers) == 25 + 36


def test_a_frozen_layer_of_a_graph(client):
    spec = {
        "inputs": [{"name": "x", "shape": [4]}],
        "layers": [
            {"type": "Dense", "units": 4, "name": "trunk", "trainable": False},
            {"type": "Dense", "units": 3, "name": "left", "inbound": ["trunk"]},
            {"type": "Dense", "units": 2, "name": "right", "inbound": ["trunk"], "trainable": False},
            {"type": "Concatenate", "inbound": ["left", "right"]},
        ],
    }
    x = keras.Input((4,), name="x")
    trunk = L.Dense(4, name="trunk", trainable=False)(x)
    both = L.Concatenate()([L.Dense(3, name="left")(trunk), L.Dense(2, name="right", trainable=False)(trunk)])
    model = keras.Model(x, both)
    answer = _summary(client, {"model": spec})
    assert {row.name: row.trainable for row in answer.layers} == {layer.name: layer.trainable for layer in model.layers}
    assert answer.params.model_dump() == _keras_totals(model)
    assert answer.params.non_trainable == sum(row.params for row in answer.layers if not row.trainable) == 20 + 10
