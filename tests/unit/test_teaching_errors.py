"""Refusals that teach: beginner mistakes each get the exact hint, and a fix that, applied and sent back, answers
200 (the fix is a JSON Patch against the request body, applied here with the jsonpatch library)."""

import jsonpatch
import keras
import pytest

from keras_shape_service.schemas import Problem


def _summary(*layers, **model):
    return "/v1/summary", {"model": {"layers": list(layers), **model}}


def _predict(inputs, *layers):
    return "/v1/predict", {"model": {"layers": list(layers)}, "inputs": inputs}


def _graph(shape, *layers):
    return "/v1/summary", {"model": {"inputs": [{"name": "x", "shape": shape}], "layers": list(layers)}}


CONV2D = {"type": "Conv2D", "filters": 4, "kernel_size": 3}
LSTM = {"type": "LSTM", "units": 4}
IMAGE_8x8 = [[[float(row + col) for col in range(8)] for row in range(8)]]

# (id, (path, body), the exact hint, whether a fix is offered)
MISTAKES = [
    (
        "conv2d-no-channels",
        _summary(dict(CONV2D, input_shape=[28, 28])),
        "Conv2D reads (batch, height, width, channels) but the input (None, 28, 28) has no channels axis: give the "
        "input shape as [28, 28, 1].",
        True,
    ),
    (
        "conv2d-no-channels-predict",
        _predict(IMAGE_8x8, dict(CONV2D, input_shape=[8, 8])),
        "Conv2D reads (batch, height, width, channels) but the input is (None, 8, 8), which has no channels axis: "
        "insert a Reshape to (8, 8, 1) before 'conv2d'.",
        True,
    ),
    (
        "maxpool2d-no-channels",
        _summary({"type": "MaxPooling2D", "input_shape": [28, 28]}),
        "MaxPooling2D reads (batch, height, width, channels) but the input (None, 28, 28) has no channels axis: give "
        "the input shape as [28, 28, 1].",
        True,
    ),
    (
        "conv1d-no-channels",
        _summary({"type": "Conv1D", "filters": 4, "kernel_size": 3, "input_shape": [100]}),
        "Conv1D reads (batch, steps, channels) but the input (None, 100) has no channels axis: give the input shape "
        "as [100, 1].",
        True,
    ),
    (
        "conv3d-no-channels",
        _summary({"type": "Conv3D", "filters": 2, "kernel_size": 3, "input_shape": [8, 8, 8]}),
        "Conv3D reads (batch, depth, height, width, channels) but the input (None, 8, 8, 8) has no channels axis: "
        "give the input shape as [8, 8, 8, 1].",
        True,
    ),
    (
        "dense-then-lstm",
        _summary({"type": "Dense", "units": 32, "input_shape": [10]}, LSTM),
        "LSTM reads (batch, timesteps, features) but 'dense' gives (None, 32), which has 2 axes: insert a Reshape to "
        "(32, 1) before 'lstm'.",
        True,
    ),
    (
        "lstm-then-lstm",
        _summary(dict(LSTM, input_shape=[10, 3]), {"type": "LSTM", "units": 2}),
        "LSTM reads (batch, timesteps, features) but 'lstm' returns only its last step, (None, 4): set "
        "return_sequences=True on 'lstm'.",
        True,
    ),
    (
        "gru-given-vectors",
        _summary({"type": "GRU", "units": 4, "input_shape": [10]}),
        "GRU reads (batch, timesteps, features) but the input (None, 10) has 2 axes: give the input shape as [10, 1].",
        True,
    ),
    (
        "simplernn-after-conv2d",
        _summary(dict(CONV2D, input_shape=[8, 8, 1]), {"type": "SimpleRNN", "units": 3}),
        "SimpleRNN reads (batch, timesteps, features) but 'conv2d' gives (None, 6, 6, 4): insert a Reshape to "
        "(6, 24) before 'simple_rnn' to merge its last axes.",
        True,
    ),
    (
        "repeatvector-after-sequences",
        _summary(dict(LSTM, return_sequences=True, input_shape=[10, 3]), {"type": "RepeatVector", "n": 3}),
        "RepeatVector reads (batch, features) but 'lstm' gives (None, 10, 4): insert a Flatten before "
        "'repeat_vector' to make one vector per example.",
        True,
    ),
    (
        "dense-then-conv2d",
        _summary({"type": "Dense", "units": 784, "input_shape": [10]}, CONV2D),
        "Conv2D reads (batch, height, width, channels) but 'dense' gives (None, 784), which has 2 axes: insert a "
        "Reshape to (28, 28, 1) before 'conv2d'.",
        True,
    ),
    (
        "dense-then-maxpool1d",
        _summary({"type": "Dense", "units": 16, "input_shape": [10]}, {"type": "MaxPooling1D"}),
        "MaxPooling1D reads (batch, steps, channels) but 'dense' gives (None, 16), which has no channels axis: insert "
        "a Reshape to (16, 1) before 'max_pooling1d'.",
        True,
    ),
    (
        "global-pool-after-dense",
        _summary({"type": "Dense", "units": 6, "input_shape": [10]}, {"type": "GlobalAveragePooling1D"}),
        "GlobalAveragePooling1D reads (batch, steps, channels) but 'dense' gives (None, 6), which has no channels "
        "axis: insert a Reshape to (6, 1) before 'global_average_pooling1d'.",
        True,
    ),
    (
        "graph-dense-then-lstm",
        _graph([10], {"type": "Dense", "units": 8}, LSTM),
        "LSTM reads (batch, timesteps, features) but 'dense' gives (None, 8), which has 2 axes: insert a Reshape to "
        "(8, 1) before 'lstm'.",
        True,
    ),
    (
        "kernel-larger-than-image",
        _summary(dict(CONV2D, kernel_size=9, input_shape=[8, 8, 1])),
        "Conv2D's kernel does not fit in its input (None, 8, 8, 1): set padding to 'same' to pad the input to fit.",
        True,
    ),
    (
        "reshape-wrong-size",
        _summary({"type": "Reshape", "target_shape": [5, 4], "input_shape": [24]}),
        "Reshape must keep the 24 values of each example (None, 24), but target_shape [5, 4] holds 20: let Keras "
        "size one axis, [-1, 4].",
        True,
    ),
    (
        "reshape-impossible",
        _summary({"type": "Reshape", "target_shape": [5, 5], "input_shape": [24]}),
        "Reshape must keep the 24 values of each example (None, 24), but target_shape [5, 5] holds 25: give sizes "
        "that multiply to 24, or -1 for one of them.",
        False,
    ),
    (
        "embedding-given-floats",
        _predict([[0.5, 1.5, 2.0]], {"type": "Embedding", "input_dim": 10, "output_dim": 4}),
        "Embedding 'embedding' looks up a row of its table for each number, so send indices (token ids) from 0 to 9, "
        "not measurements or one-hot vectors.",
        False,
    ),
    (
        "inputs-of-another-shape",
        _predict([[1, 2]], {"type": "Dense", "units": 4, "input_shape": [3]}),
        "Each example must have shape (3,) but yours have (2,): change the arrays, or the model's input shape.",
        False,
    ),
    (
        "inputs-without-batch-axis",
        _predict([1, 2, 3], {"type": "Dense", "units": 4, "input_shape": [3]}),
        "inputs are batch first: this array is one example, so send it as a batch of one, [inputs].",
        True,
    ),
    (
        "type-misspelled",
        _summary({"type": "Dence", "units": 16, "input_shape": [10]}),
        "There is no layer type 'Dence': did you mean 'Dense'?",
        True,
    ),
    (
        "type-lowercase",
        _summary({"type": "dense", "units": 16, "input_shape": [10]}),
        "There is no layer type 'dense': did you mean 'Dense'?",
        True,
    ),
    (
        "type-lowercase-conv2d",
        _summary(dict(CONV2D, type="conv2d", input_shape=[8, 8, 1])),
        "There is no layer type 'conv2d': did you mean 'Conv2D'?",
        True,
    ),
    (
        "native-class-misspelled",
        _summary({"class_name": "Dens", "config": {"units": 16}}, input_shape=[10]),
        "There is no layer type 'Dens': did you mean 'Dense'?",
        True,
    ),
    (
        "argument-misspelled",
        _summary({"type": "Dense", "unit": 16, "input_shape": [10]}),
        "Dense has no argument 'unit': did you mean 'units'?",
        True,
    ),
    (
        "optional-argument-misspelled",
        _summary({"type": "Dense", "units": 16, "activaton": "relu", "input_shape": [10]}),
        "Dense has no argument 'activaton': did you mean 'activation'?",
        True,
    ),
    (
        "native-argument-misspelled",
        _summary({"class_name": "Dense", "config": {"units": 16, "activaton": "relu"}}, input_shape=[10]),
        "Dense has no argument 'activaton': did you mean 'activation'?",
        True,
    ),
    (
        "pooling-argument-misspelled",
        _summary({"type": "AveragePooling2D", "pool_sise": 2, "input_shape": [8, 8, 1]}),
        "AveragePooling2D has no argument 'pool_sise': did you mean 'pool_size'?",
        True,
    ),
    (
        "pooling-argument-missing",
        _summary({"type": "AveragePooling2D", "input_shape": [8, 8, 1]}),
        "AveragePooling2D needs the argument 'pool_size'.",
        False,
    ),
    (
        "activation-misspelled",
        _summary({"type": "Dense", "units": 16, "activation": "rellu", "input_shape": [10]}),
        "'rellu' is no activation Keras knows: did you mean 'relu'?",
        True,
    ),
    (
        "initializer-misspelled",
        _summary({"type": "Dense", "units": 16, "kernel_initializer": "glorot_unifrom", "input_shape": [10]}),
        "'glorot_unifrom' is no initializer Keras knows: did you mean 'glorot_uniform'?",
        True,
    ),
    (
        "wrapper-without-layer",
        _summary({"type": "Bidirectional", "input_shape": [5, 3]}),
        'Bidirectional wraps another layer: give it as "layer", e.g. {"type": "LSTM", "units": 16}.',
        False,
    ),
    (
        "required-argument-missing",
        _summary({"type": "Dense", "input_shape": [10]}),
        "Dense needs the argument 'units'.",
        False,
    ),
]


