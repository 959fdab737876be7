"""The benchmark's naive peer and HTTP floor answer the bodies `make bench` sends as the service does."""

import json

import pytest

from bench import floor_app, naive_app, specs
from tests.forms import SEED_BODY

SUMMARY_BODY = {"model": SEED_BODY["model"]}
# What the naive peer answers, as the obvious implementation would: the service's explanations (why, macs,
# weights, cost) are beyond it.
CORE_ROW = ("name", "type", "input_shape", "output_shape", "params", "inbound")


def _core(rows: list[dict]) -> list[dict]:
    return [{key: row[key] for key in CORE_ROW} for row in rows]


@pytest.fixture(scope="module")
def naive():
    return naive_app.app.test_client()


@pytest.fixture(scope="module")
def floor():
    return floor_app.app.test_client()


def test_the_naive_peer_answers_the_seed_body_as_the_service_does(naive, client):
    expected = client.post("/v1/predict", json=SEED_BODY).get_json()
    answer = naive.post("/v1/predict", json=SEED_BODY).get_json()
    assert answer["output_shape"] == [1, 4]
    assert _core(answer["layers"]) == _core(expected["layers"]) and answer["params"] == expected["params"]
    assert answer["predictions"][0] == pytest.approx(expected["predictions"][0], rel=1e-5)
    assert answer["summary"].startswith('Model: "sequential"') and "Total params: 244" in answer["summary"]


def test_the_naive_peer_summarizes_the_seed_model_as_the_service_does(naive, client):
    expected = client.post("/v1/summary", json=SUMMARY_BODY).get_json()
    answer = naive.post("/v1/summary", json=SUMMARY_BODY).get_json()
    assert answer.keys() == expected.keys() - {"cost"} and _core(answer["layers"]) == _core(expected["layers"])


@pytest.mark.parametrize("index", [0, 1234, specs.VARIANTS - 1])
def test_the_service_and_the_naive_peer_agree_on_a_distinct_spec(naive, client, index):
    body = specs.distinct_body(index)
    expected, answer = client.post("/v1/predict", json=body), naive.post("/v1/predict", json=body)
    assert expected.status_code == answer.status_code == 200
    assert _core(answer.get_json()["layers"]) == _core(expected.get_json()["layers"])


@pytest.mark.parametrize("path, body", [("/v1/predict", SEED_BODY), ("/v1/summary", SUMMARY_BODY)])
def test_the_floor_sends_an_answer_of_the_service_s_shape(floor, client, path, body):
    expected = client.post(path, json=body).get_json()
    answer = floor.post(path, json=body)
    assert answer.status_code == 200 and answer.get_json().keys() == expected.keys()


def test_the_floor_parses_the_body(floor):
    assert floor.post("/v1/predict", data=b"{", content_type="application/json").status_code == 400


def test_every_body_of_a_run_is_a_model_no_earlier_phase_sent():
    ranges = (specs.WARM_UP_RANGE, specs.GROWTH_RANGE, specs.COLD_RANGE)
    models = [json.dumps(json.loads(body)["model"]) for r in ranges for body in specs.distinct_bodies(r)]
    assert len(set(models)) == len(models) == sum(map(len, ranges))
    assert json.dumps(SEED_BODY["model"]) not in models


def test_the_phases_meant_to_miss_the_answer_cache_send_no_body_twice():
    """ "New inputs" and the batch stream measure the model cache and the executors: a body sent again would be
    answered from the answer cache (the new-inputs phase once held 997 distinct bodies in 1,500)."""
    seeds = specs.seed_with_new_inputs(3_000)
    assert len(set(seeds)) == len(seeds)
    batches = list(specs.image_batch_stream(specs.image_batches(2), 50))
    assert len(set(batches)) == len(batches)
    assert all(json.loads(body)["inputs"][0][1] == json.loads(batches[0])["inputs"][0][1] for body in batches[::2])
