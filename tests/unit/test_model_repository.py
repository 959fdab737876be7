"""The model repository and the Open Inference Protocol v2, through the Flask test client: the protocol's JSON
shapes, tensors nested or flat, refusals as {"error"} with the message, bad files named and the others served."""

import json

import numpy as np
import pytest

from keras_shape_service.schemas import Health, PredictResponse, SummaryResponse
from keras_shape_service.schemas.examples import SEED_INPUTS
from keras_shape_service.schemas.inference import InferenceResponse, ModelMetadata
from tests.forms import SEED_LAYERS, TWO_INPUT_GRAPH

DENSE_WEIGHTS = [[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.5, -0.5]]
FILES = {
    "seed.json": {"layers": SEED_LAYERS},
    "seeded.json": {"model": {"layers": SEED_LAYERS}, "seed": 7},
    "dense.json": {
        "model": {"layers": [{"type": "Dense", "units": 2, "input_shape": [3]}]},
        "weights": {"dense": DENSE_WEIGHTS},
    },
    "graph.json": TWO_INPUT_GRAPH,
    "lambda.json": {"layers": [{"type": "Lambda", "function": "os.system"}], "input_shape": [2]},
    "huge.json": {"layers": [{"type": "Dense", "units": 50_000, "input_shape": [50_000]}]},
    "unsized.json": {"layers": [{"type": "Dense", "units": 2}]},
    "wrong_weights.json": {
        "model": {"layers": [{"type": "Dense", "units": 2, "input_shape": [3]}]},
        "weights": {"dense": [[[1.0, 0.0]], [0.5, -0.5]]},
    },
}
SEED_TENSOR = {"name": "input_layer", "shape": [1, 3, 2], "datatype": "FP32", "data": SEED_INPUTS}


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    for name, document in FILES.items():
        (folder / name).write_text(json.dumps(document))
    (folder / "broken.json").write_text("{not json")
    (folder / "white space.json").write_text(json.dumps({"layers": SEED_LAYERS}))
    (folder / ".hidden.json").write_text("{not json")  # the kubelet's ..data and its like are skipped
    (folder / "notes.txt").write_text("not a model")
    return folder


@pytest.fixture(scope="module")
def client(make_client, repository):
    return make_client(model_repository=str(repository))


def infer(client, model, *tensors, **extra):
    return client.post(f"/v2/models/{model}/infer", json={"inputs": list(tensors), **extra})


def error_of(response, status):
    assert response.status_code == status, response.data
    assert response.content_type == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    return body["error"]


