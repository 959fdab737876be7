"""A refused body costs a bounded answer whatever its number of errors: the first MAX_LISTED_ERRORS errors are
listed (and advised), the detail says how many there were, and the answer stays small (issue 21)."""

import json

import pytest

from keras_shape_service.errors import MAX_LISTED_ERRORS
from keras_shape_service.http import body
from keras_shape_service.schemas import PredictRequest, SummaryRequest
from keras_shape_service.schemas.base import ERRORS_SEEN, ERRORS_UNLISTED
from keras_shape_service.settings import Settings
from tests.forms import SEED_LAYERS

ANSWER_BOUND = 64_000


@pytest.mark.parametrize(
    "layers, count, first_loc",
    [
        ([1] * 1_200, 1_200, ["model", "layers", 0]),
        ([{"type": "Dens"}] * 1_200, 1_200, ["model", "layers", 0, "type"]),
    ],
    ids=["1200-numbers", "1200-misspelled-types"],
)
@pytest.mark.parametrize("path", ["/v1/predict", "/v1/summary"])
def test_a_body_of_many_wrong_layers_is_refused_with_the_first_errors_and_their_count(
    client, path, layers, count, first_loc
):
    sent = {"model": {"layers": layers}} | ({"inputs": [[1.0]]} if path == "/v1/predict" else {})
    answer = client.post(path, json=sent)
    assert answer.status_code == 422
    assert len(answer.data) < ANSWER_BOUND
    problem = answer.get_json()
    assert len(problem["errors"]) == MAX_LISTED_ERRORS
    assert problem["detail"].startswith(f"{count} invalid field(s) (the first {MAX_LISTED_ERRORS} are listed)")
    assert problem["errors"][0]["loc"] == first_loc
    assert [item["loc"][2] for item in problem["errors"]] == list(range(MAX_LISTED_ERRORS))


def test_every_listed_misspelled_type_gets_its_did_you_mean(client):
    answer = client.post("/v1/summary", json={"model": {"layers": [{"type": "Dens"}] * 1_200}}).get_json()
    assert [item["hint"] for item in answer["errors"]] == [
        "There is no layer type 'Dens': did you mean 'Dense'?"
    ] * MAX_LISTED_ERRORS


def test_the_count_adds_errors_past_the_bound_to_those_elsewhere_in_the_body():
    """Errors of dropped layers are counted with the errors pydantic kept (here an unknown top-level field and a
    layer with two wrong arguments, each error counted once)."""
    layers = [{"type": "Dense", "units": "x", "use_bias": "y"}] + [1] * 30
    with pytest.raises(body.InvalidRequest) as refused:
        body.validate(SummaryRequest, {"model": {"layers": layers, "input_shape": [4]}, "extra": 1})
    counted_alone = SummaryRequest.model_validate  # without a context, every error is kept
    with pytest.raises(body.ValidationError) as every:
        counted_alone({"model": {"layers": layers, "input_shape": [4]}, "extra": 1})
    assert refused.value.count == every.value.error_count() == 33
    assert len(refused.value.errors) == MAX_LISTED_ERRORS


def test_a_single_wrong_layer_still_gets_its_checked_fix(client):
    layers = [dict(layer) for layer in SEED_LAYERS]
    layers[0]["type"] = "Dens"
    answer = client.post("/v1/summary", json={"model": {"layers": layers, "input_shape": [4]}}).get_json()
    (item,) = answer["errors"]
    assert item["fix"] == [{"op": "replace", "path": "/model/layers/0/type", "value": "Dense"}]


