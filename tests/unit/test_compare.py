"""POST /v1/compare: two models' answers, their layers aligned, and where they part said with their numbers."""

from keras_shape_service.schemas import CompareResponse
from keras_shape_service.schemas.examples import SEED_CODE, SEED_COMPARE, SEED_INPUTS, SEED_MODEL
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


def test_a_layer_given_the_same_in_both_says_so_before_what_it_makes_of_it(client):
    """Two classifiers that part only at their head: the head reads the same in both, which the sentence says,
    rather than a bare "head (Dense)." before what b makes of it."""
    trunk = [{"type": "Dense", "units": 8, "input_shape": [6]}]
    a = {"model": {"layers": trunk + [{"type": "Dense", "units": 10, "name": "head"}]}}
    b = {"model": {"layers": trunk + [{"type": "Dense", "units": 5, "name": "head"}]}}
    head = _compare(client, a, b).get_json()["differences"][0]
    assert (head["a_layer"], head["b_layer"]) == ("head", "head")
    assert head["what"] == (
        "head (Dense) gets (None, 8) in both. In b: Dense acts on the last axis: the 8 values of each example go "
        "through the 8 x 5 kernel, so (None, 8) -> (None, 5). So in b it gives (None, 5) instead of (None, 10), "
        "with 45 params instead of 90 (kernel 8 x 5 + bias 5 = 45, against kernel 8 x 10 + bias 10 = 90)"
    )


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


def test_a_side_given_as_code_is_read_as_its_spec(client):
    """Code on a side (as `keras-shape-service compare seed.py other.json` sends it) answers what its spec
    answers, with the spec it was read as (it was a 500: the side's model was None)."""
    from_code = _compare(client, {"code": SEED_CODE}, SEED_COMPARE["b"]).get_json()
    from_spec = _compare(client, SEED_COMPARE["a"], SEED_COMPARE["b"]).get_json()
    assert from_code["differences"] == from_spec["differences"]
    assert from_code["a"]["params"]["total"] == 244 and from_code["a"]["model"]["layers"][0]["units"] == 16
    refused = client.post("/v1/compare", json={"a": SEED_COMPARE["a"], "b": {"code": "model = Sequential(\n"}})
    assert refused.status_code == 422 and refused.get_json()["detail"].startswith("b: ")


def test_the_route_is_documented(client):
    document = client.get("/openapi.json").get_json()
    assert "/v1/compare" in document["paths"]
    row = document["components"]["schemas"]["LayerRow"]
    assert {"trainable", "weights", "macs", "why"} <= set(row["required"])
    assert {"macs", "batch_macs", "params_bytes", "activation_bytes", "total_bytes"} <= set(
        document["components"]["schemas"]["Cost"]["required"]
    )


def test_code_on_either_side_answers_as_its_spec_does_and_carries_the_model_read(client):
    """Regression: a side given as code was compared before it was read (a 500, for the seed's own code)."""
    code_no_flatten = SEED_CODE.replace("model.add(Flatten())\n", "")
    from_specs = _compare(client, SEED_COMPARE["a"], SEED_COMPARE["b"]).get_json()
    from_code = _compare(client, {"code": SEED_CODE}, {"code": code_no_flatten}).get_json()
    read_a, read_b = from_code["a"].pop("model"), from_code["b"].pop("model")
    assert from_code == from_specs
    assert [layer["type"] for layer in read_a["layers"]] == ["Dense", "Activation", "Flatten", "Dense"]
    assert [layer["type"] for layer in read_b["layers"]] == ["Dense", "Activation", "Dense"]
    assert "model" not in from_specs["a"] and "model" not in from_specs["b"]


def test_code_on_one_side_with_inputs_predicts_as_the_spec_does(client):
    mixed = _compare(client, {"code": SEED_CODE, "inputs": SEED_INPUTS}, {"model": SEED_MODEL, "inputs": SEED_INPUTS})
    answer = mixed.get_json()
    assert answer["a"].pop("model") == SEED_MODEL
    assert answer["a"] == answer["b"] and answer["differences"] == []
    assert answer["a"]["output_shape"] == [1, 4]


def test_code_a_side_cannot_read_is_a_422_located_in_that_side(client):
    refused = client.post("/v1/compare", json={"a": SEED_COMPARE["a"], "b": {"code": "model = Sequential(\n"}})
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["errors"][0]["loc"] == ["b", "code"]
    invalid_code = "model = Sequential()\nmodel.add(Dense(-4, input_shape=(3,)))\n"
    invalid = client.post("/v1/compare", json={"a": {"code": invalid_code}, "b": SEED_COMPARE["b"]})
    assert invalid.status_code == 422, invalid.get_json()
    assert invalid.get_json()["errors"][0]["loc"] == ["a", "model", "layers", 0, "units"]
    assert invalid.get_json()["detail"].startswith("a: the code reads as a model the service refuses")


def test_a_side_with_one_fixable_mistake_is_refused_with_its_checked_fix(client):
    """The fix of a compare body is checked by planning both sides (it answered a 500: check knew one model)."""
    body = {
        "a": {"model": {"layers": SEED_LAYERS}},
        "b": {"model": {"layers": [{"type": "Dense", "unitz": 4, "input_shape": [3]}]}},
    }
    response = client.post("/v1/compare", json=body)
    assert response.status_code == 422, response.get_json()
    item = response.get_json()["errors"][0]
    assert item["loc"][:1] == ["b"] and "units" in item["hint"]
    assert item["fix"] == [
        {"op": "remove", "path": "/b/model/layers/0/unitz"},
        {"op": "add", "path": "/b/model/layers/0/units", "value": 4},
    ]