def test_readyz_lists_the_models_served_and_each_refused_file_with_why(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    health = Health.model_validate_json(response.data)
    assert health.models == ["dense", "graph", "seed", "seeded"]
    refused = {item.file: item.error for item in health.refused}
    assert set(refused) == {
        "broken.json",
        "huge.json",
        "lambda.json",
        "unsized.json",
        "white space.json",
        "wrong_weights.json",
    }
    assert "not valid JSON" in refused["broken.json"]
    assert "Lambda" in refused["lambda.json"]
    assert refused["huge.json"].endswith("is 2,500,050,000, over the limit max_params=64,000,000")
    assert "input shape is unknown" in refused["unsized.json"]
    assert "expects weights of shapes [[3, 2], [2]]" in refused["wrong_weights.json"]
    assert "file name" in refused["white space.json"]


def test_model_metadata_names_datatypes_and_shapes_with_minus_one_for_free_axes(client):
    seed = ModelMetadata.model_validate_json(client.get("/v2/models/seed").data)
    assert "versions" not in client.get("/v2/models/seed").get_json()  # no /versions/{v} paths are served
    assert seed.platform == "keras"
    assert [(t.name, t.datatype, t.shape) for t in seed.inputs] == [("input_layer", "FP32", [-1, 3, 2])]
    assert [(t.name, t.datatype, t.shape) for t in seed.outputs] == [("dense_1", "FP32", [-1, 4])]
    graph = ModelMetadata.model_validate_json(client.get("/v2/models/graph").data)
    assert [(t.name, t.datatype, t.shape) for t in graph.inputs] == [
        ("features", "FP32", [-1, 4]),
        ("tokens", "INT32", [-1, -1]),
    ]
    assert [(t.name, t.shape) for t in graph.outputs] == [("score", [-1, 3]), ("pooled", [-1, 2])]


def test_server_metadata_health_and_model_ready(client):
    assert client.get("/v2").get_json() == {
        "name": "keras-shape-service",
        "version": "1.0.0",
        "extensions": ["binary_tensor_data"],
    }
    assert client.get("/v2/health/live").get_json() == {"live": True}
    assert client.get("/v2/health/ready").get_json() == {"ready": True}
    assert client.get("/v2/models/seed/ready").get_json() == {"name": "seed", "ready": True}


def test_inference_nested_or_flat_gives_what_v1_predict_gives_with_the_same_seed(client):
    for model, seed in (("seed", 0), ("seeded", 7)):
        expected = PredictResponse.model_validate_json(
            client.post(
                "/v1/predict", json={"model": {"layers": SEED_LAYERS}, "inputs": SEED_INPUTS, "seed": seed}
            ).data
        )
        for data in (SEED_INPUTS, [1, 2, 3, 4, 5, 6]):
            response = infer(client, model, dict(SEED_TENSOR, data=data), id="request-1")
            assert response.status_code == 200, response.data
            answer = InferenceResponse.model_validate_json(response.data)
            assert (answer.model_name, answer.id) == (model, "request-1")
            [output] = answer.outputs
            assert (output.name, output.datatype, output.shape) == ("dense_1", "FP32", [1, 4])
            assert output.data == expected.predictions[0]


def test_a_files_weights_are_the_models_weights_as_keras_computes_them(client):
    import keras

    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    model.set_weights([np.array(w, dtype=np.float32) for w in DENSE_WEIGHTS])
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]], dtype=np.float32)
    response = infer(
        client, "dense", {"name": "input_layer", "shape": [2, 3], "datatype": "FP32", "data": x.ravel().tolist()}
    )
    [output] = InferenceResponse.model_validate_json(response.data).outputs
    assert output.shape == [2, 2]
    np.testing.assert_allclose(np.reshape(output.data, (2, 2)), model.predict(x, verbose=0), rtol=1e-6)


def test_several_inputs_by_name_and_only_the_outputs_asked_for(client):
    tensors = [
        {"name": "tokens", "shape": [2, 3], "datatype": "INT32", "data": [1, 2, 3, 4, 5, 6]},
        {"name": "features", "shape": [2, 4], "datatype": "FP32", "data": [[0, 1, 2, 3], [4, 5, 6, 7]]},
    ]
    both = InferenceResponse.model_validate_json(infer(client, "graph", *tensors).data)
    assert [(o.name, o.shape) for o in both.outputs] == [("score", [2, 3]), ("pooled", [2, 2])]
    one = InferenceResponse.model_validate_json(infer(client, "graph", *tensors, outputs=[{"name": "pooled"}]).data)
    assert [(o.name, o.data) for o in one.outputs] == [("pooled", both.outputs[1].data)]


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"datatype": "BYTES"},
            "input 'input_layer' has datatype BYTES; the model takes FP32 (or one converted to it: BF16, FP16, FP32, "
            "FP64, INT16, INT32, INT64, INT8, UINT16, UINT32, UINT64, UINT8)",
        ),
        ({"data": None}, "input 'input_layer' has no data: send `data`, or `parameters.binary_data_size`"),
        ({"shape": [1, 2, 3]}, "input 'input_layer' has shape [1, 2, 3]; the model takes [-1, 3, 2] (-1: any size)"),
        ({"shape": [1, 3]}, "input 'input_layer' has shape [1, 3]; the model takes [-1, 3, 2]"),
        (
            {"data": [1, 2, 3, 4, 5]},
            "input 'input_layer': data of shape [5] (5 values) fits neither shape [1, 3, 2] nor 6 values flat",
        ),
        ({"data": [[1, 2, 3], [4, 5, 6]]}, "data of shape [2, 3] (6 values) fits neither shape [1, 3, 2]"),
        ({"name": "x"}, "input 'x' is no input of the model; the model's inputs are ['input_layer']"),
        ({"data": [1, 2, "3", 4, 5, 6]}, "expected a number or an array, got str"),
    ],
)
def test_a_tensor_that_does_not_fit_is_a_400_saying_why(client, change, message):
    assert message in error_of(infer(client, "seed", dict(SEED_TENSOR, **change)), 400)