def test_a_large_refused_body_is_validated_once(monkeypatch):
    """The fix-checking path reuses the refusal made on the reading thread: the body is validated once, and
    each candidate patch once (a body over 64 kB used to be validated again on the event loop)."""
    calls = []
    model = PredictRequest
    original = model.model_validate.__func__

    def counted(cls, document, **kwargs):
        calls.append(document)
        return original(cls, document, **kwargs)

    monkeypatch.setattr(model, "model_validate", classmethod(counted))
    monkeypatch.setattr(body, "_under_gevent", lambda: True)  # the path gunicorn's workers take: a thread
    layers = [{"type": "Dense", "units": 4}] * 10 + [{"type": "Dens", "units": 1}]
    sent = {"model": {"layers": layers, "input_shape": [4]}, "inputs": [[0.5] * 4] * 4_000}
    raw = json.dumps(sent).encode()
    assert len(raw) > body._LARGE_BODY_BYTES
    with pytest.raises(body.InvalidRequest) as refused:
        body.read(model, raw, Settings(), plans=lambda typed: True)
    assert refused.value.errors[0].fix is not None
    assert len(calls) == 2  # the body, then its one candidate fix


def test_validation_keeps_a_bounded_number_of_errors():
    """pydantic made (and kept) one error per wrong entry: past the bound, wrong layers are only counted."""
    counts: dict = {}
    with pytest.raises(body.ValidationError) as kept:
        SummaryRequest.model_validate({"model": {"layers": [1] * 50_000}}, context=counts)
    assert kept.value.error_count() == MAX_LISTED_ERRORS
    assert counts[body.ERRORS_UNLISTED] == 50_000 - MAX_LISTED_ERRORS


MAX_LAYERS_TEXT = "over the limit max_layers=1,200; send a model of at most 1,200 layers"


def test_a_list_of_a_million_layers_is_refused_by_its_length_alone(client):
    """A list longer than max_layers is refused before its entries are validated (a 5 MB body of 2.6 million
    entries took seconds of CPU to refuse one by one), as any limit is: naming it, and what to send."""
    raw = b'{"model": {"layers": [' + b",".join([b"1"] * 1_000_000) + b"]}}"
    answer = client.post("/v1/summary", data=raw, content_type="application/json")
    assert answer.status_code == 422
    problem = answer.get_json()
    detail = f"number of layers counted (nested models' included) is 1,000,000, {MAX_LAYERS_TEXT}"
    assert problem["detail"] == detail
    assert (problem["limit"], problem["limit_value"], problem["request_value"]) == ("max_layers", 1_200, 1_000_000)
    assert problem["errors"] == [{"loc": ["model", "layers"], "msg": detail, "type": "limit"}]


def test_nested_models_count_their_layers_with_the_outer_one(client):
    """Lists each within the limit, together over it: the first nested list past the limit is refused."""
    nested = {"class_name": "Sequential", "config": {"layers": [1] * 1_000}}
    problem = client.post("/v1/summary", json={"model": {"layers": [nested] * 1_000}}).get_json()
    assert problem["status"] == 422
    assert problem["errors"][0]["loc"] == ["model", "layers", 0, "config", "layers"]
    assert problem["detail"] == f"number of layers counted (nested models' included) is 2,000, {MAX_LAYERS_TEXT}"


def test_input_layers_and_the_other_model_of_a_comparison_are_not_counted(make_client):
    """A Functional to_json document with exactly max_layers layers (its InputLayer one of them, as Keras lists
    model.layers) is answered, and so is a comparison of two such models: the count before validation is per
    model, and never above the count made once the model is built."""
    import keras

    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(3)(keras.layers.Dense(5)(inputs))
    document = json.loads(keras.Model(inputs, outputs).to_json())
    assert [layer["class_name"] for layer in document["config"]["layers"]] == ["InputLayer", "Dense", "Dense"]
    client = make_client(max_layers=3)
    answer = client.post("/v1/summary", json={"model": document})
    assert answer.status_code == 200, answer.get_json()
    assert [row["output_shape"] for row in answer.get_json()["layers"]][-1] == [None, 3]
    compared = client.post("/v1/compare", json={"a": {"model": document}, "b": {"model": document}})
    assert compared.status_code == 200, compared.get_json()
    sequential = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5), keras.layers.Dense(3)])
    document = json.loads(sequential.to_json())
    assert [layer["class_name"] for layer in document["config"]["layers"]] == ["InputLayer", "Dense", "Dense"]
    answer = make_client(max_layers=2).post("/v1/summary", json={"model": document})  # Keras lists 2 layers
    assert answer.status_code == 200, answer.get_json()
    four = {"layers": [{"type": "Dense", "units": 2}] * 4, "input_shape": [4]}
    refused = client.post("/v1/summary", json={"model": four}).get_json()
    assert refused["detail"].endswith("over the limit max_layers=3; send a model of at most 3 layers")


