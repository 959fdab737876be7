"""tritonclient's HTTP client against the real gunicorn service, serving a model repository: the seed model
and a file it refuses. What an Open Inference Protocol v2 harness does, unchanged: with tritonclient's defaults
(binary tensors in and out), with binary_data=False (JSON), compressed both ways."""

import json

import numpy as np
import pytest
import requests
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from keras_shape_service.schemas import PredictResponse
from keras_shape_service.schemas.examples import SEED_INPUTS
from tests.forms import SEED_LAYERS
from tests.integration.conftest import live_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """gunicorn with KSS_MODEL_REPOSITORY: seed.json as deploy/models has it, a refused file beside it."""
    repository = tmp_path_factory.mktemp("models")
    (repository / "seed.json").write_text(json.dumps({"layers": SEED_LAYERS}))
    (repository / "bad.json").write_text(json.dumps({"layers": [{"type": "Lambda", "function": "os.system"}]}))
    log = tmp_path_factory.mktemp("oip") / "gunicorn.log"
    with live_server(
        log, WEB_CONCURRENCY="1", KSS_EXECUTORS="2", KSS_MAX_EXECUTORS="2", KSS_MODEL_REPOSITORY=str(repository)
    ) as (process, address):
        yield address
    # by name, once: by the first of the two executors to publish what it read
    assert log.read_text().count("model repository: bad.json refused: ") == 1


@pytest.fixture(scope="module")
def triton(url):
    client = httpclient.InferenceServerClient(url.removeprefix("http://"))
    yield client
    client.close()


def test_health_and_server_metadata(triton):
    assert triton.is_server_live() and triton.is_server_ready()
    assert triton.is_model_ready("seed") and not triton.is_model_ready("bad")
    metadata = triton.get_server_metadata()
    assert metadata["name"] == "keras-shape-service" and metadata["extensions"] == ["binary_tensor_data"]


def test_model_metadata(triton):
    metadata = triton.get_model_metadata("seed")
    assert metadata["platform"] == "keras"
    assert metadata["inputs"] == [{"name": "input_layer", "datatype": "FP32", "shape": [-1, 3, 2]}]
    assert metadata["outputs"] == [{"name": "dense_1", "datatype": "FP32", "shape": [-1, 4]}]


def test_infer_on_the_seed_model_answers_what_v1_predict_answers(triton, url):
    tensor = httpclient.InferInput("input_layer", [1, 3, 2], "FP32")
    tensor.set_data_from_numpy(np.array(SEED_INPUTS, dtype=np.float32), binary_data=False)
    result = triton.infer("seed", [tensor], outputs=[httpclient.InferRequestedOutput("dense_1", binary_data=False)])
    output = result.as_numpy("dense_1")
    assert output.shape == (1, 4)
    expected = PredictResponse.model_validate_json(
        requests.post(
            f"{url}/v1/predict", timeout=30, json={"model": {"layers": SEED_LAYERS}, "inputs": SEED_INPUTS, "seed": 0}
        ).content
    )
    np.testing.assert_array_equal(output, np.array(expected.predictions, dtype=np.float32))


def v1_predictions(url, inputs):
    """What /v1/predict answers for the seed model on these inputs (JSON numbers)."""
    answer = requests.post(
        f"{url}/v1/predict", timeout=30, json={"model": {"layers": SEED_LAYERS}, "inputs": inputs, "seed": 0}
    )
    return np.array(PredictResponse.model_validate_json(answer.content).predictions)


BATCH = np.random.default_rng(0).uniform(-2, 2, (5, 3, 2))


def test_tritonclients_defaults_binary_in_binary_out_give_v1_predicts_numbers(triton, url):
    tensor = httpclient.InferInput("input_layer", [5, 3, 2], "FP32")
    tensor.set_data_from_numpy(BATCH.astype(np.float32))  # binary_data=True; no outputs named: binary_data_output
    result = triton.infer("seed", [tensor])
    output = result.get_output("dense_1")
    assert output["parameters"]["binary_data_size"] == 5 * 4 * 4 and "data" not in output
    np.testing.assert_allclose(
        result.as_numpy("dense_1"), v1_predictions(url, BATCH.astype(np.float32).tolist()), atol=1e-6
    )


