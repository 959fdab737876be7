"""The question this service grew from: Dense acts on the last axis, Flatten multiplies the rest out."""

import json
from pathlib import Path

import numpy as np

from keras_shape_service.schemas import PredictResponse, SummaryResponse
from keras_shape_service.schemas.examples import SEED_INPUTS
from tests.forms import SEED_BODY, SEED_LAYERS, SEED_LAYERS_NO_FLATTEN


def _predict(client, layers, **extra):
    response = client.post("/v1/predict", json={"model": {"layers": layers}, "inputs": SEED_INPUTS, **extra})
    assert response.status_code == 200, response.get_json()
    return PredictResponse.model_validate_json(response.data)


def _rows(answer):
    return [(r.name, r.type, r.input_shape, r.output_shape, r.params) for r in answer.layers]


def test_with_flatten_the_output_is_one_vector_per_example(client):
    answer = _predict(client, SEED_LAYERS)
    assert answer.output_shape == [1, 4]
    assert np.shape(answer.predictions) == (1, 4)
    assert _rows(answer) == [
        ("dense", "Dense", [None, 3, 2], [None, 3, 16], 48),
        ("activation", "Activation", [None, 3, 16], [None, 3, 16], 0),
        ("flatten", "Flatten", [None, 3, 16], [None, 48], 0),
        ("dense_1", "Dense", [None, 48], [None, 4], 196),
    ]
    assert (answer.params.total, answer.params.trainable, answer.params.non_trainable) == (244, 244, 0)
    assert "Total params: 244" in answer.summary
    assert "Trainable params: 244" in answer.summary and "Non-trainable params: 0" in answer.summary


def test_without_flatten_dense_keeps_the_three_rows(client):
    answer = _predict(client, SEED_LAYERS_NO_FLATTEN)
    assert answer.output_shape == [1, 3, 4]
    assert np.shape(answer.predictions) == (1, 3, 4)
    assert [r.params for r in answer.layers] == [48, 0, 68]
    assert [r.output_shape for r in answer.layers] == [[None, 3, 16], [None, 3, 16], [None, 3, 4]]
    assert answer.params.total == 116
    assert "Total params: 116" in answer.summary


def test_summary_lists_every_layer_with_its_shape_and_params(client):
    text = _predict(client, SEED_LAYERS).summary
    assert text.startswith('Model: "sequential"')
    for line in ("dense (Dense)", "(None, 3, 16)", "flatten (Flatten)", "(None, 48)", "dense_1 (Dense)"):
        assert line in text
    assert "\x1b" not in text
    assert max(len(line) for line in text.splitlines()) == 88


def test_predictions_are_the_layers_math(client):
    """Weights given by hand: the answer is relu(x·W1 + b1) flattened, times W2 plus b2."""
    w1 = np.arange(32, dtype=float).reshape(2, 16) / 10 - 1.5
    b1 = np.linspace(-1, 1, 16)
    w2 = np.linspace(-0.5, 0.5, 48 * 4).reshape(48, 4)
    b2 = np.array([0.1, -0.2, 0.3, -0.4])
    layers = [
        dict(SEED_LAYERS[0], weights=[w1.tolist(), b1.tolist()]),
        SEED_LAYERS[1],
        SEED_LAYERS[2],
        dict(SEED_LAYERS[3], weights=[w2.tolist(), b2.tolist()]),
    ]
    x = np.array(SEED_INPUTS, dtype=float)
    expected = np.maximum(x @ w1 + b1, 0).reshape(1, 48) @ w2 + b2
    np.testing.assert_allclose(_predict(client, layers).predictions, expected, rtol=1e-5)


def test_the_same_body_gets_the_same_bytes_and_another_seed_other_weights(client):
    first = client.post("/v1/predict", json=SEED_BODY).data
    assert client.post("/v1/summary", json={"model": SEED_BODY["model"]}).status_code == 200
    assert client.post("/v1/predict", json=dict(SEED_BODY, seed=0)).data == first
    other = PredictResponse.model_validate_json(client.post("/v1/predict", json=dict(SEED_BODY, seed=7)).data)
    assert other.predictions != PredictResponse.model_validate_json(first).predictions


def test_summary_endpoint_agrees_with_predict(client):
    summary = SummaryResponse.model_validate_json(client.post("/v1/summary", json={"model": SEED_BODY["model"]}).data)
    answer = _predict(client, SEED_LAYERS)
    assert summary.layers == answer.layers and summary.params == answer.params and summary.summary == answer.summary


def test_input_shape_may_come_from_the_inputs(client):
    layers = [{k: v for k, v in SEED_LAYERS[0].items() if k != "input_shape"}] + SEED_LAYERS[1:]
    answer = _predict(client, layers)
    assert answer.layers[0].input_shape == [None, 3, 2] and answer.output_shape == [1, 4]


def test_names_the_user_gave_are_kept(client):
    layers = [
        dict(SEED_LAYERS[0], name="D16"),
        dict(SEED_LAYERS[1], name="A"),
        dict(SEED_LAYERS[2], name="F"),
        dict(SEED_LAYERS[3], name="D4"),
    ]
    answer = _predict(client, layers)
    assert [r.name for r in answer.layers] == ["D16", "A", "F", "D4"]
    assert "D16 (Dense)" in answer.summary


def test_the_readme_example_is_the_answer_the_service_gives(client):
    """The README's seed answer was pasted from a run; the service must still give it, digit for digit."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("The answer (from a run of `make serve`", 1)[1]
    block = example.split("```json\n", 1)[1].split("\n```", 1)[0]
    fields, summary = block.rsplit('\n "summary": ', 1)  # the README cuts the summary short with " ..."
    shown = json.loads(fields.rstrip().rstrip(",") + "}")
    summary_start = json.loads(summary.removesuffix(' ..."}') + '"')
    answer = client.post("/v1/predict", json=SEED_BODY).get_json()
    assert {key: answer[key] for key in shown} == shown
    assert answer["summary"].startswith(summary_start) and len(summary_start) > 40
