"""A model with a variable axis (null in its input shape) is built once, with None there, and called with every
length: one build, one cache entry, one trace; its rows show Keras's None, its prediction the run's shape; and
its estimates and limits still see each request's own lengths."""

import json

import keras
import numpy as np
import pytest

from keras_shape_service.schemas import Problem
from tests.conftest import engine_of
from tests.unit.test_observability import metric

TEXT_MODEL = {
    "layers": [
        {"type": "Embedding", "input_dim": 100, "output_dim": 8, "input_shape": [None]},
        {"type": "LSTM", "units": 4},
    ]
}
LENGTHS = range(1, 21)
SEED = 3


def _keras_text_model() -> keras.Model:
    """TEXT_MODEL as Keras builds it from the same seed: the service seeds Keras so, then makes the layers in
    order (their initializers draw their seeds when constructed)."""
    keras.utils.set_random_seed(SEED)
    return keras.Sequential([keras.Input((None,)), keras.layers.Embedding(100, 8), keras.layers.LSTM(4)])


def _sentences(length: int, batch: int = 2) -> np.ndarray:
    return np.random.default_rng(length).integers(0, 100, size=(batch, length))


def _answer(client, body: dict) -> dict:
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 200, response.data
    return response.get_json()


def _builds(client) -> float:
    return metric(client, "kss_model_builds_total", kind="predict")


def test_twenty_lengths_of_one_text_model_build_it_once_and_predict_as_keras(make_client):
    client, model = make_client(), _keras_text_model()
    before = _builds(client)
    for length in LENGTHS:
        sentences = _sentences(length)
        response = client.post("/v1/predict", json={"model": TEXT_MODEL, "inputs": sentences.tolist(), "seed": SEED})
        assert response.status_code == 200, response.data
        answer = response.get_json()
        assert answer["output_shape"] == [2, 4]
        np.testing.assert_allclose(answer["predictions"], model(sentences), atol=1e-5, err_msg=f"length {length}")
        # Keras's own rows, as /v1/summary and Keras's summary show them: the model is the same for every length.
        assert [(row["input_shape"], row["output_shape"]) for row in answer["layers"]] == [
            ([None, None], [None, None, 8]),
            ([None, None, 8], [None, 4]),
        ]
        assert "(None, None, 8)" in answer["summary"]
    assert _builds(client) == before + 1
    (ready,) = engine_of(client).models._entries.values()
    assert (ready.calls, ready.traces) == (len(LENGTHS), 1), "one traced function for every length"


# A Sequential model whose variable axis a strided convolution halves, wrapped recurrent layers and a
# TimeDistributed layer read; a graph whose two variable inputs a shared layer reads and a Concatenate joins
# along time (an axis that grows): the estimates must size each the same as the model declared at those lengths.
CONVOLVED = [
    {"type": "Embedding", "input_dim": 50, "output_dim": 6, "input_shape": [None]},
    {"type": "Conv1D", "filters": 5, "kernel_size": 3, "strides": 2},
    {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 3, "return_sequences": True}},
    {"type": "TimeDistributed", "layer": {"type": "Dense", "units": 2}},
    {"type": "GlobalMaxPooling1D"},
]


def _graph(left: object, right: object) -> dict:
    return {
        "inputs": [{"name": "left", "shape": [left, 4]}, {"name": "right", "shape": [right, 4]}],
        "layers": [
            {"name": "shared", "type": "Dense", "units": 3, "calls": [["left"], ["right"]]},
            {"name": "joined", "type": "Concatenate", "axis": 1, "inbound": ["shared", "shared#1"]},
            {"name": "steps", "type": "SimpleRNN", "units": 2, "inbound": ["joined"]},
        ],
        "outputs": ["steps"],
    }


def _convolved(length: object) -> dict:
    return {"layers": [dict(CONVOLVED[0], input_shape=[length])] + CONVOLVED[1:]}


@pytest.mark.parametrize(
    "variable, fixed, inputs, traces",
    [
        (  # a batch of 3 over 2, 4 and 14 steps: more examples than steps, and fewer
            {"layers": CONVOLVED},
            _convolved,
            lambda n: np.random.default_rng(n).integers(0, 50, size=(3, n)).tolist(),
            3,  # TimeDistributed over a variable axis: traced per shape (adapter/ready.py says why)
        ),
        (
            _graph(None, None),
            lambda n: _graph(n, n + 2),
            lambda n: {"left": np.ones((2, n, 4)).tolist(), "right": np.ones((2, n + 2, 4)).tolist()},
            1,
        ),
    ],
    ids=["sequential", "graph"],
)
def test_each_length_costs_and_predicts_as_the_model_declared_at_that_length(
    make_client, variable, fixed, inputs, traces
):
    client = make_client()
    before = _builds(client)
    for length in (5, 9, 30):
        answer, declared = (
            _answer(client, {"model": model, "inputs": inputs(length)}) for model in (variable, fixed(length))
        )
        assert answer["cost"] == declared["cost"], length
        assert answer["predictions"] == declared["predictions"], length
        assert answer["output_shape"] == declared["output_shape"]
    assert _builds(client) == before + 1 + 3, "the variable model once, the declared one per length"
    (ready,) = [ready for ready in engine_of(client).models._entries.values() if None in ready.inputs[0][1][1:]]
    assert ready.traces == traces


