"""The bodies an attacker's review sent (issue 9), each once a 500, a worker held for minutes or memory kept:
now each is a 4xx problem+json naming where and why, refused before anything large is built.

Sizes stay those of the findings where refusing them is cheap: refusing must never depend on running them.
"""

import pytest

from keras_shape_service.schemas import Problem

DENSE_IN_2 = {"type": "Dense", "units": 3, "input_shape": [2]}


def _refusal(client, path: str, layers: list, inputs=None, **model) -> Problem:
    body = {"model": {"layers": layers, **model}}
    if path == "/v1/predict":
        body["inputs"] = inputs if inputs is not None else [[1.0, 2.0]]
    response = client.post(path, json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:500])
    assert response.mimetype == "application/problem+json"
    return Problem.model_validate_json(response.data)


@pytest.mark.parametrize(
    "layer, words",
    [
        (
            {"type": "Conv1D", "filters": 2, "kernel_size": 3, "input_shape": [5, 2], "kernel_initializer": "identity"},
            "initializ",
        ),
        (
            dict(
                DENSE_IN_2,
                kernel_initializer={"class_name": "Constant", "config": {"value": [1.0, 2.0, 3.0, 4.0, 5.0]}},
            ),
            "initializ",
        ),
        (dict(DENSE_IN_2, dtype="uint8"), "initializ"),
    ],
    ids=["identity on a 3-d kernel", "constant that does not broadcast", "uint8 with a random initializer"],
)
def test_an_initializer_that_fails_when_weights_are_made_is_a_422_naming_the_layer(client, layer, words):
    problem = _refusal(client, "/v1/predict", [layer], inputs=[[[1.0, 2.0]] * 5] if "Conv" in layer["type"] else None)
    assert problem.errors[0].loc == ["model", "layers", 0]
    assert words in problem.detail.lower() and "'dense'" in problem.detail or "conv1d" in problem.detail


def test_a_weight_too_large_for_its_dtype_is_a_422_at_the_weights(client):
    layer = {"type": "Dense", "units": 1, "input_shape": [1], "dtype": "int32", "weights": [[[10**10]], [0]]}
    problem = _refusal(client, "/v1/predict", [layer], inputs=[[1]])
    assert problem.errors[0].loc == ["model", "layers", 0, "weights"] and "int32" in problem.detail


@pytest.mark.parametrize(
    "shape, loc",
    [
        ({"input_shape": [10**309]}, ["model", "input_shape", 0]),
        ({"input_shape": [2**31]}, ["model", "input_shape", 0]),
    ],
)
def test_an_axis_beyond_any_tensor_is_refused_by_the_schema(client, shape, loc):
    problem = _refusal(client, "/v1/summary", [{"type": "Dense", "units": 1}], **shape)
    assert problem.errors[0].loc == loc


@pytest.mark.parametrize("target_shape", [[2.5, 2], [2.0, 2], ["2", 2], [True, 2]])
def test_a_native_reshape_with_an_axis_that_is_no_whole_number_is_a_422(client, target_shape):
    layers = [
        {"class_name": "Reshape", "config": {"target_shape": target_shape}},
        {"type": "Normalization", "mean": 0.0, "variance": 1.0},
    ]
    problem = _refusal(client, "/v1/predict", layers, inputs=[[1.0, 2.0, 3.0, 4.0]])
    assert problem.errors[0].loc[:3] == ["model", "layers", 0]


def test_a_layer_passed_as_an_activation_is_refused_before_it_is_built(client):
    """Keras deserializes any object there; a Dense(20000) built 400M parameters outside every limit."""
    activation = {"module": "keras.layers", "class_name": "Dense", "config": {"units": 20000}, "registered_name": None}
    problem = _refusal(client, "/v1/summary", [dict(DENSE_IN_2, activation=activation)])
    assert problem.errors[0].loc[:4] == ["model", "layers", 0, "activation"]


