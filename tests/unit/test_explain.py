"""Every row says why: its shape formula and its parameter arithmetic with the model's numbers, its weights as
Keras names them, and its multiply-adds by hand formulas (one fused multiply-add = 1)."""

import json

import keras
import pytest

from keras_shape_service.schemas import SummaryResponse
from tests.explaining import evaluate
from tests.forms import SEED_LAYERS

L = keras.layers


def _summary(client, model: dict) -> SummaryResponse:
    response = client.post("/v1/summary", json={"model": model})
    assert response.status_code == 200, response.get_json()
    return SummaryResponse.model_validate_json(response.data)


def _row(client, model: dict, name: str):
    return next(row for row in _summary(client, model).layers if row.name == name)


def test_the_seed_rows_say_why_in_the_issues_words(client):
    dense, activation, flatten, dense_1 = _summary(client, {"layers": SEED_LAYERS}).layers
    assert dense.why.shape == (
        "Dense acts on the last axis only: each of the 3 rows of 2 values goes through the "
        "same 2 x 16 kernel, so (None, 3, 2) -> (None, 3, 16); the other axes pass through"
    )
    assert dense.why.params == "kernel 2 x 16 + bias 16 = 48"
    assert (
        flatten.why.shape
        == "Flatten keeps the batch axis and multiplies the rest, 3 x 16 = 48: (None, 3, 16) -> (None, 48)"
    )
    assert activation.why.params == flatten.why.params == "no weights: 0"
    assert dense_1.why.params == "kernel 48 x 4 + bias 4 = 196"
    assert [(w.name, w.shape) for w in dense.weights] == [("kernel", [2, 16]), ("bias", [16])]
    assert [row.macs for row in (dense, activation, flatten, dense_1)] == [3 * 2 * 16, 0, 0, 48 * 4]


def test_weights_are_kerass_variables_in_get_weights_order(client):
    model = keras.Sequential(
        [
            keras.Input((10, 8)),
            L.LSTM(6, return_sequences=True),
            L.BatchNormalization(),
            L.Bidirectional(L.GRU(3)),
            L.Dense(2, use_bias=False),
        ]
    )
    rows = _summary(client, json.loads(model.to_json())).layers
    assert [[(w.name, w.shape) for w in row.weights] for row in rows] == [
        [(v.name, list(v.shape)) for v in layer.weights] for layer in model.layers
    ]
    assert [[w.shape for w in row.weights] for row in rows] == [
        [list(w.shape) for w in layer.get_weights()] for layer in model.layers
    ]


CONV = {
    "layers": [
        {"type": "Conv2D", "filters": 32, "kernel_size": 3, "input_shape": [28, 28, 1]},
        {"type": "Conv2D", "filters": 8, "kernel_size": [3, 5], "strides": 2, "padding": "same", "use_bias": False},
        {"type": "MaxPooling2D", "pool_size": 2},
        {"type": "DepthwiseConv2D", "kernel_size": 3, "depth_multiplier": 2},
        {"type": "SeparableConv2D", "filters": 4, "kernel_size": 1},
        {"type": "Conv2DTranspose", "filters": 3, "kernel_size": 3, "strides": 2},
        {"type": "GlobalAveragePooling2D"},
    ]
}
SEQUENCE = {
    "layers": [
        {"type": "Conv1D", "filters": 4, "kernel_size": 3, "dilation_rate": 2, "input_shape": [11, 8]},
        {"type": "LSTM", "units": 6, "return_sequences": True},
        {"type": "GRU", "units": 6, "return_sequences": True},
        {"type": "Bidirectional", "layer": {"type": "SimpleRNN", "units": 2, "return_sequences": True}},
        {"type": "TimeDistributed", "layer": {"type": "Dense", "units": 5}},
        {"type": "BatchNormalization"},
        {"type": "Permute", "dims": [2, 1]},
        {"type": "Reshape", "target_shape": [-1]},
        {"type": "RepeatVector", "n": 2},
        {"type": "LayerNormalization"},
        {"type": "Dropout", "rate": 0.5},
        {"type": "Rescaling", "scale": 0.5},
        {"type": "ZeroPadding1D", "padding": 1},
    ]
}
EMBEDDING = {
    "layers": [
        {"type": "Embedding", "input_dim": 1000, "output_dim": 64, "input_shape": [10]},
        {"type": "GlobalMaxPooling1D"},
    ]
}
GRAPH = {
    "inputs": [{"name": "q", "shape": [5, 16]}, {"name": "v", "shape": [7, 16]}],
    "layers": [
        {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 8, "name": "mha", "inbound": ["q", "v"]},
        {"type": "Dense", "units": 3, "name": "left", "inbound": ["mha"]},
        {"type": "Concatenate", "inbound": ["mha", "left"]},
        {"type": "Dense", "units": 19, "name": "wide", "inbound": ["mha"]},
        {"type": "Add", "inbound": ["concatenate", "wide"]},
    ],
}

