"""POST /v1/compare: two models' answers, their layers aligned, and where they part said with their numbers."""

from keras_shape_service.schemas import CompareResponse
from keras_shape_service.schemas.examples import SEED_INPUTS
from tests.forms import SEED_LAYERS, SEED_LAYERS_NO_FLATTEN


def _compare(client, a: dict, b: dict):
    response = client.post("/v1/compare", json={"a": a, "b": b})
    assert response.status_code == 200, response.get_json()
    return response


def test_the_seed_with_and_without_flatten(client):
    response = _compare(client, {"model": {"layers": SEED_LAYERS}}, {"model": {"layers": SEED_LAYERS_NO_FLATTEN}})
    differences = response.get_json()["differences"]
    assert (differences[0]["a_layer"], differences[0]["b_layer"]) == ("flatten", None)  # null in the JSON
    assert "Flatten keeps the batch axis and multiplies the rest, 3 x 16 = 48" in differences[0]["what"]
    assert (differences[1]["a_layer"], differences[1]["b_layer"]) == ("dense_1", "dense_1")
    last = differences[1]["what"]
    assert "Dense acts on the last axis only: each of the 3 rows of 16 values" in last
    assert "(None, 3, 4) instead of (None, 4)" in last and "68 params instead of 196" in last
    assert differences[2:] == [{"a_layer": None, "b_layer": None, "what": "params in all: 244 in a, 116 in b"}]
    answer = CompareResponse.model_validate_json(response.data)
    assert [row.output_shape for row in answer.b.layers][-1] == [None, 3, 4]
    assert answer.a.params.total == 244 and answer.b.params.total == 116


def test_with_inputs_the_predictions_shapes_are_compared(client):
    response = _compare(
        client,
        {"model": {"layers": SEED_LAYERS}, "inputs": SEED_INPUTS},
        {"model": {"layers": SEED_LAYERS_NO_FLATTEN}, "inputs": SEED_INPUTS},
    )
    answer = response.get_json()
    assert answer["a"]["output_shape"] == [1, 4] and answer["b"]["output_shape"] == [1, 3, 4]
    assert answer["differences"][-1] == {
        "a_layer": None,
        "b_layer": None,
        "what": "the predictions have shape [1, 4] in a and [1, 3, 4] in b",
    }


def test_the_same_model_twice_has_no_differences(client):
    assert (
        _compare(client, {"model": {"layers": SEED_LAYERS}}, {"model": {"layers": SEED_LAYERS}}).get_json()[
            "differences"
        ]
        == []
    )


def test_layers_of_other_names_pair_by_position(client):
    a = [dict(SEED_LAYERS[0], name="first"), {"type": "Dense", "units": 4, "name": "head"}]
    b = [dict(SEED_LAYERS[0], name="first"), {"type": "Conv1D", "filters": 4, "kernel_size": 3, "name": "conv"}]
    differences = _compare(client, {"model": {"layers": a}}, {"model": {"layers": b}}).get_json()["differences"]
    assert (differences[0]["a_layer"], differences[0]["b_layer"]) == ("head", "conv")
    assert differences[0]["what"].startswith("a has head (Dense) where b has conv (Conv1D)")


def test_a_wrong_side_is_a_422_located_in_it(client):
    invalid = client.post(
        "/v1/compare",
        json={"a": {"model": {"layers": SEED_LAYERS}}, "b": {"model": {"layers": [{"type": "Dense", "units": 0}]}}},
    )
    assert invalid.status_code == 422
    assert [error["loc"] for error in invalid.get_json()["errors"]] == [["b", "model", "layers", 0, "units"]]
    refused = client.post(
        "/v1/compare",
        json={
            "a": {
                "model": {
                    "layers": [
                        {"type": "Dense", "units": 3, "input_shape": [2]},
                        {"type": "Reshape", "target_shape": [5]},
                    ]
                }
            },
            "b": {"model": {"layers": SEED_LAYERS}},
        },
    )
    assert refused.status_code == 422 and refused.get_json()["title"] == "Keras rejected the model"
    assert refused.get_json()["errors"][0]["loc"] == ["a", "model", "layers", 1]
    assert refused.get_json()["detail"].startswith("a: Reshape")


def test_the_route_is_documented(client):
    document = client.get("/openapi.json").get_json()
    assert "/v1/compare" in document["paths"]
    row = document["components"]["schemas"]["LayerRow"]
    assert {"trainable", "weights", "macs", "why"} <= set(row["required"])
    assert {"macs", "batch_macs", "params_bytes", "activation_bytes", "total_bytes"} <= set(
        document["components"]["schemas"]["Cost"]["required"]
    )
