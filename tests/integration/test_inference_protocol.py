"""tritonclient's HTTP client against the real gunicorn service, serving a model repository: the seed model
and a file it refuses. What an Open Inference Protocol v2 harness does, unchanged, with binary_data=False."""

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
    assert metadata["name"] == "keras-shape-service" and metadata["extensions"] == []


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


def test_without_requested_outputs_the_answer_is_json_all_the_same(triton):
    tensor = httpclient.InferInput("input_layer", [2, 3, 2], "FP32")
    tensor.set_data_from_numpy(np.ones((2, 3, 2), dtype=np.float32), binary_data=False)
    assert triton.infer("seed", [tensor]).as_numpy("dense_1").shape == (2, 4)


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


def test_a_tensor_that_does_not_fit_and_binary_data_are_refused_with_the_message(triton):
    tensor = httpclient.InferInput("input_layer", [1, 2, 3], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 2, 3), dtype=np.float32), binary_data=False)
    with pytest.raises(InferenceServerException) as refused:
        triton.infer("seed", [tensor])
    assert refused.value.message() == (
        "input 'input_layer' has shape [1, 2, 3]; the model takes [-1, 3, 2] (-1: any size)"
    )
    assert refused.value.status() == "400"
    tensor = httpclient.InferInput("input_layer", [1, 3, 2], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 3, 2), dtype=np.float32))  # binary_data=True, tritonclient's default
    with pytest.raises(InferenceServerException, match="binary tensor data is not supported"):
        triton.infer("seed", [tensor])