FAMILIES = [  # model, row, why.shape, why.params, multiply-adds by hand
    (
        CONV,
        "conv2d",
        "Conv2D slides a 3 x 3 window (strides 1 x 1, padding 'valid') along the 2 spatial axes: "
        "(28 - 3) / 1 + 1 = 26; (28 - 3) / 1 + 1 = 26; at each position the 3 x 3 x 1 values give 32 filters, so "
        "(None, 28, 28, 1) -> (None, 26, 26, 32)",
        "(3 x 3 x 1 + 1) x 32 = 320",
        26 * 26 * (3 * 3 * 1) * 32,
    ),
    (
        CONV,
        "conv2d_1",
        "Conv2D slides a 3 x 5 window (strides 2 x 2, padding 'same') along the 2 spatial axes: "
        "ceil(26 / 2) = 13; ceil(26 / 2) = 13; at each position the 3 x 5 x 32 values give 8 filters, so "
        "(None, 26, 26, 32) -> (None, 13, 13, 8)",
        "3 x 5 x 32 x 8 = 3840",
        13 * 13 * (3 * 5 * 32) * 8,
    ),
    (
        CONV,
        "max_pooling2d",
        "MaxPooling2D takes the max of each 2 x 2 window (strides 2 x 2, padding 'valid'): "
        "floor((13 - 2) / 2) + 1 = 6; floor((13 - 2) / 2) + 1 = 6; the channels pass through, so "
        "(None, 13, 13, 8) -> (None, 6, 6, 8)",
        "no weights: 0",
        0,
    ),
    (
        CONV,
        "depthwise_conv2d",
        "DepthwiseConv2D slides a 3 x 3 window (strides 1 x 1, padding 'valid') along the 2 "
        "spatial axes: (6 - 3) / 1 + 1 = 4; (6 - 3) / 1 + 1 = 4; each of the 8 channels is convolved on its own, "
        "depth_multiplier 2 giving 16 channels, so (None, 6, 6, 8) -> (None, 4, 4, 16)",
        "(3 x 3 + 1) x 8 x 2 = 160",
        4 * 4 * 3 * 3 * 8 * 2,
    ),
    (
        CONV,
        "separable_conv2d",
        None,
        "depthwise, then pointwise with bias: 1 x 1 x 16 x 1 + (16 + 1) x 4 = 84",
        4 * 4 * (16 + 16 * 4),
    ),
    (
        CONV,
        "conv2d_transpose",
        "Conv2DTranspose spreads each value over a 3 x 3 window (strides 2 x 2, padding "
        "'valid') along the 2 spatial axes: 4 x 2 + max(3 - 2, 0) = 9; 4 x 2 + max(3 - 2, 0) = 9; the 4 channels of "
        "each input position spread to 3 filters, so (None, 4, 4, 4) -> (None, 9, 9, 3)",
        "(3 x 3 x 4 + 1) x 3 = 111",
        4 * 4 * 3 * 3 * 4 * 3,
    ),  # fvcore's convention: each input value times the window, per filter
    (
        CONV,
        "global_average_pooling2d",
        "GlobalAveragePooling2D takes the average over the 9 x 9 positions of each "
        "of the 3 channels: (None, 9, 9, 3) -> (None, 3)",
        "no weights: 0",
        0,
    ),
    (
        SEQUENCE,
        "conv1d",
        "Conv1D slides a 3 window (strides 1, padding 'valid') along the spatial axis: (11 - 5) / 1 "
        "+ 1 = 7 (dilated window 2 x (3 - 1) + 1 = 5); at each position the 3 x 8 values give 4 filters, so "
        "(None, 11, 8) -> (None, 7, 4)",
        "(3 x 8 + 1) x 4 = 100",
        7 * 3 * 8 * 4,
    ),
    (
        SEQUENCE,
        "lstm",
        "LSTM reads the 7 steps of 4 values one after another into 6 units; return_sequences=True "
        "gives every step's 6 values: (None, 7, 4) -> (None, 7, 6)",
        "4 gates x ((4 + 6 + 1) x 6) = 264",
        7 * 4 * (4 * 6 + 6 * 6),
    ),
    (
        SEQUENCE,
        "gru",
        None,
        "reset_after keeps two biases per gate: 3 gates x ((6 + 6 + 2) x 6) = 252",
        7 * 3 * (6 * 6 + 6 * 6),
    ),
    (
        SEQUENCE,
        "bidirectional",
        "Bidirectional runs its SimpleRNN forwards and a copy backwards over the steps, "
        "each giving (None, 7, 2), and concatenates them on the last axis, 2 + 2 = 4: (None, 7, 6) -> (None, 7, 4)",
        "a forward and a backward copy: 2 x ((6 + 2 + 1) x 2) = 36",
        2 * 7 * (6 * 2 + 2 * 2),
    ),
    (
        SEQUENCE,
        "time_distributed",
        "TimeDistributed applies its Dense to each of the 7 steps of axis 1 with the same "
        "weights; the inner layer sees (None, 4) -> (None, 5), so (None, 7, 4) -> (None, 7, 5)",
        "the inner layer's, shared by every step: kernel 4 x 5 + bias 5 = 25",
        7 * 4 * 5,
    ),
    (
        SEQUENCE,
        "batch_normalization",
        "BatchNormalization normalizes along axis -1 with its own mean and variance "
        "(moving averages, when predicting), then scales and shifts; the shape stays (None, 7, 5)",
        "moving_mean and moving_variance are not trained: gamma 5 + beta 5 + moving_mean 5 + moving_variance 5 = 20",
        7 * 5,
    ),  # one multiply-add per value: x * scale + shift, the statistics folded in
    (
        SEQUENCE,
        "permute",
        "Permute reorders the axes after the batch axis as (2, 1) (axis 1 is the first after it): "
        "(None, 7, 5) -> (None, 5, 7)",
        "no weights: 0",
        0,
    ),
    (
        SEQUENCE,
        "reshape",
        "Reshape rearranges the values of each example, 5 x 7 = 35, into 35 (the batch axis stays): "
        "(None, 5, 7) -> (None, 35)",
        "no weights: 0",
        0,
    ),
    (
        SEQUENCE,
        "repeat_vector",
        "RepeatVector repeats each example's 35 values 2 times along a new axis 1: (None, 35) -> (None, 2, 35)",
        "no weights: 0",
        0,
    ),
    (
        SEQUENCE,
        "layer_normalization",
        "LayerNormalization normalizes along axis [-1] by the mean and variance of "
        "each example's values there, then scales and shifts; the shape stays (None, 2, 35)",
        "gamma 35 + beta 35 = 70",
        2 * 35,
    ),
    (
        SEQUENCE,
        "dropout",
        "Dropout zeroes a fraction 0.5 of the values in training only; predictions pass through "
        "unchanged and the shape stays (None, 2, 35)",
        "no weights: 0",
        0,
    ),
    (
        SEQUENCE,
        "rescaling",
        "Rescaling multiplies each value by 0.5 and adds 0.0; the shape stays (None, 2, 35)",
        "no weights: 0",
        0,
    ),
    (
        SEQUENCE,
        "zero_padding1d",
        "ZeroPadding1D changes axis 1 from 2 to 4: (None, 2, 35) -> (None, 4, 35)",
        "no weights: 0",
        0,
    ),  # no family rule: the generic sentence
    (
        EMBEDDING,
        "embedding",
        "Embedding looks up each of the 10 integers in a table of 1000 rows of 64 values, adding "
        "a last axis of 64: (None, 10) -> (None, 10, 64)",
        "embeddings 1000 x 64 = 64000",
        0,
    ),
    (
        GRAPH,
        "q",
        "the model's input: each example is (5, 16), the batch axis (None) first: (None, 5, 16) -> (None, 5, 16)",
        "no weights: 0",
        0,
    ),
    (
        GRAPH,
        "mha",
        "MultiHeadAttention scores each of 5 query positions against 7 value positions in 2 heads of "
        "key_dim 8 and gives each query position a weighted sum of the values: (None, 5, 16), (None, 7, 16) -> "
        "(None, 5, 16)",
        "the query, key, value and output projections: kernel 16 x 2 x 8 + bias 2 x 8 + kernel 16 x 2 "
        "x 8 + bias 2 x 8 + kernel 16 x 2 x 8 + bias 2 x 8 + kernel 2 x 8 x 16 + bias 16 = 1088",
        5 * 16 * 16 + 7 * 16 * 16 + 7 * 16 * 16 + 2 * 5 * 7 * (8 + 8) + 5 * 16 * 16,
    ),
    (
        GRAPH,
        "left",
        "Dense acts on the last axis only: each of the 5 rows of 16 values goes through the same 16 x 3 "
        "kernel, so (None, 5, 16) -> (None, 5, 3); the other axes pass through",
        "kernel 16 x 3 + bias 3 = 51",
        5 * 16 * 3,
    ),
    (
        GRAPH,
        "concatenate",
        "Concatenate joins its 2 inputs along axis -1: 16 + 3 = 19; the other axes must match: "
        "(None, 5, 16), (None, 5, 3) -> (None, 5, 19)",
        "no weights: 0",
        0,
    ),
    (
        GRAPH,
        "add",
        "Add adds its 2 inputs element by element (their shapes match, or broadcast): (None, 5, 19), "
        "(None, 5, 19) -> (None, 5, 19)",
        "no weights: 0",
        0,
    ),
]


