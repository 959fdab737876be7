"""A refused body costs a bounded answer whatever its number of errors: the first MAX_LISTED_ERRORS errors are
listed (and advised), the detail says how many there were, and the answer stays small (issue 21)."""

import json

import pytest

from keras_shape_service.errors import MAX_LISTED_ERRORS
from keras_shape_service.http import body
from keras_shape_service.schemas import PredictRequest, SummaryRequest
from keras_shape_service.settings import Settings
from tests.forms import SEED_LAYERS

ANSWER_BOUND = 64_000


@pytest.mark.parametrize(
    "layers, count, first_loc",
    [
        ([1] * 200_000, 200_000, ["model", "layers", 0]),
        ([{"type": "Dens"}] * 20_000, 20_000, ["model", "layers", 0, "type"]),
    ],
    ids=["200k-numbers", "20k-misspelled-types"],
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
    answer = client.post("/v1/summary", json={"model": {"layers": [{"type": "Dens"}] * 5_000}}).get_json()
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
