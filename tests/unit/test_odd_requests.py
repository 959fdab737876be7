"""Odd requests found in review: each gets a clear 4xx or the right answer, never a 500 or an allocation."""

import json
import resource

import pytest

from keras_shape_service.schemas import PredictResponse, Problem, SummaryResponse
from tests.conftest import engine_of

ODD = {
    "batch_input_shape that is not a list": (
        "/v1/summary",
        {"model": {"layers": [{"class_name": "Dense", "config": {"units": 2, "batch_input_shape": 5}}]}},
        ["model", "layers", 0, "batch_input_shape"],
    ),
    "InputLayer shape that is not a list": (
        "/v1/summary",
        {"model": {"layers": [{"class_name": "InputLayer", "config": {"shape": 5}}, {"type": "Dense", "units": 2}]}},
        ["model", "layers", 0, "input_shape"],
    ),
    "a model that is only an InputLayer": (
        "/v1/predict",
        {"model": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 1]}}]}, "inputs": [[1]]},
        ["model", "layers"],
    ),
    "Embedding with an input_dim that is not an integer": (
        "/v1/predict",
        {
            "model": {
                "layers": [{"class_name": "Embedding", "config": {"input_dim": "abc", "output_dim": 2}}],
                "input_shape": [3],
            },
            "inputs": [[0, 1, 2]],
        },
        ["model", "layers", 0],
    ),
    "an integer too large for a float32": (
        "/v1/predict",
        {"model": {"layers": [{"type": "Flatten"}]}, "inputs": [[10**400]]},
        ["inputs", 0, 0],
    ),
    "params past int64": (  # 4 x (2^31 - 1)^2 > 2^63, each axis within the schema's bound
        "/v1/summary",
        {
            "model": {
                "layers": [
                    {
                        "type": "Conv2D",
                        "filters": 4,
                        "kernel_size": [2**31 - 1, 2**31 - 1],
                        "padding": "same",
                        "use_bias": False,
                        "input_shape": [2, 2, 1],
                    }
                ]
            }
        },
        None,
    ),
}


@pytest.mark.parametrize("case", ODD)
def test_odd_request_is_a_4xx_at_its_location(client, case):
    path, body, loc = ODD[case]
    response = client.post(path, data=json.dumps(body), content_type="application/json")
    assert 400 <= response.status_code < 500, response.data
    problem = Problem.model_validate_json(response.data)
    if loc is None:
        assert problem.limit == "max_summary_params" and problem.request_value == 4 * (2**31 - 1) ** 2
    else:
        assert problem.errors[0].loc == loc, problem


def test_a_float_literal_too_large_for_a_float_is_400(client):
    data = (
        '{"model": {"layers": [{"class_name": "Dense", "config": {"units": 2, "bias_initializer": '
        '{"class_name": "Constant", "config": {"value": 1e400}}}}]}, "inputs": [[1.0]]}'
    )
    response = client.post("/v1/predict", data=data, content_type="application/json")
    assert response.status_code == 400 and "1e400" in Problem.model_validate_json(response.data).detail


def test_a_failing_call_answers_the_same_bytes_cached_or_not(client):
    body = {
        "model": {
            "layers": [{"type": "CategoryEncoding", "num_tokens": 3, "output_mode": "count", "input_shape": [2]}]
        },
        "inputs": [[1, -1]],
    }
    answers = [
        client.post("/v1/predict", data=json.dumps(body, indent=i), content_type="application/json") for i in range(3)
    ]
    assert {a.status_code for a in answers} == {422} and len({a.data for a in answers}) == 1
    problem = Problem.model_validate_json(answers[0].data)
    assert problem.errors[0].loc == ["model", "layers", 0] and "/work" not in problem.detail


def test_normalization_is_refused_before_it_allocates_a_huge_broadcast(client):
    layer = {"type": "Normalization", "mean": 0.0, "variance": 1.0, "axis": [1, 2], "input_shape": [8000, 8000]}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    problem = Problem.model_validate_json(client.post("/v1/summary", json={"model": {"layers": [layer]}}).data)
    assert problem.limit == "max_activation_elements" and problem.request_value == 64_000_000
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # 256 MB if it had built
    small = dict(layer, axis=-1, input_shape=[3])
    answer = client.post("/v1/predict", json={"model": {"layers": [small]}, "inputs": [[1.0, 2.0, 3.0]]})
    assert PredictResponse.model_validate_json(answer.data).predictions == [[1.0, 2.0, 3.0]]


def test_the_cache_does_not_keep_the_clients_weight_lists(client):
    weights = [[[0.5] * 64 for _ in range(64)], [0.0] * 64]
    body = {
        "model": {"layers": [{"type": "Dense", "units": 64, "input_shape": [64], "weights": weights}]},
        "inputs": [[1.0] * 64],
    }
    assert client.post("/v1/predict", json=body).status_code == 200
    models = engine_of(client).models
    assert models._entries and all(not ready.spec.weights for ready in models._entries.values())


def test_summary_still_answers_a_model_whose_totals_are_large(client):
    body = {"model": {"layers": [{"type": "Dense", "units": 50000, "input_shape": [50000]}]}}
    assert SummaryResponse.model_validate_json(client.post("/v1/summary", json=body).data).params.total == 2_500_050_000
