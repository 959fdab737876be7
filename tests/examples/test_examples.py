"""Ten models as Keras's own pages write them (tests/examples/), each sent in every form that can say it (the code
as written, the model's to_json document, a concise spec written by hand) and compared with the same code run by
Keras here: every row's name, type, output shape and params, the total, Keras's summary text byte for byte, and
the predictions with the Keras model's own weights, within 1e-6. The service only reads the code; `exec` runs it in
the test, to have Keras's answer."""

import json
from types import ModuleType

import numpy as np
import pytest

from keras_shape_service.adapter import private
from keras_shape_service.adapter.summary import keras_summary_text
from tests.examples import EXAMPLES

FORMS = ("code", "to_json", "concise")
# What the service cannot yet answer as Keras does, found by this suite: (example, form) -> the exact reason.
KNOWN_DISAGREEMENTS: dict[tuple[str, str], str] = {}


def _cases():
    for name, example in EXAMPLES.items():
        for form in FORMS:
            if form == "concise" and example.CONCISE is None:
                continue  # each example module says why its concise form is not written
            reason = KNOWN_DISAGREEMENTS.get((name, form))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(example, form, id=f"{name}-{form}", marks=marks)


def keras_built(example: ModuleType):
    """The model the example's code builds when Python runs it, in a fresh Keras session (its default names)."""
    import keras

    keras.backend.clear_session()
    runnable = "\n".join(line for line in example.CODE.splitlines() if line.strip() not in example.NOT_RUN)
    namespace: dict = {}
    exec(example.RUN_PRELUDE + runnable.replace("model.summary()", ""), namespace)
    return namespace[example.MODEL]


def _body(example: ModuleType, form: str, built) -> dict:
    if form == "code":
        return {"code": example.CODE}
    if form == "to_json":
        return {"model": json.loads(built.to_json())}
    return {"model": example.CONCISE}


def _weights(model) -> dict:
    """Every layer's weights by name, as the API takes them: a nested model's, all of them, under its own name."""
    return {layer.name: [w.tolist() for w in layer.get_weights()] for layer in model.layers if layer.weights}


def _inputs(model, integers_below: int | None) -> dict | np.ndarray:
    """Two examples for each of the model's inputs (a free time axis: 6 steps), by input name if several;
    token ids where the model embeds them."""
    rng = np.random.default_rng(22)
    data = {}
    for tensor in model.inputs:
        shape = [2, *(size or 6 for size in tensor.shape[1:])]
        if integers_below:
            data[private.tensor_history(tensor)[0].name] = rng.integers(0, integers_below, shape).astype(tensor.dtype)
        else:
            data[private.tensor_history(tensor)[0].name] = rng.uniform(-1, 1, shape).astype(np.float32)
    return data if len(data) > 1 else next(iter(data.values()))


def _keras_rows(model) -> list[tuple]:
    """Keras's rows as its summary lists them: each operation (layer or op node), the shapes of its first call's
    inputs (a mask is no input) and outputs, its params."""
    operations = model.layers if not hasattr(model, "_operations") else private.model_operations(model)
    rows = []
    for operation in operations:
        node = private.layer_nodes(operation)[0]
        inputs = [list(t.shape) for t in private.call_inputs(node)] or [list(node.output_tensors[0].shape)]
        outputs = [list(t.shape) for t in node.output_tensors]
        params = operation.count_params() if hasattr(operation, "count_params") else 0
        rows.append((operation.name, type(operation).__name__, inputs, outputs, params))
    return rows


def _answer_rows(answer: dict) -> list[tuple]:
    def several(shape: list) -> list:
        return shape if shape and isinstance(shape[0], list) else [shape]

    return [
        (row["name"], row["type"], several(row["input_shape"]), several(row["output_shape"]), row["params"])
        for row in answer["layers"]
    ]


def _post(client, path: str, body: dict) -> dict:
    response = client.post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.slow
@pytest.mark.parametrize("example, form", list(_cases()))
def test_an_example_from_kerass_pages_answers_as_keras(client, example, form):
    built = keras_built(example)
    body = _body(example, form, built)
    inputs = _inputs(built, getattr(example, "INTEGERS_BELOW", None))
    sent = {k: v.tolist() for k, v in inputs.items()} if isinstance(inputs, dict) else inputs.tolist()
    weights = _weights(built)
    if form == "code":  # a layer the code calls on a constant: its weights are the constant Keras computed
        for name, (operation, argument) in getattr(example, "CONSTANT_LAYERS", {}).items():
            node = private.layer_nodes(next(o for o in private.model_operations(built) if o.name == operation))[0]
            weights[name] = [np.asarray(node.arguments.args[argument]).tolist()]
    answer = _post(client, "/v1/predict", body | {"inputs": sent, "weights": weights})
    assert _answer_rows(answer) == _keras_rows(built)
    assert answer["params"]["total"] == built.count_params()
    assert answer["summary"] == keras_summary_text(built)
    # Keras takes several inputs as the structure the model was made with (a list here, unless a dict)
    given = [inputs[name] for name in inputs] if isinstance(inputs, dict) and isinstance(built.input, list) else inputs
    expected = built.predict(given, verbose=0)
    if isinstance(expected, dict):
        assert set(answer["predictions"]) == set(expected)
        for key, value in expected.items():
            assert answer["output_shape"][key] == list(value.shape)
            np.testing.assert_allclose(np.array(answer["predictions"][key]), value, atol=1e-6, rtol=0)
    else:
        assert answer["output_shape"] == list(expected.shape)
        np.testing.assert_allclose(np.array(answer["predictions"]), expected, atol=1e-6, rtol=0)


def test_there_are_ten_examples_and_each_known_disagreement_names_one_of_their_cases():
    assert len(EXAMPLES) >= 10
    cases = {(name, form) for name, example in EXAMPLES.items() for form in FORMS}
    assert set(KNOWN_DISAGREEMENTS) <= cases
    for name, example in EXAMPLES.items():
        assert isinstance(example.CODE, str) and f"{example.MODEL} = " in example.CODE, name
