"""The service answers as Keras: a model built by real Keras in the test (from the same code the service only
reads) against the service's answer, row by row, the params total, the summary text byte for byte, and the
predictions with the Keras model's own weights, within 1e-6."""

import json
from typing import Any, Optional, Union

import numpy as np

from keras_shape_service.adapter import private
from keras_shape_service.adapter.summary import keras_summary_text

Inputs = Union[dict[str, np.ndarray], np.ndarray]


def keras_built(code: str, model: str = "model") -> Any:
    """The model the code builds when Python runs it, in a fresh Keras session (its default names, as the
    service's): here only, in the test, to compare the service's reading with. `model`: the variable holding it."""
    import keras

    keras.backend.clear_session()
    namespace: dict = {}
    exec(code.replace("model.summary()", ""), namespace)
    return namespace[model]


def keras_rows(model: Any) -> list[tuple]:
    """Keras's rows as its summary lists them: each operation (layer or op node), its type, the shapes of its
    first call's inputs (a mask is no input) and outputs, its params."""
    operations = model.layers if not hasattr(model, "_operations") else private.model_operations(model)
    rows = []
    for operation in operations:
        node = private.layer_nodes(operation)[0]
        inputs = [list(t.shape) for t in private.call_inputs(node)] or [list(node.output_tensors[0].shape)]
        outputs = [list(t.shape) for t in node.output_tensors]
        params = operation.count_params() if hasattr(operation, "count_params") else 0
        rows.append((operation.name, type(operation).__name__, inputs, outputs, params))
    return rows


def answer_rows(answer: dict) -> list[tuple]:
    """The answer's rows in keras_rows' terms: a row of one input or output gives its shape as a list of one."""

    def several(shape: list) -> list:
        return shape if shape and isinstance(shape[0], list) else [shape]

    return [
        (row["name"], row["type"], several(row["input_shape"]), several(row["output_shape"]), row["params"])
        for row in answer["layers"]
    ]


def weights(model: Any) -> dict:
    """Every layer's weights by name, as the API takes them: a nested model's, all of them, under its own name."""
    return {layer.name: [w.tolist() for w in layer.get_weights()] for layer in model.layers if layer.weights}


def example_inputs(model: Any, seed: int, steps: int, integers_below: Optional[int] = None) -> Inputs:
    """Two examples for each of the model's inputs, the same on every run (a free axis: `steps`), by input name
    if several: token ids below `integers_below` where the model embeds them, below 2 for an integer input."""
    rng = np.random.default_rng(seed)
    data = {}
    for tensor in model.inputs:
        shape = [2, *(size or steps for size in tensor.shape[1:])]
        name = private.tensor_history(tensor)[0].name
        if integers_below or "int" in str(tensor.dtype):
            data[name] = rng.integers(0, integers_below or 2, shape).astype(tensor.dtype)
        else:
            data[name] = rng.uniform(-1, 1, shape).astype(np.float32)
    return data if len(data) > 1 else next(iter(data.values()))


def post(client: Any, path: str, body: dict, status: int = 200) -> dict:
    """The JSON answer to `body`, which must come with `status`."""
    response = client.post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code == status, response.get_json()
    return response.get_json()


def assert_answers_as_keras(
    client: Any, body: dict, built: Any, inputs: Inputs, more_weights: Optional[dict] = None
) -> dict:
    """/v1/summary and /v1/predict (with `inputs` and the Keras model's weights, and `more_weights` by layer name:
    a layer outside the model's own, e.g. one the code calls on a constant) answer `body` as `built`: every
    row's name, type, input and output shapes (its first call's) and params, the params total and Keras's summary
    text byte for byte; the predictions within 1e-6, one output, a list or a dict of them. Returns the predict
    answer (its `model` is the spec the service read)."""
    sent = {k: v.tolist() for k, v in inputs.items()} if isinstance(inputs, dict) else inputs.tolist()
    summary = post(client, "/v1/summary", body)
    answer = post(client, "/v1/predict", body | {"inputs": sent, "weights": weights(built) | (more_weights or {})})
    rows, text = keras_rows(built), keras_summary_text(built)
    for answered in (summary, answer):
        assert answer_rows(answered) == rows
        assert answered["params"]["total"] == built.count_params()
        assert answered["summary"] == text
    # Keras takes several inputs as the structure the model was made with (a list here, unless a dict)
    given = [inputs[name] for name in inputs] if isinstance(inputs, dict) and isinstance(built.input, list) else inputs
    expected = built.predict(given, verbose=0)
    if isinstance(expected, dict):
        assert set(answer["predictions"]) == set(expected)
        for key, value in expected.items():
            assert answer["output_shape"][key] == list(value.shape)
            np.testing.assert_allclose(np.array(answer["predictions"][key]), value, atol=1e-6, rtol=0)
    elif isinstance(expected, (list, tuple)):
        assert answer["output_shape"] == [list(value.shape) for value in expected]
        assert len(answer["predictions"]) == len(expected)
        for got, value in zip(answer["predictions"], expected):
            np.testing.assert_allclose(np.array(got), value, atol=1e-6, rtol=0)
    else:
        assert answer["output_shape"] == list(expected.shape)
        np.testing.assert_allclose(np.array(answer["predictions"]), expected, atol=1e-6, rtol=0)
    return answer
