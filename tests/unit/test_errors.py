"""Every class of bad request gets an RFC 9457 problem+json 4xx that says what is wrong and where."""

import pytest

from keras_shape_service.schemas import Problem
from keras_shape_service.schemas.examples import SEED_INPUTS
from tests.forms import SEED_BODY, SEED_LAYERS


def _problem(response, status):
    assert response.status_code == status, response.data
    assert response.mimetype == "application/problem+json"
    problem = Problem.model_validate_json(response.data)
    assert problem.status == status
    return problem


def _body(layers, inputs=SEED_INPUTS, **model):
    return {"model": {"layers": layers, **model}, "inputs": inputs}


def test_malformed_json_is_400(client):
    problem = _problem(client.post("/v1/predict", data=b'{"model": ', content_type="application/json"), 400)
    assert "not valid JSON" in problem.detail


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused(client, literal):
    data = f'{{"model": {{"layers": [{{"type": "Dense", "units": 1}}]}}, "inputs": [[{literal}]]}}'
    problem = _problem(client.post("/v1/predict", data=data, content_type="application/json"), 400)
    assert literal.lstrip("-") in problem.detail


def test_wrong_content_type_is_415(client):
    problem = _problem(client.post("/v1/predict", data="{}", content_type="text/plain"), 415)
    assert "application/json" in problem.detail


def test_a_415_on_a_route_that_takes_model_files_names_the_upload_too(client):
    """A model file sent as the raw body (curl --data-binary @model.keras) is told how an upload is sent."""
    response = client.post("/v1/summary", data=b"PK\x03\x04", content_type="application/octet-stream")
    assert _problem(response, 415).detail == (
        "send the body as application/json, or a model file as multipart/form-data (its part `model`, as "
        "curl -F model=@model.keras sends it), not application/octet-stream"
    )


def test_unknown_route_and_method_are_problems_too(client):
    _problem(client.get("/v3/predict"), 404)  # under /v2, the inference protocol answers {"error"}
    response = client.get("/v1/predict")
    _problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_invalid_field_names_its_json_location(client):
    layers = SEED_LAYERS[:3] + [{"type": "Dense", "units": 0}]
    problem = _problem(client.post("/v1/predict", json=_body(layers)), 422)
    assert problem.errors[0].loc == ["model", "layers", 3, "units"]
    assert "greater than 0" in problem.errors[0].msg


@pytest.mark.parametrize(
    "inputs, loc, words",
    [
        ([[[1, 2], [3, 4], [5]]], ["inputs", 0, 2], "ragged"),
        ([[[1, 2], [3, True], [5, 6]]], ["inputs", 0, 1, 1], "number"),
        ([[[1, 2], [3, "4"], [5, 6]]], ["inputs", 0, 1, 1], "number"),
        ([], ["inputs"], "at least 1"),
    ],
)
def test_bad_inputs_are_422_at_their_location(client, inputs, loc, words):
    problem = _problem(client.post("/v1/predict", json=_body(SEED_LAYERS, inputs)), 422)
    assert problem.errors[0].loc == loc
    assert words in problem.errors[0].msg


def test_a_spec_sent_to_predict_without_inputs_is_refused_at_inputs(client):
    problem = _problem(client.post("/v1/predict", json={"model": {"layers": SEED_LAYERS}}), 422)
    assert problem.errors[0].loc == ["inputs"]
    assert problem.errors[0].msg == "inputs are required with model (only code may leave them to its predict call)"
    assert problem.detail == f'1 invalid field(s); first at ["inputs"]: {problem.errors[0].msg}'


def test_inputs_of_the_wrong_shape_say_what_the_model_takes(client):
    problem = _problem(client.post("/v1/predict", json=_body(SEED_LAYERS, [[[1, 2, 3]]])), 422)
    assert problem.errors[0].loc == ["inputs"]
    assert "[1, 1, 3]" in problem.detail and "[batch, 3, 2]" in problem.detail


def test_keras_refusal_carries_keras_message_and_the_layer(client):
    layers = [{"type": "Dense", "units": 4, "input_shape": [6]}, {"type": "Reshape", "target_shape": [4, 4]}]
    problem = _problem(client.post("/v1/predict", json=_body(layers, [[1, 2, 3, 4, 5, 6]])), 422)
    assert "total size of the tensor must be unchanged" in problem.detail
    assert "\x1b" not in problem.detail and "keras_tensor" not in problem.detail
    assert problem.errors[0].loc == ["model", "layers", 1]