def _refusal(client, path, body) -> Problem:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.data
    return Problem.model_validate_json(response.data)


@pytest.mark.parametrize("request_, hint, fixable", [case[1:] for case in MISTAKES], ids=[c[0] for c in MISTAKES])
def test_a_beginner_mistake_gets_a_hint_and_a_fix_that_works(client, request_, hint, fixable):
    path, body = request_
    item = _refusal(client, path, body).errors[0]
    assert item.hint == hint
    assert (item.fix is not None) == fixable
    if fixable:
        fixed = jsonpatch.apply_patch(body, [op.model_dump(exclude_none=True) for op in item.fix])
        response = client.post(path, json=fixed)
        assert response.status_code == 200, response.data


def test_there_are_at_least_twenty_mistakes():
    assert len(MISTAKES) >= 20


def test_a_rank_refusal_says_what_the_layer_reads_and_what_it_got(client):
    item = _refusal(client, *_summary({"type": "Dense", "units": 32, "input_shape": [10]}, LSTM)).errors[0]
    assert (item.expected, item.got) == ("(batch, timesteps, features)", "(None, 32)")
    assert item.msg.startswith("Input 0 with name 'None' of layer 'lstm' is incompatible")  # Keras's own words


def test_the_fixed_model_has_the_shapes_keras_gives_it(client):
    path, body = _summary(dict(CONV2D, input_shape=[28, 28]))
    item = _refusal(client, path, body).errors[0]
    fixed = jsonpatch.apply_patch(body, [op.model_dump(exclude_none=True) for op in item.fix])
    rows = client.post(path, json=fixed).get_json()["layers"]
    keras_model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3)])
    assert rows[-1]["output_shape"] == list(keras_model.output_shape)


