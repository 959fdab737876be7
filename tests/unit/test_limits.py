"""Every limit: a request exactly at its bound is answered, one step past it is refused, nothing is allocated."""

import json

import pytest
from pydantic import ValidationError

from keras_shape_service.schemas import PredictResponse, Problem
from keras_shape_service.settings import Settings
from tests.conftest import engine_of
from tests.forms import SEED_BODY, SEED_LAYERS

SEED_SUMMARY_BODY = {"model": SEED_BODY["model"]}
# What the seed request asks for, per limit: (setting, endpoint, body, the request's value, refusal status).
SEED_BODY_BYTES = len(json.dumps(SEED_BODY).encode())
LIMITS = [
    ("max_body_bytes", "/v1/predict", SEED_BODY, SEED_BODY_BYTES, 413),
    ("max_json_depth", "/v1/predict", SEED_BODY, 5, 400),
    ("max_layers", "/v1/predict", SEED_BODY, 4, 422),
    ("max_input_elements", "/v1/predict", SEED_BODY, 6, 422),
    ("max_batch", "/v1/predict", dict(SEED_BODY, inputs=SEED_BODY["inputs"] * 3), 3, 422),
    ("max_params", "/v1/predict", SEED_BODY, 244, 422),
    ("max_summary_params", "/v1/summary", SEED_SUMMARY_BODY, 244, 422),
    ("max_activation_elements", "/v1/predict", dict(SEED_BODY, inputs=SEED_BODY["inputs"] * 2), 96, 422),
    # Per example, multiply-adds + inputs read + outputs made: Dense 3·2·16 + 6 + 48, Activation 48 + 48,
    # Flatten 48 + 48, Dense 48·4 + 48 + 4; two examples.
    ("max_multiply_adds", "/v1/predict", dict(SEED_BODY, inputs=SEED_BODY["inputs"] * 2), 1172, 422),
    # Four numbers a prediction at 24 bytes each, and its row's 4: for two examples.
    ("max_answer_bytes", "/v1/predict", dict(SEED_BODY, inputs=SEED_BODY["inputs"] * 2), 200, 422),
]


@pytest.mark.parametrize("setting, path, body, value, status", LIMITS, ids=[row[0] for row in LIMITS])
def test_at_the_limit_is_answered_and_one_past_is_refused(make_client, setting, path, body, value, status):
    data = json.dumps(body)
    at_limit = make_client(**{setting: value}).post(path, data=data, content_type="application/json")
    assert at_limit.status_code == 200, at_limit.data
    past = make_client(**{setting: value - 1}).post(path, data=data, content_type="application/json")
    assert past.status_code == status
    assert past.mimetype == "application/problem+json"
    problem = Problem.model_validate_json(past.data)
    assert (problem.limit, problem.limit_value, problem.request_value) == (setting, value - 1, value)
    assert setting in problem.detail


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


HUGE = {
    "2.5e9 params": (
        {"layers": [{"type": "Dense", "units": 50000, "input_shape": [50000]}]},
        [[0.0] * 50000],
        "max_params",
    ),
    "1e8 repeats": (
        {"layers": [{"type": "Dense", "units": 4, "input_shape": [2]}, {"type": "RepeatVector", "n": 10**8}]},
        [[1.0, 2.0]],
        "max_activation_elements",
    ),
    # 15·15·128·256 weights at 64·64 positions: 3.0e10 multiply-adds, within every other limit.
    "huge conv compute": (
        {
            "layers": [
                {"type": "UpSampling2D", "size": 8, "input_shape": [8, 8, 128]},
                {"type": "Conv2D", "filters": 256, "kernel_size": 15, "padding": "same"},
            ]
        },
        None,
        "max_multiply_adds",
    ),
}


