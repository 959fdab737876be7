"""The cache can make answers faster, never different; and it stays within its bounds."""

import json

import numpy as np
import pytest
from prometheus_client import REGISTRY

from keras_shape_service.engine.caches import LruCache
from tests.conftest import answers_of, engine_of
from tests.forms import CONV_LAYERS, EMBEDDING_LAYERS, RECURRENT_LAYERS, SEED_BODY, SEED_LAYERS_NO_FLATTEN
from tests.unit.test_spec_forms import MODELS

BODIES = [
    SEED_BODY,
    dict(SEED_BODY, inputs=SEED_BODY["inputs"] * 2, seed=5),
    {"model": {"layers": SEED_LAYERS_NO_FLATTEN}, "inputs": SEED_BODY["inputs"]},
    {"model": {"layers": CONV_LAYERS}, "inputs": MODELS["conv"][1]},
    {"model": {"layers": RECURRENT_LAYERS}, "inputs": MODELS["recurrent"][1]},
    {"model": {"layers": RECURRENT_LAYERS}, "inputs": MODELS["recurrent"][1][:1]},
    {"model": {"layers": EMBEDDING_LAYERS}, "inputs": MODELS["embedding"][1]},
]


@pytest.fixture(scope="module")
def uncached(make_client):
    return make_client(model_cache_entries=0, response_cache_bytes=0)


def _post(client, body, indent=None):
    return client.post("/v1/predict", data=json.dumps(body, indent=indent), content_type="application/json").data


def test_cached_answers_are_byte_for_byte_the_uncached_ones(uncached, make_client):
    cached = make_client()
    expected = [_post(uncached, body) for body in BODIES]
    # Each round spells the bodies differently, so that the answer cache (keyed by the body's bytes)
    # misses and the model cache answers: first an eager call, then calls through the traced function.
    for indent in (None, 1, 2):
        for body, answer in zip(BODIES, expected):
            assert _post(cached, body, indent) == answer, (indent, body["model"])
    for body, answer in zip(BODIES, expected):  # now from the answer cache
        assert _post(cached, body) == answer
    assert len(answers_of(cached)) == 3 * len(BODIES)  # three spellings of each body
    answers = engine_of(cached)
    # Six models (the warm-up's is not cached); another batch size for a cached model reuses it.
    assert len(answers.models) == 6
    summary = {"model": {"layers": CONV_LAYERS}}
    assert cached.post("/v1/summary", json=summary).data == uncached.post("/v1/summary", json=summary).data


def _distinct_body(units: int) -> dict:
    return {"model": {"layers": [{"type": "Dense", "units": units, "input_shape": [3]}]}, "inputs": [[1, 2, 3]]}


def test_the_cache_holds_at_most_its_entries(make_client):
    client = make_client(model_cache_entries=3)
    for units in range(1, 8):
        assert client.post("/v1/predict", json=_distinct_body(units)).status_code == 200
    assert len(engine_of(client).models) == 3


def test_the_cache_holds_at_most_its_bytes_of_weights(make_client):
    # Dense(units) on 3 inputs holds 4·units float32 weights: 16·units bytes.
    client = make_client(model_cache_bytes=16 * 40)
    for units in (10, 20, 15, 5):
        assert client.post("/v1/predict", json=_distinct_body(units)).status_code == 200
    models = engine_of(client).models
    assert models.total_bytes <= 16 * 40
    assert models.total_bytes == sum(entry.weight_bytes for entry in models._entries.values())
    # 10 + 20 + 15 units is over the bound: the oldest (10) went; 20 + 15 + 5 fill it exactly.
    assert len(models) == 3 and models.total_bytes == 16 * 40


def test_lru_evicts_the_least_recently_used():
    cache = LruCache(max_entries=2, max_bytes=100, size_of=len)
    cache.put("a", "x")
    cache.put("b", "yy")
    assert cache.get("a") == "x"
    cache.put("c", "zzz")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("x", None, "zzz")
    cache.put("big", "w" * 101)
    assert cache.get("big") is None and len(cache) == 2 and cache.total_bytes == 4


def _builds(kind: str) -> float:
    return REGISTRY.get_sample_value("kss_model_builds_total", {"kind": kind}) or 0.0


def test_a_summary_is_built_once_however_its_body_is_spelled(make_client):
    client = make_client()
    body = {"model": {"layers": CONV_LAYERS, "name": "spelled"}}
    before = _builds("summary")
    answers = {
        client.post("/v1/summary", data=json.dumps(body, indent=indent), content_type="application/json").data
        for indent in (None, 1, 2, 3)
    }
    assert len(answers) == 1 and _builds("summary") == before + 1, "the summary cache must answer the others"


def test_a_model_seen_again_is_answered_by_its_traced_function(make_client):
    client = make_client()
    bodies = [dict(SEED_BODY, inputs=[[[x, 2], [3, 4], [5, 6]]]) for x in (1, 7, 9)]
    answers = [client.post("/v1/predict", json=body).get_json()["predictions"] for body in bodies]
    (ready,) = engine_of(client).models._entries.values()
    assert (ready.calls, ready.traced_calls) == (3, 2), "the first call is eager, the others traced"
    assert answers[0] == client.post("/v1/predict", json=dict(bodies[0], seed=0)).get_json()["predictions"]