def test_json_inputs_with_binary_data_output_and_binary_outputs_asked_for(triton, url):
    tensor = httpclient.InferInput("input_layer", [5, 3, 2], "FP32")
    tensor.set_data_from_numpy(BATCH.astype(np.float32), binary_data=False)
    expected = v1_predictions(url, BATCH.astype(np.float32).tolist())
    result = triton.infer("seed", [tensor], outputs=[httpclient.InferRequestedOutput("dense_1")])  # binary_data=True
    assert "binary_data_size" in result.get_output("dense_1")["parameters"]
    np.testing.assert_allclose(result.as_numpy("dense_1"), expected, atol=1e-6)
    # binary_data_output as the request's parameter, the way tritonclient sets it: by hand, as a raw request
    body = {"inputs": [tensor._get_tensor()], "parameters": {"binary_data_output": True}}
    raw = requests.post(f"{url}/v2/models/seed/infer", json=body, timeout=30)
    assert raw.headers["Content-Type"] == "application/octet-stream"
    length = int(raw.headers["Inference-Header-Content-Length"])
    answer = httpclient.InferResult.from_response_body(raw.content, header_length=length)
    np.testing.assert_allclose(answer.as_numpy("dense_1"), expected, atol=1e-6)


def test_fp16_input_is_converted_to_the_models_fp32(triton, url):
    half = BATCH.astype(np.float16)
    tensor = httpclient.InferInput("input_layer", [5, 3, 2], "FP16")
    tensor.set_data_from_numpy(half)
    result = triton.infer("seed", [tensor])
    np.testing.assert_allclose(
        result.as_numpy("dense_1"), v1_predictions(url, half.astype(np.float32).tolist()), atol=1e-6
    )


@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
def test_compressed_request_and_answer(triton, url, algorithm):
    tensor = httpclient.InferInput("input_layer", [5, 3, 2], "FP32")
    tensor.set_data_from_numpy(BATCH.astype(np.float32))
    result = triton.infer(
        "seed", [tensor], request_compression_algorithm=algorithm, response_compression_algorithm=algorithm
    )
    np.testing.assert_allclose(
        result.as_numpy("dense_1"), v1_predictions(url, BATCH.astype(np.float32).tolist()), atol=1e-6
    )


def test_an_unknown_model_is_refused_the_protocols_way(triton):
    with pytest.raises(InferenceServerException) as refused:
        triton.get_model_metadata("nope")
    # the message is the body's "error", whole: the protocol's shape, not problem+json read as text
    assert refused.value.message() == "no model 'nope' in the model repository; it serves ['seed']"
    assert refused.value.status() == "404"
    tensor = httpclient.InferInput("input_layer", [1, 3, 2], "FP32")
    tensor.set_data_from_numpy(np.array(SEED_INPUTS, dtype=np.float32), binary_data=False)
    with pytest.raises(InferenceServerException, match="no model 'nope'"):
        triton.infer("nope", [tensor])


def test_a_refused_file_is_named_with_why(triton, url):
    with pytest.raises(InferenceServerException, match="model 'bad' is not served: bad.json was refused: .*Lambda"):
        triton.get_model_metadata("bad")
    health = requests.get(f"{url}/readyz", timeout=5).json()
    assert health["models"] == ["seed"] and [r["file"] for r in health["refused"]] == ["bad.json"]


def test_a_tensor_that_does_not_fit_is_refused_with_the_message_json_or_binary(triton):
    tensor = httpclient.InferInput("input_layer", [1, 2, 3], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 2, 3), dtype=np.float32), binary_data=False)
    with pytest.raises(InferenceServerException) as refused:
        triton.infer("seed", [tensor])
    assert refused.value.message() == (
        "input 'input_layer' has shape [1, 2, 3]; the model takes [-1, 3, 2] (-1: any size)"
    )
    assert refused.value.status() == "400"
    tensor.set_data_from_numpy(np.zeros((1, 2, 3), dtype=np.float32))  # binary_data=True, tritonclient's default
    with pytest.raises(InferenceServerException) as refused:
        triton.infer("seed", [tensor])
    assert refused.value.message() == (
        "input 'input_layer' has shape [1, 2, 3]; the model takes [-1, 3, 2] (-1: any size)"
    )