def test_an_unknown_argument_is_named_as_unknown_not_as_another_missing(client):
    item = _refusal(client, *_summary({"type": "Dense", "unit": 16, "input_shape": [10]})).errors[0]
    assert (item.loc, item.type, item.msg) == (
        ["model", "layers", 0, "unit"],
        "unknown_argument",
        "unknown argument 'unit' of Dense",
    )
    # The detail names the first error too, and must name the same one, not the "Field required" it replaced.
    problem = _refusal(client, *_summary({"type": "Dense", "unit": 16, "input_shape": [10]}))
    assert problem.detail == (
        '1 invalid field(s); first at ["model", "layers", 0, "unit"]: unknown argument \'unit\' of Dense'
    )


def test_a_side_of_a_comparison_names_its_unknown_argument_in_the_detail_too(client):
    body = {
        "a": {"model": {"layers": [{"type": "Dense", "units": 16, "input_shape": [10]}]}},
        "b": {"model": {"layers": [{"type": "Dense", "unit": 16, "input_shape": [10]}]}},
    }
    problem = _refusal(client, "/v1/compare", body)
    assert problem.errors[0].loc == ["b", "model", "layers", 0, "unit"]
    assert problem.detail == (
        '1 invalid field(s); first at ["b", "model", "layers", 0, "unit"]: unknown argument \'unit\' of Dense'
    )


