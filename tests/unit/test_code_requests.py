"""Code in place of a spec: POST /v1/predict and /v1/summary read pasted Keras code (never running it) and answer
as for the spec it reads as, which the answer carries as `model`."""

import pytest

from keras_shape_service.schemas import PredictResponse, Problem, SummaryResponse
from keras_shape_service.schemas.examples import SEED_CODE, SEED_INPUTS, SEED_MODEL

SEED_CODE_NO_FLATTEN = SEED_CODE.replace("model.add(Flatten())\n", "")
FUNCTIONAL_CODE = """import keras
from keras import layers
features = keras.Input(shape=(8,), name="features")
trunk = layers.Dense(16, activation="relu", name="trunk")(features)
left = layers.Dense(4, name="left")(trunk)
right = layers.Dense(3, name="right")(trunk)
both = layers.concatenate([left, right])
model = keras.Model(features, both)
"""


def _post(client, path, body, status=200):
    response = client.post(path, json=body)
    assert response.status_code == status, response.get_json()
    return response


def test_the_seed_code_as_pasted_predicts_one_vector_per_example(client):
    answer = PredictResponse.model_validate_json(_post(client, "/v1/predict", {"code": SEED_CODE}).data)
    assert answer.output_shape == [1, 4]
    assert answer.params.total == 244
    assert [row.output_shape for row in answer.layers] == [[None, 3, 16], [None, 3, 16], [None, 48], [None, 4]]
    assert answer.model == SEED_MODEL


def test_without_the_flatten_line_dense_keeps_the_three_rows(client):
    answer = PredictResponse.model_validate_json(_post(client, "/v1/predict", {"code": SEED_CODE_NO_FLATTEN}).data)
    assert answer.output_shape == [1, 3, 4]
    assert answer.params.total == 116
    summary = SummaryResponse.model_validate_json(_post(client, "/v1/summary", {"code": SEED_CODE_NO_FLATTEN}).data)
    assert summary.params.total == 116 and summary.model["layers"][-1] == {"type": "Dense", "units": 4}


def test_functional_code_answers_as_keras_builds_it_and_its_spec_answers_the_same(client):
    import keras

    features = keras.Input(shape=(8,), name="features")
    trunk = keras.layers.Dense(16, activation="relu")(features)
    both = keras.layers.concatenate([keras.layers.Dense(4)(trunk), keras.layers.Dense(3)(trunk)])
    built = keras.Model(features, both)
    from_code = _post(client, "/v1/summary", {"code": FUNCTIONAL_CODE}).get_json()
    assert from_code["params"]["total"] == built.count_params()
    assert [row["output_shape"] for row in from_code["layers"]] == [list(layer.output.shape) for layer in built.layers]
    from_spec = _post(client, "/v1/summary", {"model": from_code.pop("model")}).get_json()
    assert from_code == from_spec


def test_inputs_given_win_over_the_array_the_code_predicts_on(client):
    two = [SEED_INPUTS[0], SEED_INPUTS[0]]
    answer = _post(client, "/v1/predict", {"code": SEED_CODE, "inputs": two}).get_json()
    assert answer["output_shape"] == [2, 4]


def test_code_without_a_predict_array_and_no_inputs_is_refused_on_inputs(client):
    code = "model = Sequential()\nmodel.add(Dense(4, input_shape=(3,)))\n"
    problem = Problem.model_validate_json(_post(client, "/v1/predict", {"code": code}, 422).data)
    assert problem.errors[0].loc == ["inputs"] and "predict" in problem.detail
    assert _post(client, "/v1/summary", {"code": code}).get_json()["params"]["total"] == 16


@pytest.mark.parametrize(
    "code, line, column, words",
    [
        ("model = Sequential()\nmodel.add(Dense(16,, input_shape=(3, 2)))\n", 2, 20, "not valid Python"),
        ("import os\nos.system('ls')\n", 1, 8, "importing `os` is refused"),
        ("model = Sequential()\nfor i in range(3):\n    model.add(Dense(4))\n", 2, 1, "loop"),
        ("model = Sequential()\nmodel.add(Dense(4, input_shape=(3,)))\nopen('/etc/passwd')\n", 3, 1, "open"),
    ],
)
def test_code_refusals_are_problems_naming_line_and_column(client, code, line, column, words):
    response = _post(client, "/v1/summary", {"code": code}, 422)
    assert response.mimetype == "application/problem+json"
    problem = Problem.model_validate_json(response.data)
    assert (problem.line, problem.column) == (line, column)
    assert problem.errors[0].loc == ["code"]
    assert words in problem.detail and problem.detail.startswith(f"line {line}, column {column}")


def test_a_spec_read_from_code_meets_the_checks_a_json_spec_meets(client):
    code = "model = Sequential()\nmodel.add(Dense(-4, input_shape=(3,)))\n"
    problem = _post(client, "/v1/summary", {"code": code}, 422).get_json()
    assert problem["errors"][0]["loc"] == ["model", "layers", 0, "units"]
    assert problem["detail"].startswith("the code reads as a model the service refuses")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"code": SEED_CODE, "model": SEED_MODEL},
        {"model": SEED_MODEL},
        {"code": ""},
        {"code": None},
        {"model": None, "code": SEED_CODE},
    ],
)
def test_exactly_one_of_model_and_code_and_inputs_with_a_model(client, body):
    problem = _post(client, "/v1/predict", body, 422).get_json()
    assert problem["title"] == "Invalid request"


def test_the_document_offers_the_seed_code_as_an_example_and_forbids_both_forms(client):
    document = client.get("/openapi.json").get_json()
    for path in ("/v1/predict", "/v1/summary", "/v1/diagram"):
        examples = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]
        assert examples["code"]["value"] == {"code": SEED_CODE}
    schemas = document["components"]["schemas"]
    assert schemas["SummaryRequest"]["oneOf"] == [{"required": ["model"]}, {"required": ["code"]}]
    assert schemas["PredictRequest"]["oneOf"] == [{"required": ["model", "inputs"]}, {"required": ["code"]}]
    assert schemas["SummaryRequest"]["not"] == schemas["PredictRequest"]["not"] == {"required": ["model", "code"]}
    assert {"line", "column"} <= set(schemas["Problem"]["properties"])