def test_unknown_keras_argument_is_keras_own_message(client):
    layers = [{"type": "Dense", "units": 4, "input_shape": [2], "unitz": 3}]
    problem = _problem(client.post("/v1/predict", json=_body(layers, [[1, 2]])), 422)
    assert "unitz" in problem.detail
    assert problem.errors[0].loc == ["model", "layers", 0]


@pytest.mark.parametrize("layer_type", ["Lambda", "TFSMLayer", "NoSuchLayer"])
def test_refused_layer_types(client, layer_type):
    problem = _problem(client.post("/v1/predict", json=_body([{"type": layer_type}], [[1.0]])), 422)
    assert problem.errors[0].loc == ["model", "layers", 0, "type"]
    assert layer_type in problem.errors[0].msg


def test_weights_of_the_wrong_shape_name_the_layer_and_the_expected_shapes(client):
    layers = [dict(SEED_LAYERS[0], weights=[[[1.0] * 16], [0.0] * 16])] + SEED_LAYERS[1:]
    problem = _problem(client.post("/v1/predict", json=_body(layers)), 422)
    assert problem.errors[0].loc == ["model", "layers", 0, "weights"]
    assert "'dense'" in problem.detail and "[[2, 16], [16]]" in problem.detail and "[[1, 16], [16]]" in problem.detail


def test_unknown_loss_is_refused(client):
    body = _body(SEED_LAYERS, compile={"loss": "no_such_loss", "optimizer": "SGD"})
    problem = _problem(client.post("/v1/predict", json=body), 422)
    assert problem.errors[0].loc == ["model", "compile", "loss"]


def test_summary_without_any_input_shape_is_422(client):
    layers = [{"type": "Dense", "units": 3}]
    problem = _problem(client.post("/v1/summary", json={"model": {"layers": layers}}), 422)
    assert "input shape is unknown" in problem.detail


def test_nonpositive_input_axis_is_refused(client):
    layers = [{"type": "Dense", "units": 3}]
    problem = _problem(client.post("/v1/summary", json={"model": {"layers": layers, "input_shape": [0, 2]}}), 422)
    assert problem.errors[0].loc == ["model", "input_shape", 0]


def test_unknown_top_level_field_is_refused(client):
    problem = _problem(client.post("/v1/predict", json=dict(SEED_BODY, sed=1)), 422)
    assert problem.errors[0].loc == ["sed"]


@pytest.mark.parametrize("path", ["/v1/summary", "/v1/predict"])
@pytest.mark.parametrize("activation, words", [("glu", "halves the last axis"), ("threshold", "needs the arguments")])
def test_activations_keras_cannot_shape_or_run_by_name_are_refused_by_both_endpoints(client, path, activation, words):
    layers = [{"type": "Dense", "units": 4, "input_shape": [3]}, {"type": "Activation", "activation": activation}]
    body = {"model": {"layers": layers}, **({"inputs": [[1.0, 2.0, 3.0]]} if path == "/v1/predict" else {})}
    problem = _problem(client.post(path, json=body), 422)
    assert words in problem.detail
    assert problem.errors[0].loc == ["model", "layers", 1]


def test_an_answer_that_fails_its_own_model_is_a_logged_500_never_a_4xx(make_client, caplog):
    """Only a request's body failing its model is the client's fault: a route whose answer fails
    PredictResponse (here a real pydantic error, through the app's one error mapping) is ours."""
    from keras_shape_service.schemas import PredictResponse

    client = make_client()

    def broken_answer():
        return PredictResponse.model_validate({"output_shape": [1], "predictions": [1 + 2j]}).model_dump_json()

    client.application.add_url_rule("/broken", "broken", broken_answer)
    with caplog.at_level("ERROR"):
        response = client.get("/broken")
    problem = _problem(response, 500)
    assert problem.title == "Internal Server Error" and "PredictResponse" not in problem.detail
    assert any("unhandled error" in record.message for record in caplog.records)


def test_options_is_no_method_of_the_api(client):
    response = client.open("/v1/predict", method="OPTIONS")
    _problem(response, 405)
    assert response.headers["Allow"] == "POST"
