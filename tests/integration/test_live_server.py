"""Real HTTP against the real gunicorn server."""

import json

import pytest
import requests

from keras_shape_service.schemas import PredictResponse, Problem, SummaryResponse
from tests.forms import RECURRENT_LAYERS, SEED_BODY, SEED_LAYERS_NO_FLATTEN, document_form

pytestmark = pytest.mark.integration


def test_the_seed_request_over_http(server, http):
    response = http.post(f"{server}/v1/predict", json=SEED_BODY, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    answer = PredictResponse.model_validate_json(response.content)
    assert answer.output_shape == [1, 4] and answer.params.total == 244
    assert [r.params for r in answer.layers] == [48, 0, 0, 196]


def test_identical_requests_get_identical_bodies_from_any_worker(server, http):
    # A new connection for each request (a kept-alive one stays with one worker), and another spelling of
    # the body each time, so that no worker answers from its answer cache.
    bodies = {
        requests.post(
            f"{server}/v1/predict",
            data=json.dumps(SEED_BODY, indent=i),
            timeout=30,
            headers={"Content-Type": "application/json", "Connection": "close"},
        ).content
        for i in range(8)
    }
    assert len(bodies) == 1
    body = {"model": {"layers": SEED_LAYERS_NO_FLATTEN}, "inputs": SEED_BODY["inputs"]}
    answer = PredictResponse.model_validate_json(http.post(f"{server}/v1/predict", json=body, timeout=30).content)
    assert answer.output_shape == [1, 3, 4] and answer.params.total == 116


def test_document_form_summary_over_http(server, http):
    response = http.post(f"{server}/v1/summary", json={"model": document_form(RECURRENT_LAYERS)}, timeout=30)
    answer = SummaryResponse.model_validate_json(response.content)
    assert [r.output_shape for r in answer.layers] == [[None, 4, 5], [None, 2], [None, 1]]


def test_summary_of_a_huge_model_allocates_nothing(server, http):
    body = {"model": {"layers": [{"type": "Dense", "units": 50000, "input_shape": [50000]}]}}
    answer = SummaryResponse.model_validate_json(http.post(f"{server}/v1/summary", json=body, timeout=30).content)
    assert answer.params.total == 50000 * 50001 and "Total params: 2,500,050,000" in answer.summary


@pytest.mark.parametrize(
    "data, content_type, status",
    [
        (b"{", "application/json", 400),
        (b"{}", "text/plain", 415),
        (b'{"model": {"layers": [{"type": "Lambda"}]}, "inputs": [[1]]}', "application/json", 422),
    ],
)
def test_bad_requests_are_problems_over_http(server, http, data, content_type, status):
    response = http.post(f"{server}/v1/predict", data=data, headers={"Content-Type": content_type}, timeout=30)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert Problem.model_validate_json(response.content).status == status


def test_openapi_and_health_over_http(server, http):
    assert http.get(f"{server}/healthz", timeout=5).json() == {"status": "ok"}
    assert "/v1/predict" in http.get(f"{server}/openapi.json", timeout=5).json()["paths"]


def test_a_to_json_document_with_a_mask_node_and_dict_outputs_over_http(server, http):
    """Through gunicorn and an executor process: a Functional to_json with a NotEqual mask node, an Add node
    (`+`) and a dict of outputs, answered keyed by output name with Keras's numbers."""
    import keras
    import numpy as np

    tokens = keras.Input((None,), dtype="int32", name="tokens")
    read = keras.layers.GRU(4, name="gru")(keras.layers.Embedding(20, 4, mask_zero=True)(tokens))
    outputs = {"score": keras.layers.Dense(1, name="score")(read), "mixed": keras.layers.Dense(4)(read) + read}
    model = keras.Model(tokens, outputs)
    padded = np.array([[3, 9, 4, 0], [7, 0, 0, 0]], dtype=np.int32)
    weights = {layer.name: [w.tolist() for w in layer.get_weights()] for layer in model.layers if layer.weights}
    body = {"model": json.loads(model.to_json()), "inputs": padded.tolist(), "weights": weights}
    response = http.post(f"{server}/v1/predict", json=body, timeout=60)
    assert response.status_code == 200, response.text
    answer = PredictResponse.model_validate_json(response.content)
    expected = model.predict(padded, verbose=0)
    assert isinstance(answer.predictions, dict) and set(answer.predictions) == {"score", "mixed"}
    for key, value in expected.items():
        np.testing.assert_allclose(np.array(answer.predictions[key]), value, atol=1e-6, rtol=0)
    assert answer.output_shape == {"score": [2, 1], "mixed": [2, 4]}
    assert [row.type for row in answer.layers].count("NotEqual") == 1
