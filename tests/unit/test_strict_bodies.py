"""The service accepts no more than /openapi.json describes: no coercion, and `type` picks the layer form."""

import copy

import pytest

from keras_shape_service.schemas import Problem
from tests.forms import SEED_BODY


def seed_body_with(path: list, value) -> dict:
    """The seed request with one value replaced, `path` as a JSON location."""
    body = copy.deepcopy(SEED_BODY)
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


@pytest.mark.parametrize(
    "path, value",
    [
        (["model", "layers", 0, "units"], "16"),
        (["model", "layers", 0, "units"], 2.5),
        (["model", "layers", 3, "units"], True),
        (["model", "layers", 0, "input_shape"], ["3", 2]),
        (["model", "layers", 0, "use_bias"], 1),
        (["model", "layers", 0, "use_bias"], "yes"),
        (["seed"], "3"),
        (["seed"], False),
    ],
)
def test_values_of_the_wrong_json_type_are_refused_not_coerced(client, path, value):
    response = client.post("/v1/predict", json=seed_body_with(path, value))
    assert response.status_code == 422
    problem = Problem.model_validate_json(response.data)
    assert problem.title == "Invalid request" and problem.errors[0].loc[: len(path)] == path


def test_a_concise_layer_with_a_class_name_is_still_concise(client):
    """The document lets concise layers carry extra keys; Keras then refuses the unknown argument."""
    body = seed_body_with(["model", "layers", 1, "class_name"], "Activation")
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 422
    problem = Problem.model_validate_json(response.data)
    assert problem.title == "Keras rejected the model" and problem.errors[0].loc == ["model", "layers", 1]
