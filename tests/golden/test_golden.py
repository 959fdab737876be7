"""The why sentences and the diagram of a few models, held to golden files: a change of wording or drawing
shows as a diff of those files in review, not as a loosened assertion."""

import json

import pytest

from keras_shape_service.schemas.examples import SEED_SUMMARY

GRAPH = {
    "model": {
        "inputs": [{"name": "features", "shape": [8]}],
        "layers": [
            {"type": "Dense", "units": 16, "name": "trunk"},
            {"type": "Dense", "units": 4, "name": "left", "inbound": ["trunk"]},
            {"type": "Dense", "units": 3, "name": "right", "inbound": ["trunk"]},
            {"type": "Concatenate", "name": "both", "inbound": ["left", "right"]},
        ],
    }
}
CONV = {
    "model": {
        "layers": [
            {"type": "Conv2D", "filters": 8, "kernel_size": 3, "input_shape": [28, 28, 1]},
            {"type": "MaxPooling2D", "pool_size": 2},
            {"type": "Flatten"},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ]
    }
}
MODELS = {"seed": SEED_SUMMARY, "graph": GRAPH, "conv": CONV}


@pytest.mark.parametrize("name", MODELS)
def test_why_sentences(client, golden, name):
    response = client.post("/v1/summary", json=MODELS[name])
    assert response.status_code == 200, response.get_json()
    rows = [{"name": row["name"], "why": row["why"]} for row in response.get_json()["layers"]]
    golden(f"{name}.why.json", json.dumps(rows, indent=1) + "\n")


@pytest.mark.parametrize("name", MODELS)
def test_diagram(client, golden, name):
    response = client.post("/v1/diagram", json=MODELS[name])
    assert response.status_code == 200, response.get_json()
    golden(f"{name}.svg", response.get_data(as_text=True))
