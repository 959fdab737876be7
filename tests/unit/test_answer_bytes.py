"""/v1/predict's answer is its prediction followed by the rest of the answer, which every request of one model at
the same input shapes shares and which the engine serializes once (Engine._predict_answer): the bytes must be
exactly those of the whole answer serialized afresh, for every kind of model and request."""

import json

import pytest

from keras_shape_service.http import body as http_body
from keras_shape_service.schemas import PredictRequest
from keras_shape_service.settings import Settings
from tests.conftest import engine_of
from tests.forms import SEED_BODY, TWO_INPUT_GRAPH


def _graph_body(length: int) -> dict:
    tokens = [[(step * 3 + row) % 10 for step in range(length)] for row in range(2)]
    return {"model": TWO_INPUT_GRAPH, "inputs": {"features": [[0.5, -1, 2, 0.25], [1, 2, 3, 4]], "tokens": tokens}}


BODIES = {
    "seed": SEED_BODY,
    "seed, other inputs": dict(SEED_BODY, inputs=[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]]),
    "seed, batch of two": dict(SEED_BODY, inputs=[[[1, 2], [3, 4], [5, 6]], [[6, 5], [4, 3], [2, 1]]]),
    "two inputs and outputs, 3 tokens": _graph_body(3),
    "two inputs and outputs, 7 tokens": _graph_body(7),
    "a memory budget": dict(SEED_BODY, memory_budget=10_000),
    "show_trainable": dict(SEED_BODY, show_trainable=True),
}


@pytest.fixture(scope="module")
def served(make_client):
    """One client: its answers, each request sent once, in order (later ones reuse what earlier ones cached)."""
    client = make_client()
    answers = {}
    for name, sent in BODIES.items():
        response = client.post("/v1/predict", json=sent)
        assert response.status_code == 200, response.data
        answers[name] = response.data
    return client, answers


@pytest.mark.parametrize("name", list(BODIES))
def test_the_answer_is_the_whole_answer_serialized_afresh(served, name):
    client, answers = served
    typed = http_body.read(PredictRequest, json.dumps(BODIES[name]).encode(), Settings())
    afresh = engine_of(client).predict(typed).model_dump_json(exclude_none=True).encode()
    assert answers[name] == afresh
    assert json.loads(answers[name])["output_shape"] == json.loads(afresh)["output_shape"]


def test_a_tail_is_kept_per_model_and_input_shapes_not_for_requests_that_change_it(served):
    """The seed model at batch 1 and 2, the graph at two lengths (its cost differs): four; the memory budget and
    show_trainable change the answer's cost and summary: none of theirs kept."""
    client, answers = served
    assert len(engine_of(client).answer_tails) == 4
    lengths = [json.loads(answers[f"two inputs and outputs, {n} tokens"])["cost"] for n in (3, 7)]
    assert lengths[0] != lengths[1]
