"""The benchmark's naive peer and HTTP floor answer the bodies `make bench` sends as the service does."""

import json
import re

import pytest

from bench import floor_app, keras_cold, load, naive_app, specs
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


@pytest.mark.parametrize("index", [specs.COLD_RANGE.start, specs.COLD_RANGE.stop - 1])
def test_keras_in_process_answers_a_cold_spec_as_the_service_does(client, index):
    """The cold phase's Keras contender builds the model the service answers: its prediction's shape, its layers'
    types and output shapes, and the summary's totals as the service's summary gives them."""
    body = specs.encode(specs.distinct_body(index))
    expected = client.post("/v1/predict", data=body, content_type="application/json").get_json()
    status, answer, closed = keras_cold.KerasInProcess().post("/v1/predict", body)
    answer = json.loads(answer)
    assert (status, closed) == (200, False)
    assert answer["output_shape"] == expected["output_shape"]
    layer_rows = re.compile(r"\((\w+)\)\s+│\s+(\([^)]*\))")
    assert layer_rows.findall(answer["summary"]) == layer_rows.findall(expected["summary"])
    assert len(layer_rows.findall(answer["summary"])) == len(expected["layers"])
    totals = answer["summary"][answer["summary"].index("Total params") :]
    assert totals == expected["summary"][expected["summary"].index("Total params") :]


class _Answering:
    """A cold-phase contender that notes the bodies it was sent."""

    def __init__(self, sent: list[tuple[str, bytes]], name: str):
        self.sent, self.name, self.closed = sent, name, False

    def post(self, path: str, body: bytes) -> tuple[int, bytes, bool]:
        self.sent.append((self.name, body))
        return 200, b"{}", False

    def close(self) -> None:
        self.closed = True


def test_the_cold_phase_sends_every_contender_the_same_blocks_in_turn():
    sent: list[tuple[str, bytes]] = []
    contenders = {name: _Answering(sent, name) for name in ("service", "keras")}
    bodies = [bytes([index]) for index in range(5)]
    phases = load.alternating(contenders, "/v1/predict", bodies, 2, 60)  # type: ignore[arg-type]
    assert [name for name, _ in sent] == ["service"] * 2 + ["keras"] * 2 + ["service"] * 2 + ["keras"] * 2 + [
        "service",
        "keras",
    ]
    assert [body for name, body in sent if name == "keras"] == bodies
    assert all(phase.count == 5 for phase in phases.values()) and all(c.closed for c in contenders.values())


def test_the_variable_length_phase_sends_one_text_model_at_twenty_lengths_and_counts_one_build(make_client):
    """Its bodies hold the same model with sentences of 1 to 20 words, and the builds read from /metrics (the
    Prometheus text the bench parses) count the one build the service makes of it."""
    bodies = [json.loads(body) for body in specs.text_bodies()]
    assert [len(body["inputs"][0]) for body in bodies] == list(specs.TEXT_LENGTHS) == list(range(1, 21))
    assert all(body["model"] == specs.TEXT_MODEL for body in bodies)
    assert specs.TEXT_MODEL["layers"][0]["input_shape"] == [None]
    client = make_client()
    before = specs.builds(client.get("/metrics").get_data(as_text=True))
    for body in specs.text_bodies():
        response = client.post("/v1/predict", data=body, content_type="application/json")
        assert response.status_code == 200 and response.get_json()["output_shape"] == [2, 3]
    assert specs.builds(client.get("/metrics").get_data(as_text=True)) - before == 1


def test_the_builds_are_read_from_every_label_of_the_counter():
    metrics = (
        "# HELP kss_model_builds_total Models whose shapes Keras built, by endpoint kind.\n"
        "# TYPE kss_model_builds_total counter\n"
        'kss_model_builds_total{kind="predict"} 3.0\n'
        'kss_model_builds_total{kind="summary"} 2.0\n'
        'kss_model_builds_created{kind="predict"} 1.7e+09\n'
    )
    assert specs.builds(metrics) == 5