@pytest.mark.parametrize("model, name, shape, params, macs", FAMILIES, ids=[f"{row[1]}" for row in FAMILIES])
def test_each_family_by_hand(client, model, name, shape, params, macs):
    row = _row(client, model, name)
    if shape is not None:
        assert row.why.shape == shape
    assert row.why.params == params
    assert evaluate(row.why.params) == row.params
    assert row.macs == macs


def test_a_nested_model_sums_its_layers(client):
    inner = keras.Sequential([keras.Input((8,)), L.Dense(4), L.Dense(2)], name="inner")
    outer = keras.Sequential([keras.Input((8,)), inner, L.Dense(1)])
    row = _summary(client, json.loads(outer.to_json())).layers[0]
    assert (
        row.why.shape == "the nested model 'inner' runs its 2 layers in turn (its rows below): (None, 8) -> (None, 2)"
    )
    assert row.why.params == "the sum of its layers' params: 36 + 10 = 46" and row.params == inner.count_params()
    assert row.macs == 8 * 4 + 4 * 2 == sum(r.macs for r in row.layers)


def test_a_config_no_rule_knows_falls_back_to_the_listed_weights(client):
    """A transposed convolution with output_padding: its size formula is not the rule's, so the generic sentence
    (true of any layer) and the variables listed stand in."""
    row = _row(
        client,
        {
            "layers": [
                {
                    "type": "Conv2DTranspose",
                    "filters": 2,
                    "kernel_size": 3,
                    "strides": 2,
                    "output_padding": 1,
                    "input_shape": [4, 4, 1],
                }
            ]
        },
        "conv2d_transpose",
    )
    assert (
        row.why.shape == "Conv2DTranspose changes axis 1 from 4 to 10, axis 2 from 4 to 10, axis 3 from 1 to 2: "
        "(None, 4, 4, 1) -> (None, 10, 10, 2)"
    )
    assert evaluate(row.why.params) == row.params == 3 * 3 * 1 * 2 + 2


