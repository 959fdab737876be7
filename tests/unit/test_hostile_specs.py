"""Hostile specs stay data: anything naming code outside Keras's built-ins is a 422 naming where and why."""

import json

import keras
import pytest

from keras_shape_service.schemas import Problem
from tests.forms import document_form

DENSE = {"type": "Dense", "units": 2, "input_shape": [3]}
OS_SYSTEM = {"module": "os", "class_name": "system", "config": {"command": "touch /tmp/pwned"}, "registered_name": None}


def _marshalled_lambda_config() -> dict:
    """A real Lambda layer's config: its `function` carries marshalled Python bytecode."""
    keras.backend.clear_session()
    config = keras.saving.serialize_keras_object(keras.layers.Lambda(lambda x: x * 2, name="lambda"))
    assert config["config"]["function"]["class_name"] == "__lambda__"
    return json.loads(json.dumps(config))


def _document_with(layer: dict) -> dict:
    document = document_form([DENSE])
    document["config"]["layers"].append(layer)
    return document


def _native(class_name: str, **config) -> dict:
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}


HOSTILE = {
    "concise Lambda": (
        {"layers": [DENSE, {"type": "Lambda", "function": "lambda x: x"}]},
        ["model", "layers", 1, "type"],
    ),
    "native marshalled Lambda": (
        lambda: {"layers": [DENSE, _marshalled_lambda_config()]},
        ["model", "layers", 1, "class_name"],
    ),
    "to_json marshalled Lambda": (
        lambda: _document_with(_marshalled_lambda_config()),
        ["model", "config", "layers", 2, "class_name"],
    ),
    "TFSMLayer with a file path": (
        {"layers": [DENSE, _native("TFSMLayer", filepath="/etc", call_endpoint="serve")]},
        ["model", "layers", 1, "class_name"],
    ),
    "vocabulary file path": (
        {"layers": [{"type": "StringLookup", "vocabulary": "/etc/passwd"}]},
        ["model", "layers", 0, "type"],
    ),
    "module injection in a nested initializer": (
        {"layers": [dict(DENSE, kernel_initializer=OS_SYSTEM)]},
        ["model", "layers", 0, "kernel_initializer", "module"],
    ),
    "module injection in a native regularizer": (
        {"layers": [_native("Dense", units=2, kernel_regularizer=OS_SYSTEM)]},
        ["model", "layers", 0, "config", "kernel_regularizer", "module"],
    ),
    "registered_name injection in a constraint": (
        {
            "layers": [
                dict(
                    DENSE,
                    kernel_constraint={
                        "module": "keras.constraints",
                        "class_name": "MaxNorm",
                        "config": {},
                        "registered_name": "evil>MaxNorm",
                    },
                )
            ]
        },
        ["model", "layers", 0, "kernel_constraint", "registered_name"],
    ),
    "registered_name on a native layer": (
        {"layers": [dict(_native("Dense", units=2), registered_name="my_package>Dense")]},
        ["model", "layers", 0],
    ),
    "builtins function as activation": (
        {
            "layers": [
                dict(
                    DENSE,
                    activation={
                        "module": "builtins",
                        "class_name": "function",
                        "config": "eval",
                        "registered_name": "function",
                    },
                )
            ]
        },
        ["model", "layers", 0, "activation"],
    ),
    "custom object class": (
        {"layers": [dict(DENSE, kernel_initializer={"class_name": "MyInitializer", "config": {}})]},
        ["model", "layers", 0, "kernel_initializer", "class_name"],
    ),
    "Lambda hidden in TimeDistributed": (
        lambda: {"layers": [{"type": "TimeDistributed", "layer": _marshalled_lambda_config(), "input_shape": [2, 3]}]},
        ["model", "layers", 0, "layer", "class_name"],
    ),
    "module injection in Bidirectional's backward layer": (
        {
            "layers": [
                {
                    "type": "Bidirectional",
                    "input_shape": [2, 3],
                    "layer": _native("LSTM", units=2, go_backwards=False),
                    "backward_layer": _native("LSTM", units=2, go_backwards=True, recurrent_initializer=OS_SYSTEM),
                }
            ]
        },
        ["model", "layers", 0, "backward_layer", "config", "recurrent_initializer", "module"],
    ),
    "Lambda hidden in a to_json wrapper": (
        lambda: _document_with(_native("TimeDistributed", layer=_marshalled_lambda_config())),
        ["model", "config", "layers", 2, "config", "layer", "class_name"],
    ),
    "module outside keras on a native layer": (
        {"layers": [dict(_native("Dense", units=2), module="os")]},
        ["model", "layers", 0, "module"],
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_spec_is_refused_with_its_location(client, case):
    model, loc = HOSTILE[case]
    model = model() if callable(model) else model
    response = client.post("/v1/predict", json={"model": model, "inputs": [[[1.0, 2.0, 3.0]] * 2]})
    assert response.status_code == 422, response.data
    assert response.mimetype == "application/problem+json"
    problem = Problem.model_validate_json(response.data)
    assert problem.errors[0].loc[: len(loc)] == loc, problem
    assert problem.detail


def test_allowed_nested_objects_still_work(client):
    layer = dict(
        DENSE,
        kernel_initializer={
            "module": "keras.initializers",
            "class_name": "GlorotNormal",
            "config": {"seed": 1},
            "registered_name": None,
        },
        kernel_regularizer={"class_name": "L2", "config": {"l2": 0.01}},
        activation="gelu",
        kernel_constraint="non_neg",
    )
    response = client.post("/v1/predict", json={"model": {"layers": [layer]}, "inputs": [[1.0, 2.0, 3.0]]})
    assert response.status_code == 200, response.data
    wrapped = {
        "type": "TimeDistributed",
        "input_shape": [2, 3],
        "layer": {"module": "keras.layers", "class_name": "Dense", "config": {"units": 4}},
    }
    response = client.post("/v1/predict", json={"model": {"layers": [wrapped]}, "inputs": [[[1.0, 2.0, 3.0]] * 2]})
    assert response.status_code == 200, response.data
    assert response.get_json()["output_shape"] == [1, 2, 4]