@pytest.mark.parametrize("case", HUGE)
def test_huge_requests_are_refused_without_allocating(client, case):
    model, inputs, limit = HUGE[case]
    body = {"model": model, "inputs": inputs or [[[[0.0]]]]}
    if inputs is None:  # inputs within their own limits; the refusal must come from the shapes
        body["inputs"] = [[[[0.0] * 128] * 8] * 8]
    client.post("/v1/predict", json=body)  # first call: lazy imports and caches of any kind settle
    before = _rss_kib()
    for _ in range(3):
        response = client.post("/v1/predict", json=body)
        assert response.status_code == 422, response.data
        assert Problem.model_validate_json(response.data).limit == limit
    assert _rss_kib() - before < 4 * 1024, "refusing must not allocate"


def test_pooling_windows_count_toward_the_compute_limit(client):
    # 701·701 outputs, each the max of a 300·300 window: 4.4e10 reads, with no weights at all.
    layers = [
        {"type": "UpSampling2D", "size": [100, 100], "input_shape": [10, 10, 1]},
        {"type": "MaxPooling2D", "pool_size": [300, 300], "strides": 1},
    ]
    body = {"model": {"layers": layers}, "inputs": [[[[0.5]] * 10] * 10]}
    problem = Problem.model_validate_json(client.post("/v1/predict", json=body).data)
    assert problem.limit == "max_multiply_adds" and problem.request_value > 2e10


def test_summary_of_huge_model_is_answered_without_allocating(client):
    body = {"model": {"layers": [{"type": "Dense", "units": 50000, "input_shape": [50000]}]}}
    client.post("/v1/summary", json=body)
    before = _rss_kib()
    response = client.post("/v1/summary", json=body)
    assert response.status_code == 200 and response.get_json()["params"]["total"] == 2_500_050_000
    assert _rss_kib() - before < 4 * 1024


def test_default_limits_answer_the_seed(client):
    answer = PredictResponse.model_validate_json(client.post("/v1/predict", json=SEED_BODY).data)
    assert answer.output_shape == [1, 4] and len(answer.layers) == len(SEED_LAYERS)


def test_a_cached_model_asked_with_a_larger_batch_is_checked_again(make_client):
    """The model cache answers the second request: the limits that depend on the batch must still apply."""
    client = make_client(max_activation_elements=48 * 3)
    assert client.post("/v1/predict", json=SEED_BODY).status_code == 200
    larger = client.post("/v1/predict", json=dict(SEED_BODY, inputs=SEED_BODY["inputs"] * 4))
    assert larger.status_code == 422
    assert Problem.model_validate_json(larger.data).limit == "max_activation_elements"
    compute = make_client(max_multiply_adds=586)
    assert compute.post("/v1/predict", json=SEED_BODY).status_code == 200
    problem = Problem.model_validate_json(
        compute.post("/v1/predict", json=dict(SEED_BODY, inputs=SEED_BODY["inputs"] * 2)).data
    )
    assert problem.limit == "max_multiply_adds"


def test_the_json_depth_limit_stays_within_what_numpy_can_hold():
    """Inputs nested deeper than 64 could not be one array: a service configured past it refuses to start."""
    with pytest.raises(ValidationError, match="max_json_depth"):
        Settings(max_json_depth=65)
    assert Settings(max_json_depth=64).max_json_depth == 64


# An 11 kB body whose answer is 5,000,000 predictions (issue 21: 108 MB held for a client that never read it).
WIDE_ANSWER = {
    "model": {"layers": [{"type": "Dense", "units": 5000, "input_shape": [1]}]},
    "inputs": [[0.5]] * 1000,
}


def test_a_prediction_whose_answer_is_too_large_is_refused_before_it_runs(make_client):
    client = make_client(max_answer_bytes=10_000_000)
    refused = client.post("/v1/predict", json=WIDE_ANSWER)
    assert refused.status_code == 422
    problem = Problem.model_validate_json(refused.data)
    assert (problem.limit, problem.limit_value) == ("max_answer_bytes", 10_000_000)
    assert problem.request_value >= 5000 * 1000 * 21  # the predictions alone
    assert "KSS_MAX_ANSWER_BYTES" in problem.detail and "max_answer_bytes" in problem.detail
    assert len(engine_of(client).models) == 0  # refused before its weights were allocated
    assert client.post("/v1/predict", json=SEED_BODY).status_code == 200


