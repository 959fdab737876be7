"""Dtypes: a layer may name a mixed precision policy (it computes in bfloat16 or float16, keeps float32 weights);
an input's tensor holds one real dtype, and anything else is the client's 422 saying which dtypes it may hold,
in every form (Keras raises a bare ValueError for a policy there: a 500 once)."""

import json

import keras
import numpy as np
import pytest

from keras_shape_service.schemas import Problem, SummaryResponse

TENSOR_DTYPES = "float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64"


def _refused(client, body, path="/v1/summary") -> Problem:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.get_json()
    return Problem.model_validate_json(response.data)


def _functional_document(input_dtype: str) -> dict:
    """Keras's own to_json of Input(3) -> Dense(4), with its input's dtype replaced."""
    features = keras.Input(shape=(3,), name="features")
    document = json.loads(keras.Model(features, keras.layers.Dense(4, name="head")(features)).to_json())
    input_layer = document["config"]["layers"][0]
    assert input_layer["class_name"] == "InputLayer"
    input_layer["config"]["dtype"] = input_dtype
    return document


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_a_layer_computing_under_a_mixed_policy_answers_as_keras_builds_it(client, policy):
    built = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, dtype=policy)])
    layer = {"type": "Dense", "units": 4, "input_shape": [3], "dtype": policy}
    response = client.post("/v1/summary", json={"model": {"layers": [layer]}})
    assert response.status_code == 200, response.get_json()
    answer = SummaryResponse.model_validate_json(response.data)
    assert answer.params.total == built.count_params() == 16
    assert answer.layers[0].output_shape == list(built.layers[0].output.shape)
    prediction = client.post("/v1/predict", json={"model": {"layers": [layer]}, "inputs": [[1.0, 2.0, 3.0]]})
    assert prediction.status_code == 200, prediction.get_json()
    assert np.shape(prediction.get_json()["predictions"]) == (1, 4)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_a_policy_as_an_inputs_dtype_is_refused_by_the_schema_naming_the_dtypes(client, policy):
    model = {"inputs": [{"name": "x", "shape": [3], "dtype": policy}], "layers": [{"type": "Dense", "units": 4}]}
    problem = _refused(client, {"model": model})
    assert problem.errors[0].loc == ["model", "inputs", 0, "dtype"]
    assert "'float32'" in problem.errors[0].msg and "'uint64'" in problem.errors[0].msg
    assert policy not in problem.errors[0].msg


def test_a_policy_as_an_input_layers_dtype_in_keras_json_is_a_422_at_that_input(client):
    problem = _refused(client, {"model": _functional_document("mixed_bfloat16")})
    assert problem.title == "Keras rejected the model"
    assert problem.errors[0].loc == ["model", "config", "layers", 0]
    message = problem.errors[0].msg
    assert message.startswith("input 'features' has dtype 'mixed_bfloat16': Keras refuses it")
    assert f"An input's dtype is one of {TENSOR_DTYPES}" in message
    assert "mixed_float16 and mixed_bfloat16 are dtype policies, which a layer's dtype may name" in message
    with_inputs = {"model": _functional_document("mixed_bfloat16"), "inputs": [[1.0, 2.0, 3.0]]}
    assert _refused(client, with_inputs, "/v1/predict").errors[0].loc == ["model", "config", "layers", 0]


@pytest.mark.parametrize("dtype", ["float", "bool", "string", "complex64", "float8_e4m3fn"])
def test_an_input_dtype_that_is_no_real_tensor_dtype_is_a_422_naming_the_dtypes(client, dtype):
    problem = _refused(client, {"model": _functional_document(dtype)})
    assert problem.errors[0].msg.startswith(f"input 'features' has dtype '{dtype}'")
    assert f"An input's dtype is one of {TENSOR_DTYPES}" in problem.errors[0].msg


def test_the_keras_json_of_a_real_input_dtype_still_answers(client):
    response = client.post("/v1/summary", json={"model": _functional_document("int32")})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["params"]["total"] == 16


def test_code_giving_an_input_a_policy_is_refused_on_the_input_it_reads(client):
    code = (
        "import keras\nx = keras.Input(shape=(3,), dtype='mixed_bfloat16')\n"
        "model = keras.Model(x, keras.layers.Dense(4)(x))\n"
    )
    problem = _refused(client, {"code": code})
    assert problem.errors[0].loc == ["model", "inputs", 0, "dtype"]
    assert problem.detail.startswith("the code reads as a model the service refuses")
