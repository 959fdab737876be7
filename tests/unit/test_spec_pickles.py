"""A model spec pickled once per spec (spec_pickles.py): a Job carries its digest and pickle, an executor that
read those exact bytes before takes its own copy; the keys made from the digest are those of the spec."""

import io
import os
import pickle

import numpy as np
import pytest

from keras_shape_service.engine.engine import _reading_key
from keras_shape_service.executors import wire
from keras_shape_service.executors.client import killer_key
from keras_shape_service.schemas.messages import PredictRequest
from keras_shape_service.spec_pickles import SpecPickles


def _request(units: int = 8, seed: int = 0, batch: int = 1) -> PredictRequest:
    return PredictRequest.model_validate(
        {
            "model": {"input_shape": [4], "layers": [{"type": "Dense", "units": units}, {"type": "Dense", "units": 2}]},
            "inputs": np.arange(4.0 * batch).reshape(batch, 4).tolist(),
            "seed": seed,
        }
    )


@pytest.fixture
def sides(monkeypatch):
    """An HTTP worker's spec pickles and an executor's, as the two processes hold them."""
    worker, executor = SpecPickles(), SpecPickles()

    def send(request: PredictRequest) -> PredictRequest:
        monkeypatch.setattr(wire, "SPEC_PICKLES", worker)
        frame = wire.encode(wire.Job("predict", request))
        monkeypatch.setattr(wire, "SPEC_PICKLES", executor)
        job = wire.decode(frame[4:])
        assert isinstance(job, wire.Job)
        return job.request  # type: ignore[return-value]

    return send, executor


def test_a_spec_sent_again_is_the_executors_own_copy_and_equal_to_the_sent_one(sides):
    send, _ = sides
    request = _request()
    first = send(request)
    again = send(_request().model_copy(update={"model": request.model, "inputs": np.ones((3, 4))}))
    assert first.model.model_dump() == request.model.model_dump()
    assert again.model is first.model  # not unpickled again
    assert again.inputs.shape == (3, 4) and again.inputs_shapes == {None: (3, 4)}


def test_a_different_spec_of_the_same_pickle_length_is_read_from_its_own_bytes(sides):
    send, _ = sides
    eight, nine = _request(8), _request(9)
    assert len(pickle.dumps(eight.model, protocol=5)) == len(pickle.dumps(nine.model, protocol=5))
    received = send(eight), send(nine)
    assert [layer.units for layer in received[1].model.layers] == [9, 2]
    assert received[1].model is not received[0].model


def test_a_known_digest_with_other_bytes_is_not_served_the_kept_spec(sides):
    send, executor = sides
    kept = send(_request(8)).model
    digest = next(iter(executor._by_digest))
    other = pickle.dumps(_request(9).model, protocol=5)
    assert executor.known(digest, other) is None
    frame = _job_with_pid("predict", (digest, other))
    job = wire.decode(frame)
    assert [layer.units for layer in job.request.model.layers] == [9, 2] and job.request.model is not kept


def _job_with_pid(operation_id: str, pid: object) -> bytes:
    class Forging(pickle.Pickler):
        def persistent_id(self, obj):
            return pid if isinstance(obj, str) and obj == "<spec>" else None

    stream = io.BytesIO()
    Forging(stream, protocol=5).dump(wire.Job(operation_id, _request().model_copy(update={"model": "<spec>"})))
    return stream.getvalue()


def test_a_spec_pickle_naming_anything_else_is_refused():
    class Payload:
        def __reduce__(self):
            return (os.system, ("true",))

    with pytest.raises(wire.WireError, match="not part of the executors' wire"):
        wire.decode(_job_with_pid("predict", ("0" * 64, pickle.dumps(Payload()))))
    with pytest.raises(wire.WireError, match="persistent id"):
        wire.decode(_job_with_pid("predict", "a string"))


def test_the_keys_are_the_same_for_an_equal_spec_and_differ_for_another():
    assert killer_key("predict", _request(8)) == killer_key("predict", _request(8))
    assert killer_key("predict", _request(8)) != killer_key("predict", _request(9))
    assert killer_key("predict", _request(8)) != killer_key("predict", _request(8, batch=2))
    assert killer_key("predict", _request(8)) == killer_key("predict", _request(8, seed=3))  # a seed costs nothing
    assert _reading_key(_request(8)) == _reading_key(_request(8))
    assert _reading_key(_request(8)) != _reading_key(_request(9))
    assert _reading_key(_request(8)) != _reading_key(_request(8, seed=3))


def test_at_most_size_specs_are_kept_and_a_forgotten_one_is_pickled_again_alike():
    pickles = SpecPickles(size=2)
    specs = [_request(units).model for units in (1, 2, 3)]
    digests = [pickles.of(spec)[0] for spec in specs]
    assert len(pickles._by_digest) == 2 and len(pickles._digest_of) == 2
    assert pickles.known(digests[0], pickle.dumps(specs[0], protocol=5)) is None
    assert pickles.of(specs[0])[0] == digests[0]


def test_a_spec_whose_pickle_is_over_the_size_kept_is_pickled_each_time_and_not_kept():
    spec = _request().model
    pickles = SpecPickles(largest=len(pickle.dumps(spec, protocol=5)) - 1)
    assert pickles.of(spec) == pickles.of(spec) and not pickles._by_digest
