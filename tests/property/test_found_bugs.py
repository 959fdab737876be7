"""Minimal cases of the service bugs the properties found, kept as examples so they stay fixed. An open one
would fail on purpose here (strict xfail) until fixed, naming the detour the strategies take meanwhile."""
import pytest

from schemas import PredictResponse, Problem

pytestmark = pytest.mark.property


def _post(client, path, layers, inputs):
    body = {"model": {"layers": layers}, **({"inputs": inputs} if path == "/v1/predict" else {})}
    return client.post(path, json=body)


@pytest.mark.parametrize("path", ["/v1/summary", "/v1/predict"])
@pytest.mark.parametrize("layer", [{"type": "Dense", "units": 4, "activation": "glu"},
                                   {"type": "Activation", "activation": "glu"}])
def test_a_glu_layer_is_refused_rather_than_misreported(client, path, layer):
    """glu halves the last axis while Keras's shape inference keeps it: the layer table said [null, 4] while
    the predictions were [1, 2] (property 1)."""
    response = _post(client, path, [dict(layer, input_shape=[4])], [[1.0, 2.0, 3.0, 4.0]])
    assert response.status_code == 422
    assert Problem.model_validate_json(response.data).errors[0].loc == ["model", "layers", 0]


def test_rescaling_without_offset_is_valid(client):
    """Keras's Rescaling.from_config reads 'offset', which its constructor defaults: it was refused (422)."""
    response = _post(client, "/v1/predict", [{"type": "Rescaling", "scale": 0.5, "input_shape": [2]}], [[1.0, 2.0]])
    assert response.status_code == 200, response.get_json()
    assert PredictResponse.model_validate_json(response.data).predictions == [[0.5, 1.0]]


@pytest.mark.parametrize("path", ["/v1/summary", "/v1/predict"])
def test_a_layer_of_the_wrong_rank_is_located(client, path):
    """The refusal was located at ["model"] only (property 9)."""
    layers = [{"type": "Dense", "units": 2, "input_shape": [3]}, {"type": "LSTM", "units": 2}]
    response = _post(client, path, layers, [[1.0, 2.0, 3.0]])
    assert response.status_code == 422
    assert Problem.model_validate_json(response.data).errors[0].loc == ["model", "layers", 1]


@pytest.mark.parametrize("layer", [{"type": "Activation", "activation": "threshold"},
                                   {"type": "Dense", "units": 3, "activation": "threshold"}])
def test_summary_refuses_what_predict_refuses(client, layer):
    """An activation that fails only when called (threshold needs arguments) was summarized with a 200 while
    /v1/predict refused the model (properties 8 and 9)."""
    layers = [dict(layer, input_shape=[2])]
    assert _post(client, "/v1/predict", layers, [[1.0, 2.0]]).status_code == 422
    assert _post(client, "/v1/summary", layers, None).status_code == 422
