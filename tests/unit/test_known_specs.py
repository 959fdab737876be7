"""The HTTP worker's validated-spec cache (http/body.py): a cached spec is the one validating afresh gives, and
only for the exact spec value it was validated from; the limits apply as before."""

import orjson
import pytest

from keras_shape_service.errors import InvalidRequest, LimitExceeded
from keras_shape_service.http import body
from keras_shape_service.schemas import PredictRequest, SummaryRequest
from keras_shape_service.settings import Settings


def _dense_model(units: int, layers: int = 3) -> dict:
    return {"input_shape": [4], "layers": [{"type": "Dense", "units": units} for _ in range(layers)]}


def _read(document: dict, settings: Settings, model: type = PredictRequest):
    return body.read(model, orjson.dumps(document), settings)


@pytest.fixture(autouse=True)
def _empty_cache():
    body._specs.clear()
    yield
    body._specs.clear()


def test_a_spec_seen_before_gives_the_answer_validating_afresh_gives():
    settings = Settings()
    document = {"model": _dense_model(8), "inputs": [[1.0, 2.0, 3.0, 4.0]]}
    first = _read(document, settings)
    again = _read({**document, "inputs": [[5.0, 6.0, 7.0, 8.0], [0.0, 0.0, 0.0, 0.5]]}, settings)
    fresh = PredictRequest.model_validate({**document, "inputs": [[5.0, 6.0, 7.0, 8.0], [0.0, 0.0, 0.0, 0.5]]})
    assert again.model is first.model  # served from the cache, not validated again
    assert again.model.model_dump() == fresh.model.model_dump()
    assert again.inputs.tolist() == [[5.0, 6.0, 7.0, 8.0], [0.0, 0.0, 0.0, 0.5]]
    assert again.inputs_shapes == {None: (2, 4)}


def test_a_different_spec_of_the_same_length_is_not_served_the_cached_one():
    settings = Settings()
    first = _read({"model": _dense_model(8), "inputs": [[1.0, 2.0, 3.0, 4.0]]}, settings)
    other = _read({"model": _dense_model(9), "inputs": [[1.0, 2.0, 3.0, 4.0]]}, settings)
    assert len(orjson.dumps(_dense_model(8))) == len(orjson.dumps(_dense_model(9)))
    assert other.model is not first.model
    assert [layer.units for layer in other.model.layers] == [9, 9, 9]


def test_a_summary_request_is_not_served_a_predict_requests_spec():
    settings = Settings()
    _read({"model": _dense_model(8), "inputs": [[1.0, 2.0, 3.0, 4.0]]}, settings)
    summary = _read({"model": _dense_model(8)}, settings, SummaryRequest)
    assert type(summary) is SummaryRequest and [layer.units for layer in summary.model.layers] == [8, 8, 8]


def test_the_layer_limit_still_applies_to_a_spec_cached_under_a_larger_one():
    _read({"model": _dense_model(8, layers=5), "inputs": [[1.0, 2.0, 3.0, 4.0]]}, Settings())
    with pytest.raises(LimitExceeded) as refused:
        _read({"model": _dense_model(8, layers=5), "inputs": [[1.0, 2.0, 3.0, 4.0]]}, Settings(max_layers=4))
    assert refused.value.problem().limit == "max_layers"


def test_bad_inputs_to_a_cached_spec_are_refused_as_before():
    settings = Settings()
    _read({"model": _dense_model(8), "inputs": [[1.0, 2.0, 3.0, 4.0]]}, settings)
    with pytest.raises(InvalidRequest) as refused:
        _read({"model": _dense_model(8), "inputs": [[1.0, "2", 3.0, 4.0]]}, settings)
    assert [error.loc for error in refused.value.problem().errors] == [
        fresh.loc for fresh in _fresh_errors({"model": _dense_model(8), "inputs": [[1.0, "2", 3.0, 4.0]]})
    ]


def _fresh_errors(document: dict):
    body._specs.clear()
    with pytest.raises(InvalidRequest) as refused:
        _read(document, Settings())
    return refused.value.problem().errors


def test_a_refused_spec_is_not_kept():
    settings = Settings()
    bad = {"model": {"input_shape": [4], "layers": [{"type": "Dense", "units": -1}]}, "inputs": [[1.0] * 4]}
    for _ in range(2):
        with pytest.raises(InvalidRequest):
            _read(bad, settings)
    assert not body._specs