def test_other_refusals_of_an_inference(client):
    assert "inputs ['features'] are missing" in error_of(
        infer(client, "graph", {"name": "tokens", "shape": [1, 1], "datatype": "INT32", "data": [1]}), 400
    )
    assert "INT32: its data must be whole numbers" in error_of(
        infer(
            client,
            "graph",
            {"name": "tokens", "shape": [1, 1], "datatype": "INT32", "data": [1.5]},
            {"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [0, 0, 0, 0]},
        ),
        400,
    )
    assert "output 'nope' is no output of the model; its outputs are ['dense_1']" in error_of(
        infer(client, "seed", SEED_TENSOR, outputs=[{"name": "nope"}]), 400
    )
    assert "not valid JSON" in error_of(
        client.post("/v2/models/seed/infer", data="{", content_type="application/json"), 400
    )
    assert "INT32 (or one converted to it: INT16, INT32, INT64, INT8, UINT16, UINT32, UINT64, UINT8)" in error_of(
        infer(client, "graph", {"name": "tokens", "shape": [1, 1], "datatype": "FP32", "data": [1]}), 400
    )
    assert "application/json" in error_of(
        client.post("/v2/models/seed/infer", data="{}", content_type="text/plain"), 415
    )


def test_a_body_without_content_type_is_read_as_json_as_tritonclient_sends_it(client):
    response = client.post("/v2/models/seed/infer", data=json.dumps({"inputs": [SEED_TENSOR]}))
    assert response.status_code == 200, response.data


def test_an_unknown_or_refused_model_is_a_404_saying_why(client):
    assert error_of(client.get("/v2/models/nope"), 404) == (
        "no model 'nope' in the model repository; it serves ['dense', 'graph', 'seed', 'seeded']"
    )
    assert "model 'lambda' is not served: lambda.json was refused:" in error_of(client.get("/v2/models/lambda"), 404)
    error_of(client.get("/v2/models/nope/ready"), 404)
    error_of(infer(client, "nope", SEED_TENSOR), 404)
    assert client.get("/v1/models/nope").content_type == "application/problem+json"  # /v1 keeps problem+json
    assert client.get("/v1/models/nope").status_code == 404


def test_v1_models_answers_the_summary_v1_summary_gives(client):
    response = client.get("/v1/models/seed")
    assert response.status_code == 200
    expected = client.post("/v1/summary", json={"model": {"layers": SEED_LAYERS}}).data
    assert SummaryResponse.model_validate_json(response.data) == SummaryResponse.model_validate_json(expected)


def test_without_a_repository_nothing_is_served_and_readyz_is_as_before(make_client):
    plain = make_client()
    assert plain.get("/readyz").get_json() == {"status": "ok"}
    # Said so, so that someone who tries the README's /v2 example on a plain `make serve` knows what to set.
    assert error_of(plain.get("/v2/models/seed"), 404) == (
        "no model 'seed': no model repository is configured; set KSS_MODEL_REPOSITORY to a directory of "
        "<name>.json files (deploy/models holds the seed model's)"
    )


def test_a_missing_repository_directory_is_reported_not_fatal(make_client, tmp_path):
    health = make_client(model_repository=str(tmp_path / "absent")).get("/readyz").get_json()
    assert health["models"] == [] and "cannot be read" in health["refused"][0]["error"]


def test_openapi_documents_the_protocols_paths_parameters_and_error_shape(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    operation = paths["/v2/models/{name}/infer"]["post"]
    assert operation["parameters"] == [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}]
    assert operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/InferenceError")
    assert paths["/v1/models/{name}"]["get"]["responses"]["404"]["content"]["application/problem+json"]


def test_deploy_models_are_all_served_as_the_kubelet_mounts_them(make_client, tmp_path):
    """deploy/models/ as a ConfigMap volume lays it out: each file a link into a hidden ..data folder."""
    from tests.unit.test_deployment import DEPLOY

    data = tmp_path / "..2026_12_02_data"
    data.mkdir()
    for model in (DEPLOY / "models").glob("*.json"):
        (data / model.name).write_bytes(model.read_bytes())
        (tmp_path / model.name).symlink_to(f"..data/{model.name}")
    (tmp_path / "..data").symlink_to(data.name)
    health = make_client(model_repository=str(tmp_path)).get("/readyz").get_json()
    assert health == {"status": "ok", "models": ["seed"], "refused": []}