def test_keras_deserialization_boilerplate_is_reduced_to_its_useful_line(client):
    problem = _refusal(client, *_summary({"type": "Dense", "units": 16, "activaton": "relu", "input_shape": [10]}))
    assert problem.detail == "Unrecognized keyword arguments passed to Dense: {'activaton': 'relu'}"
    assert "register_keras_serializable" not in problem.model_dump_json()


def test_no_fix_is_offered_that_does_not_plan(client):
    """The input shape that would fix the model for /v1/summary does not fit these inputs: the Reshape is offered."""
    item = _refusal(client, *_predict(IMAGE_8x8, dict(CONV2D, input_shape=[8, 8]))).errors[0]
    assert [op.path for op in item.fix] == ["/model/layers/0"]


def test_a_body_with_several_errors_gets_hints_but_no_fix(client):
    body = {"model": {"layers": [{"type": "Dence", "units": 16, "input_shape": [10]}, {"type": "Dense", "unit": 2}]}}
    items = _refusal(client, "/v1/summary", body).errors
    assert [item.hint for item in items] == [
        "There is no layer type 'Dence': did you mean 'Dense'?",
        "Dense has no argument 'unit': did you mean 'units'?",
    ]
    assert all(item.fix is None for item in items)


def test_one_large_example_without_its_batch_axis_is_told_so_without_its_numbers_sent_back(client):
    """The fix for a batch of one carries the array again: past AS_BATCH_NUMBERS the refusal is the hint alone, its
    size not the body's."""
    from keras_shape_service.errors import AS_BATCH_NUMBERS

    rows = AS_BATCH_NUMBERS // 100 + 1
    body = {"model": {"layers": [{"type": "Dense", "units": 2, "input_shape": [rows, 100]}]}}
    response = client.post("/v1/predict", json=body | {"inputs": [[0.5] * 100] * rows})
    item = response.get_json()["errors"][0]
    assert response.status_code == 422
    assert item["hint"] == "inputs are batch first: this array is one example, so send it as a batch of one, [inputs]."
    assert "fix" not in item or not item["fix"]
    assert len(response.data) < 2_000
    # within the bound, the fix is offered, the array as a batch of one
    small = client.post(
        "/v1/predict",
        json={"model": {"layers": [{"type": "Dense", "units": 2, "input_shape": [3]}]}, "inputs": [1, 2, 3]},
    )
    assert small.get_json()["errors"][0]["fix"] == [{"op": "replace", "path": "/inputs", "value": [[1, 2, 3]]}]
