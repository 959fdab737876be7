"""A masked model (Embedding(mask_zero=True) before recurrent layers): Keras passes the mask on to every layer
that takes one as a `mask` argument, and even lists it in `layer.input`; the rows list a layer's real inputs
only, the tensors it computes on, as Keras's own summary does."""

import keras
import numpy as np
import pytest

from keras_shape_service.adapter import private
from keras_shape_service.schemas import SummaryResponse

SEQUENTIAL_CODE = """import keras
from keras import layers
model = keras.Sequential()
model.add(keras.Input(shape=(None,)))
model.add(layers.Embedding(input_dim=1000, output_dim=32, mask_zero=True))
model.add(layers.GRU(16, return_sequences=True))
model.add(layers.LSTM(8))
model.add(layers.Dense(1))
"""
FUNCTIONAL_CODE = """import keras
from keras import layers
tokens = keras.Input(shape=(None,), name="tokens")
embedded = layers.Embedding(input_dim=1000, output_dim=32, mask_zero=True)(tokens)
read = layers.GRU(16, return_sequences=True)(embedded)
last = layers.LSTM(8)(read)
model = keras.Model(tokens, layers.Dense(1)(last))
"""


def _keras_model(kind: str):
    if kind == "sequential":
        return keras.Sequential(
            [
                keras.Input(shape=(None,)),
                keras.layers.Embedding(input_dim=1000, output_dim=32, mask_zero=True),
                keras.layers.GRU(16, return_sequences=True),
                keras.layers.LSTM(8),
                keras.layers.Dense(1),
            ]
        )
    tokens = keras.Input(shape=(None,), name="tokens")
    embedded = keras.layers.Embedding(input_dim=1000, output_dim=32, mask_zero=True)(tokens)
    last = keras.layers.LSTM(8)(keras.layers.GRU(16, return_sequences=True)(embedded))
    return keras.Model(tokens, keras.layers.Dense(1)(last))


def _computed_on(layer) -> list:
    """The shape of the tensor a Keras layer computes on: `layer.input`, whose mask (a second tensor for a
    layer Keras gives the mask) is dropped. The mask is checked to be what it is: the tokens' (batch, steps)."""
    given = layer.input
    if isinstance(given, list) and not given:  # an InputLayer's: the rows show its output as its input
        return list(layer.output.shape)
    if isinstance(given, list):
        data, mask = given
        assert list(mask.shape) == [None, None] and mask.dtype == "bool", layer.name
        return list(data.shape)
    return list(given.shape)


@pytest.mark.parametrize("kind, code", [("sequential", SEQUENTIAL_CODE), ("functional", FUNCTIONAL_CODE)])
def test_a_masked_models_rows_list_each_layers_real_input_only(client, kind, code):
    built = _keras_model(kind)
    masked = [type(layer).__name__ for layer in built.layers if isinstance(layer.input, list) and layer.input]
    assert masked == ["GRU", "LSTM"]  # Keras lists the mask as an input of these two
    response = client.post("/v1/summary", json={"code": code})
    assert response.status_code == 200, response.get_json()
    answer = SummaryResponse.model_validate_json(response.data)
    rows = {row.name: row for row in answer.layers}
    if kind == "functional":  # Keras records the mask as a NotEqual operation node, a row of its summary too
        assert [row.type for row in answer.layers] == [type(op).__name__ for op in private.model_operations(built)]
        assert rows["not_equal"].input_shape == [None, None] and rows["not_equal"].inbound == ["tokens"]
    layer_rows = [row for row in answer.layers if row.type != "NotEqual"]
    assert [row.input_shape for row in layer_rows] == [_computed_on(layer) for layer in built.layers]
    assert rows["gru"].input_shape == [None, None, 32] and rows["lstm"].input_shape == [None, None, 16]
    assert "(None, None, 32) -> (None, None, 16)" in rows["gru"].why.shape
    assert rows["gru"].inbound == ["embedding"] and rows["lstm"].inbound == ["gru"]  # the mask feeds no row
    assert [row.output_shape for row in layer_rows] == [list(layer.output.shape) for layer in built.layers]
    assert answer.params.total == built.count_params()


def test_a_masked_model_predicts_one_value_per_sequence(client):
    tokens = np.array([[5, 7, 0, 0], [3, 0, 0, 0]])
    response = client.post("/v1/predict", json={"code": SEQUENTIAL_CODE, "inputs": tokens.tolist()})
    assert response.status_code == 200, response.get_json()
    assert np.shape(response.get_json()["predictions"]) == (2, 1)