def test_the_default_answer_limit_refuses_the_wide_answer_and_answers_the_seed(client):
    assert Problem.model_validate_json(client.post("/v1/predict", json=WIDE_ANSWER).data).limit == "max_answer_bytes"
    assert client.post("/v1/predict", json=SEED_BODY).status_code == 200


@pytest.mark.parametrize(
    "model, inputs",
    [
        ({"layers": [{"type": "Dense", "units": 300, "input_shape": [3]}]}, [[0.1, -2.0, 3e5]] * 40),
        (
            {"layers": [{"type": "Conv1D", "filters": 7, "kernel_size": 2, "input_shape": [9, 2]}]},
            [[[0.3, -1.0]] * 9] * 5,
        ),
        (
            {"layers": [{"type": "Conv2D", "filters": 3, "kernel_size": 1, "input_shape": [4, 5, 2]}]},
            [[[[1e-9, 2.5]] * 5] * 4] * 3,
        ),
    ],
    ids=["dense", "conv1d", "conv2d"],
)
def test_the_answer_estimate_is_not_below_the_predictions_as_sent(client, model, inputs):
    """The estimate bounds what the answer's predictions take as JSON, and is not far above it."""
    from keras_shape_service.guards.limits import answer_bytes

    answer = client.post("/v1/predict", json={"model": model, "inputs": inputs})
    assert answer.status_code == 200, answer.data
    sent = json.loads(answer.data)
    predictions = json.dumps(sent["predictions"], separators=(",", ":")).encode()
    estimate = answer_bytes((tuple([None] + sent["output_shape"][1:]),), len(inputs))
    assert len(predictions) <= estimate <= 3 * len(predictions)


@pytest.mark.parametrize(
    "model, loc",
    [
        ({"layers": [{"type": "Dense", "units": 2, "input_shape": [3], "scale": [0.5] * 20}]}, ["scale"]),
        ({"layers": [{"type": "Rescaling", "scale": [[0.5] * 5] * 4, "input_shape": [5]}]}, ["scale", 2]),
        (
            {
                "class_name": "Sequential",
                "config": {
                    "name": "s",
                    "layers": [
                        {"class_name": "InputLayer", "config": {"batch_shape": [None, 3], "name": "x"}},
                        {"class_name": "Rescaling", "config": {"name": "r", "scale": [0.5] * 20, "offset": 0.0}},
                    ],
                },
            },
            ["scale"],
        ),
    ],
    ids=["concise-unknown-argument", "concise-nested-lists", "to_json-config"],
)
def test_a_layers_arguments_past_max_config_values_are_refused_where_they_grow(make_client, model, loc):
    """A list of 1,000,000 numbers as an argument took Keras 6 s to refuse (its error prints it) or to answer (a
    Rescaling's scale, echoed in 5 MB): each layer's arguments hold at most max_config_values JSON values."""
    response = make_client(max_config_values=12).post("/v1/summary", json={"model": model})
    assert response.status_code == 422
    problem = Problem.model_validate_json(response.data)
    assert (problem.limit, problem.limit_value) == ("max_config_values", 12)
    assert problem.request_value > 12
    assert "values counted in the arguments of layer" in problem.detail and "`weights`" in problem.detail
    assert problem.errors[0].loc[-len(loc) :] == loc


def test_the_default_max_config_values_answers_a_normalization_of_many_features(client):
    features = 1_000
    layer = {"type": "Normalization", "mean": [0.0] * features, "variance": [1.0] * features}
    response = client.post("/v1/summary", json={"model": {"layers": [layer | {"input_shape": [features]}]}})
    assert response.status_code == 200, response.get_json()