@pytest.mark.parametrize(
    "key, value",
    [
        ("kernel_initializer", {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}}),
        ("kernel_regularizer", {"module": "keras.initializers", "class_name": "Ones", "config": {}}),
        ("bias_constraint", {"module": "keras.regularizers", "class_name": "L2", "config": {}}),
    ],
)
def test_an_object_of_another_kind_than_its_argument_takes_is_refused(client, key, value):
    problem = _refusal(client, "/v1/summary", [dict(DENSE_IN_2, **{key: value})])
    assert problem.errors[0].loc[:4] == ["model", "layers", 0, key]


LONG = {
    "a recurrent layer over 3,000,000 steps (132 bytes)": (
        [
            {"type": "Dense", "units": 1, "input_shape": [1]},
            {"type": "RepeatVector", "n": 3_000_000},
            {"type": "LSTM", "units": 1},
        ],
        [[1.0]],
        "compute_budget_s",
    ),
    "an unrolled recurrent layer over 5,000 steps": (
        [
            {"type": "Dense", "units": 1, "input_shape": [1]},
            {"type": "RepeatVector", "n": 5_000},
            {"type": "LSTM", "units": 1, "unroll": True},
        ],
        [[1.0]],
        "compute_budget_s",
    ),
    "TimeDistributed over 5,000 static steps": (
        [
            {"type": "Dense", "units": 1, "input_shape": [1]},
            {"type": "RepeatVector", "n": 5_000},
            {
                "type": "TimeDistributed",
                "layer": {"module": "keras.layers", "class_name": "Dense", "config": {"units": 1}},
            },
        ],
        [[1.0]],
        "compute_budget_s",
    ),
    "pooling with a huge window inside TimeDistributed": (  # 100 steps, each 20,001 maxima of 20,000 numbers
        [
            {"type": "Dense", "units": 40_000, "input_shape": [1]},
            {"type": "RepeatVector", "n": 100},
            {"type": "Reshape", "target_shape": [100, 40_000, 1]},
            {
                "type": "TimeDistributed",
                "layer": {
                    "module": "keras.layers",
                    "class_name": "MaxPooling1D",
                    "config": {"pool_size": 20_000, "strides": 1},
                },
            },
        ],
        [[1.0]],
        "max_multiply_adds",
    ),
    "adaptive pooling, quadratic in its axis": (
        [
            {"type": "Dense", "units": 1, "input_shape": [1]},
            {"type": "RepeatVector", "n": 1_000_000},
            {"type": "AdaptiveAveragePooling1D", "output_size": 500_000},
        ],
        [[1.0]],
        "max_multiply_adds",
    ),
    "an orthogonal initializer's QR of a 4000 x 4000 kernel": (
        [{"type": "Dense", "units": 4000, "input_shape": [4000], "kernel_initializer": "orthogonal"}],
        [[0.0] * 4000],
        "max_multiply_adds",
    ),
}


@pytest.mark.parametrize("case", LONG)
def test_what_would_run_for_minutes_is_refused_from_its_shapes(client, case):
    layers, inputs, limit = LONG[case]
    problem = _refusal(client, "/v1/predict", layers, inputs=inputs)
    assert problem.limit == limit, problem


def test_an_allocating_layer_inside_a_wrapper_is_bounded_before_it_is_built(client):
    """TimeDistributed(Normalization(mean, variance)) on [1, 250000000] allocated ~1.9 GB per /v1/summary."""
    layer = {
        "type": "TimeDistributed",
        "input_shape": [1, 250_000_000],
        "layer": {"module": "keras.layers", "class_name": "Normalization", "config": {"mean": 0.0, "variance": 1.0}},
    }
    problem = _refusal(client, "/v1/summary", [layer])
    assert problem.limit == "max_activation_elements" and problem.request_value == 250_000_000