def _wrapped(layer: dict, wrappers: int) -> dict:
    """A Bidirectional around `wrappers` TimeDistributed around `layer`: each wrapper's `layer` a field of its own."""
    for _ in range(wrappers):
        layer = {"type": "TimeDistributed", "layer": layer}
    return {"type": "Bidirectional", "layer": layer}


WRONG_LSTM = {"type": "LSTM", "units": "four"}


@pytest.mark.parametrize("path", ["/v1/summary", "/v1/diagram"])
def test_a_wrong_layer_deep_in_wrappers_is_refused_where_it_is(client, path):
    """One wrong field inside more wrappers than MAX_LISTED_ERRORS was counted once per wrapper around it: past
    the bound, a wrapper's `layer` was dropped, which made a Bidirectional without its layer, valid to pydantic,
    and a 500 (schemathesis); once only list items were dropped, the whole layer went and the refusal said the
    list of layers was empty."""
    wrappers = MAX_LISTED_ERRORS + 2
    answer = client.post(path, json={"model": {"layers": [_wrapped(WRONG_LSTM, wrappers)], "input_shape": [5, 3]}})
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    assert answer.content_type == "application/problem+json"
    problem = answer.get_json()
    (item,) = problem["errors"]
    assert item["loc"] == ["model", "layers", 0] + ["layer"] * (wrappers + 1) + ["units"]
    assert problem["detail"].startswith("1 invalid field(s); first at")


@pytest.mark.parametrize("path", ["/v1/summary", "/v1/diagram"])
def test_a_wrapper_among_many_wrong_layers_is_refused_and_its_layer_named(client, path):
    """Past the bound, a Bidirectional whose layer is wrong is counted and dropped as any wrong layer is, never
    made a Bidirectional without its layer; as the 20th error, its layer's error is listed (counted twice, once
    by its `layer` and once as an item, it was the 21st and left out: 20 errors, "the first 19 are listed")."""
    before = [1] * (MAX_LISTED_ERRORS - 1)
    sent = {"model": {"layers": [*before, _wrapped(WRONG_LSTM, 0), *before], "input_shape": [5, 3]}}
    answer = client.post(path, json=sent)
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    assert answer.content_type == "application/problem+json"
    problem = answer.get_json()
    count = 2 * len(before) + 1
    assert problem["detail"].startswith(f"{count} invalid field(s) (the first {MAX_LISTED_ERRORS} are listed)")
    assert len(problem["errors"]) == MAX_LISTED_ERRORS
    assert problem["errors"][-1]["loc"] == ["model", "layers", len(before), "layer", "units"]
    past = {"model": {"layers": [*before, 1, 1, _wrapped(WRONG_LSTM, 0)], "input_shape": [5, 3]}}
    answer = client.post(path, json=past)
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    detail = answer.get_json()["detail"]
    assert detail.startswith(f"{len(before) + 3} invalid field(s) (the first {MAX_LISTED_ERRORS} are listed)")


def test_a_wrappers_layer_is_never_dropped_past_the_bound():
    """Past the bound only an item of a list of layers is dropped (the list is then refused, its dropped errors
    counted); a wrapper's `layer` dropped left a Bidirectional without its layer, valid to pydantic. The bound
    is reached here by the context's count alone, as by errors met before in the body."""
    counts = {ERRORS_SEEN: MAX_LISTED_ERRORS}
    with pytest.raises(body.ValidationError):
        SummaryRequest.model_validate(
            {"model": {"layers": [_wrapped(WRONG_LSTM, 0)], "input_shape": [5, 3]}}, context=counts
        )
    assert counts[ERRORS_UNLISTED] == 1  # the wrapper's layer's one error, counted with its dropped Bidirectional