def test_the_cost_of_the_seed_for_a_summary_and_for_a_batch(client):
    summary = _summary(client, {"layers": SEED_LAYERS}).cost
    outputs = 3 * 16 + 3 * 16 + 48 + 4  # numbers every layer outputs, per example
    assert (summary.macs, summary.batch_macs) == (3 * 2 * 16 + 48 * 4, 288)
    assert (summary.params_bytes, summary.activation_bytes) == (244 * 4, outputs * 4)
    assert summary.total_bytes == 244 * 4 + outputs * 4
    answer = client.post(
        "/v1/predict", json={"model": {"layers": SEED_LAYERS}, "inputs": [[[1, 2], [3, 4], [5, 6]]] * 5}
    ).get_json()
    assert answer["cost"] == {
        "macs": 288,
        "batch_macs": 5 * 288,
        "params_bytes": 976,
        "activation_bytes": 5 * outputs * 4,
        "total_bytes": 976 + 5 * outputs * 4,
        # No compile: Keras's default SGD, no slot, its iteration (int64) and learning rate (float32).
        "optimizer": "SGD",
        "gradient_bytes": 976,
        "optimizer_params": 2,
        "optimizer_bytes": 12,
        "training_bytes": 976 + 976 + 12 + 5 * outputs * 4,
    }


def test_bytes_follow_the_dtype(client):
    layers = [dict(SEED_LAYERS[0], dtype="float64"), *SEED_LAYERS[1:]]
    cost = _summary(client, {"layers": layers}).cost
    assert cost.params_bytes == 48 * 8 + 196 * 4
    assert cost.activation_bytes == 3 * 16 * 8 + (3 * 16 + 48 + 4) * 4