@pytest.mark.parametrize(
    "layers, shapes",
    [
        ([{"type": "Dense", "units": 2}], [(1, 3), (1, 5), (2, 3)]),  # no input shape: the inputs make the kernel
        (
            [
                {"type": "Embedding", "input_dim": 10, "output_dim": 3, "input_shape": [None]},
                {"type": "GlobalAveragePooling1D"},
            ],
            [(1, 4), (1, 7), (3, 4)],
        ),  # a variable-length axis
    ],
)
def test_one_model_sent_with_inputs_of_other_shapes_answers_each_as_sent(make_client, layers, shapes):
    """A request's spec and model key are remembered by the model sent and its inputs' shapes: the same model
    text with inputs of another shape gets the uncached engine's answer. A model with no input shape is built
    at the inputs' shape; a variable axis stays None in the rows (one model for every length), the run's
    length is in the prediction's shape."""
    cached, uncached = make_client(), make_client(model_cache_entries=0, response_cache_bytes=0)
    for shape in shapes:
        inputs = [[index % 10 for index in range(shape[1])]] * shape[0]
        body = {"model": {"layers": layers}, "inputs": inputs}
        answer = json.loads(_post(cached, body))
        assert answer == json.loads(_post(uncached, body)), shape
        variable = "input_shape" in layers[0]
        assert answer["layers"][0]["input_shape"][1] == (None if variable else shape[1])
        assert list(np.shape(answer["predictions"])) == answer["output_shape"] == [shape[0], 3 if variable else 2]


def _with_constant(value: list, dtype: str):
    from keras_shape_service.specs.canonical import (
        Call,
        CanonicalInput,
        CanonicalLayer,
        CanonicalSpec,
        Constant,
        TensorRef,
    )

    constant = Constant(value, dtype, (len(value),))
    call = Call((TensorRef("x"), constant))
    add = CanonicalLayer("Add", {}, "add", (), (), calls=(call,), module="keras.src.ops.numpy")
    return CanonicalSpec("functional", "m", (CanonicalInput("x", (len(value),)),), (add,), (TensorRef("add"),))


def test_a_models_key_holds_its_constants_numbers_and_dtype_without_copying_them(monkeypatch):
    """Two models differing only in a constant's numbers or dtype are two models; the key reads the numbers as
    they are: dataclasses.asdict deep-copied each one (a million one-number rows: 8 s of CPU per request)."""
    import copy

    from keras_shape_service.engine.caches import spec_key

    keys = {spec_key(_with_constant(value, dtype), 0) for value, dtype in [([1, 2], "int32"), ([1, 3], "int32")]}
    keys.add(spec_key(_with_constant([1, 2], "float32"), 0))
    assert len(keys) == 3
    copies = []
    monkeypatch.setattr(copy, "deepcopy", lambda value, *rest: copies.append(value) or value)
    spec_key(_with_constant(list(range(1000)), "int32"), 0)
    assert copies == []


def test_the_cache_counts_the_weights_of_layers_computing_constants_and_what_they_computed(make_client):
    """A layer computing a constant (__layer_output__) keeps its weights and its output with the model: the
    cache's byte bound counted neither, so models holding up to max_params each in such a table were kept past
    model_cache_bytes."""
    import keras
    from keras import layers, ops

    keras.backend.clear_session()
    tokens = keras.Input((5,), name="tokens")
    model = keras.Model(tokens, layers.Embedding(20, 4)(tokens) + layers.Embedding(5, 4)(ops.arange(5)))
    document = json.loads(model.to_json())
    add = next(i for i, layer in enumerate(document["config"]["layers"]) if layer["class_name"] == "Add")
    table = {"class_name": "Embedding", "config": {"name": "positions", "input_dim": 50_000, "output_dim": 4}}
    numbers = {"class_name": "__tensor__", "config": {"value": [0, 1, 2, 3, 4], "dtype": "int32"}}
    document["config"]["layers"][add]["inbound_nodes"][0]["args"][1] = {
        "class_name": "__layer_output__",
        "config": {"layer": table, "inputs": numbers},
    }
    client = make_client()
    response = client.post("/v1/predict", json={"model": document, "inputs": [[1, 2, 3, 4, 0]]})
    assert response.status_code == 200, response.get_json()
    # the model's token table, the positions' table, and the (5, 4) positions computed from it, in float32; and
    # the 5 numbers the spec keeps (test_the_caches_holding_a_spec_count_its_constants_numbers)
    assert engine_of(client).models.total_bytes == (20 * 4 + 50_000 * 4 + 5 * 4) * 4 + 5 * 40


def test_the_caches_holding_a_spec_count_its_constants_numbers(make_client):
    """A spec keeps a constant's numbers as Python floats in lists (40 bytes each, with the model's tensor): a
    million per model, counted nothing, let 64 cached models and readings hold gigabytes past model_cache_bytes."""
    import keras
    from keras import layers

    features = keras.Input((100, 3), name="features")
    model = keras.Model(features, layers.Dense(3, name="dense")(features) + keras.ops.ones((100, 3)))
    client = make_client()
    response = client.post("/v1/predict", json={"model": json.loads(model.to_json()), "inputs": [[[0.5] * 3] * 100]})
    assert response.status_code == 200, response.get_json()
    engine = engine_of(client)
    assert engine.readings.total_bytes == 300 * 40
    assert engine.models.total_bytes == (3 * 3 + 3) * 4 + 300 * 40  # the dense layer's weights, and the constant