def test_an_axis_keras_cannot_size_is_refused_before_predicting(client):
    """A float axis in Reshape became None, which the activation limit counted as 1."""
    layers = [
        {"type": "Dense", "units": 3, "input_shape": [3]},
        {"class_name": "Reshape", "config": {"target_shape": [-1]}},
        {"type": "RepeatVector", "n": 4},
    ]
    response = client.post("/v1/predict", json={"model": {"layers": layers}, "inputs": [[1.0, 2.0, 3.0]]})
    assert response.status_code == 200, "a -1 axis Keras can size is fine"


def _python_calls(function, *args) -> int:
    """How many Python functions `function(*args)` calls: a step per number shows as a million."""
    import sys

    calls = [0]

    def count(frame, event, arg):
        if event == "call":
            calls[0] += 1

    sys.setprofile(count)
    try:
        function(*args)
    finally:
        sys.setprofile(None)
    return calls[0]


def test_a_body_of_a_million_small_arrays_is_read_without_a_python_step_per_array():
    """`inputs` of shape [1, 900000, 1] (6 MB, within every limit) took seconds to read and validate in the
    HTTP worker, a recursive Python call per array, while /healthz on that worker waited; the executor spent
    as long again validating the answer's predictions, past its compute budget for a Dense(1)."""
    import json

    from keras_shape_service.http import body
    from keras_shape_service.schemas import PredictRequest, PredictResponse
    from keras_shape_service.settings import Settings

    inputs = [[[1]] * 900_000]
    raw = json.dumps(
        {"model": {"layers": [{"type": "Dense", "units": 1}], "input_shape": [None, 1]}, "inputs": inputs}
    ).encode()
    assert _python_calls(body.parse, raw, Settings()) < 1_000
    document = json.loads(raw)
    assert _python_calls(body.validate, PredictRequest, document) < 1_000
    answer = {
        "output_shape": [1, 900_000, 1],
        "predictions": [[[0.5]] * 900_000],
        "layers": [],
        "params": {"total": 0, "trainable": 0, "non_trainable": 0},
        "summary": "",
        "notes": [],
        "cost": {
            "macs": 0,
            "batch_macs": 0,
            "params_bytes": 0,
            "activation_bytes": 0,
            "total_bytes": 0,
            "optimizer": "SGD",
            "gradient_bytes": 0,
            "optimizer_params": 2,
            "optimizer_bytes": 12,
            "training_bytes": 12,
        },
    }
    assert _python_calls(PredictResponse.model_validate, answer) < 1_000


@pytest.mark.parametrize(
    "inputs, loc, words",
    [
        ([[1.0, True]], ["inputs", 0, 1], "bool"),
        ([[1.0, 2.0], [1.0]], ["inputs", 1], "ragged"),
        ([[1.0, [2.0]]], ["inputs", 0, 1], "ragged"),
        ([[1.0, 10**39]], ["inputs", 0, 1], "float32"),
        ([[1.0, 10**400]], ["inputs", 0, 1], "float32"),
        ([[1.0, "2"]], ["inputs", 0, 1], "str"),
        ([[]], ["inputs", 0], "empty"),
    ],
    ids=[
        "a bool",
        "ragged rows",
        "a number beside an array",
        "an int past float32",
        "an int past float64",
        "a string",
        "an empty row",
    ],
)
def test_what_the_quick_read_of_numbers_refuses_is_still_refused_where_and_why(client, inputs, loc, words):
    problem = _refusal(client, "/v1/predict", [DENSE_IN_2], inputs=inputs)
    assert problem.errors[0].loc == loc and words in problem.errors[0].msg


def test_a_float_past_float32_is_refused_where_it_stands(client):
    """The model computes in float32, where a float past its range would be inf (a RuntimeWarning, and a 500
    where warnings are errors): refused while reading, at its location, as an integer past it is."""
    problem = _refusal(client, "/v1/predict", [DENSE_IN_2], inputs=[[1.0, 1e39]])
    assert problem.errors[0].loc == ["inputs", 0, 1] and "float32" in problem.errors[0].msg