# An axis a layer grows past the input's own size (UpSampling1D: 10 steps a token): an estimate that sized the
# variable axis at the input's numbers per example (facts.sized_for_estimates' fallback) would see a tenth.
UPSAMPLED_TEXT_MODEL = {
    "layers": [TEXT_MODEL["layers"][0], {"type": "UpSampling1D", "size": 10}, TEXT_MODEL["layers"][1]]
}


@pytest.mark.parametrize(
    "setting, value, estimate",
    [
        # UpSampling1D's output, 10 steps of 8 numbers a token for 2 sentences: 20 tokens fit in 3,200, 21 do not.
        ("max_activation_elements", 2 * 20 * 10 * 8, 2 * 21 * 10 * 8),
        # 60 µs a recurrent step (guards/cost.py): 200 steps fit in 12 ms, 210 do not (12.6 ms, answered rounded).
        ("compute_budget_s", 20 * 10 * 60e-6 + 1e-9, 0.013),
    ],
)
def test_a_too_long_input_is_still_refused_by_its_estimate(make_client, setting, value, estimate):
    client = make_client(**{setting: value})
    body = {"model": UPSAMPLED_TEXT_MODEL, "inputs": _sentences(3).tolist()}
    assert client.post("/v1/predict", json=body).status_code == 200
    before = _builds(client)
    assert client.post("/v1/predict", json=dict(body, inputs=_sentences(20).tolist())).status_code == 200
    refused = client.post("/v1/predict", json=dict(body, inputs=_sentences(21).tolist()))
    assert refused.status_code == 422, refused.data
    problem = Problem.model_validate_json(refused.data)
    assert (problem.limit, problem.request_value) == (setting, estimate)
    assert _builds(client) == before, "the cached model answered and refused: no build"
    cold = make_client(**{setting: value}).post("/v1/predict", json=dict(body, inputs=_sentences(21).tolist()))
    assert Problem.model_validate_json(cold.data).limit == setting, "refused before a first build too"


def test_a_fixed_shape_model_beside_it_is_unaffected(make_client):
    client = make_client()
    fixed = {"layers": [{"type": "Dense", "units": 2, "input_shape": [3]}]}
    summary = client.post("/v1/summary", json={"model": fixed}).get_json()
    before = _builds(client)
    for batch in (1, 2, 4):
        for length in (2, 7):  # the text model's calls in between
            sentences = _sentences(length).tolist()
            assert client.post("/v1/predict", json={"model": TEXT_MODEL, "inputs": sentences}).status_code == 200
        inputs = np.arange(3 * batch, dtype=float).reshape(batch, 3)
        answer = client.post("/v1/predict", json={"model": fixed, "inputs": inputs.tolist()}).get_json()
        assert answer["layers"] == summary["layers"] and [row["output_shape"] for row in answer["layers"]] == [
            [None, 2]
        ]
        assert answer["output_shape"] == [batch, 2]
        assert answer["cost"]["batch_macs"] == summary["cost"]["macs"] * batch
    assert _builds(client) == before + 2 and len(engine_of(client).models) == 2
    assert json.loads(client.post("/v1/summary", json={"model": fixed}).data) == summary


def test_a_model_keras_cannot_build_with_none_is_built_at_each_length_as_before(make_client):
    """A Flatten before a Dense sizes the Dense's kernel by the length: Keras refuses the model with None there,
    so it is built at the lengths of its inputs, once per length, and answers as the model declared so."""

    def flattened(length: object) -> dict:
        return {
            "layers": [
                {"type": "Embedding", "input_dim": 100, "output_dim": 4, "input_shape": [length]},
                {"type": "Flatten"},
                {"type": "Dense", "units": 2},
            ]
        }

    client, answers = make_client(), {}
    before = _builds(client)
    for length in (3, 6, 3):
        body = {"model": flattened(None), "inputs": _sentences(length).tolist()}
        answers[length] = answer = _answer(client, body)
        assert answer == _answer(client, dict(body, model=flattened(length)))
        assert answer["layers"][2]["input_shape"] == [None, 4 * length]
    assert _builds(client) == before + 2, "once per length, the declared model being the same one"
    uncached = make_client(model_cache_entries=0, response_cache_bytes=0)
    for length, answer in answers.items():
        assert answer == _answer(uncached, {"model": flattened(None), "inputs": _sentences(length).tolist()})
