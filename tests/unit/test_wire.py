"""The executors' wire (keras_shape_service/executors/wire.py): every message goes and comes back whole, and a
frame that is not one of them is refused without anything in it being run; the HTTP worker's client turns
what an executor sends into the answer or the problem a user gets."""

import logging
import os
import pickle
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from keras_shape_service.errors import ExecutorLost, Overloaded, Relayed, ServiceError
from keras_shape_service.executors import wire
from keras_shape_service.executors.client import ExecutorClient
from keras_shape_service.files.hdf5 import WeightsFile
from keras_shape_service.schemas.messages import PredictRequest
from keras_shape_service.schemas.numbers import NUMBERS_ONLY
from keras_shape_service.settings import Settings
from tests.forms import SEED_BODY


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """Two ends of a Unix stream socket, as a worker and an executor hold them."""
    ends = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    for end in ends:
        end.settimeout(5)
    yield ends
    for end in ends:
        end.close()


def _seed_request() -> PredictRequest:
    """The seed body as the HTTP worker validates it: its inputs read into a numpy array by the bulk check."""
    return PredictRequest.model_validate(SEED_BODY, context={NUMBERS_ONLY: True})


def _refusal_of(error: ServiceError) -> wire.Refusal:
    return wire.Refusal(error.problem().model_dump(exclude_none=True), error.reason, error.headers)


def test_a_job_with_a_validated_request_and_its_array_comes_back_whole(pair):
    request = _seed_request()
    assert isinstance(request.inputs, np.ndarray)  # the path the executors take: an array, not a list of floats
    wire.send(pair[0], wire.Job("predict", request))
    job = wire.receive(pair[1], wire.Job)
    assert isinstance(job, wire.Job) and job.operation_id == "predict"
    assert isinstance(job.request, PredictRequest)
    assert job.request.model.model_dump() == request.model.model_dump()
    assert job.request.inputs.dtype == request.inputs.dtype
    np.testing.assert_array_equal(job.request.inputs, np.asarray(SEED_BODY["inputs"], dtype=np.float64))


def _uploaded_request(data: bytes) -> PredictRequest:
    return _seed_request().with_weights_file(WeightsFile(data, "keras", "m.keras"))  # type: ignore[return-value]


def test_an_uploaded_file_travels_beside_the_pickle_not_in_it(pair):
    """An upload's weights reach the executor whole, yet the pickle the worker makes holds none of their bytes:
    they are sent as they lie in memory (a 100 MB file was copied twice more into the frame)."""
    data = np.random.default_rng(0).bytes(3_000_000)
    request = _uploaded_request(data)
    head, pickled, *buffers = wire.pieces(wire.Job("predict", request))
    assert len(pickled) < 10_000 and [bytes(buffer) for buffer in buffers] == [data]
    assert buffers[0].obj is data  # a view of the request's own bytes, not a copy
    threading.Thread(target=wire.send, args=(pair[0], wire.Job("predict", request))).start()
    job = wire.receive(pair[1], wire.Job)
    assert isinstance(job, wire.Job) and isinstance(job.request, PredictRequest)
    received = job.request.weights_file
    assert (
        isinstance(received, WeightsFile) and received.data == data and received.digest == request.weights_file.digest
    )
    assert (received.layout, received.filename) == ("keras", "m.keras")
    assert job.request.inputs.flags.writeable  # the inputs array travels in the pickle, as before


def test_a_frame_whose_buffers_do_not_fit_it_is_refused():
    frame = wire.encode(wire.Job("predict", _uploaded_request(b"x" * 100)))
    with pytest.raises(wire.WireError):
        wire.decode(frame[4:-50])  # the buffer's declared size past what the payload holds
    count_lie = frame[4:5] + struct.pack("!I", 10**6) + frame[9:]
    with pytest.raises(wire.WireError):
        wire.decode(count_lie)


def test_a_weights_file_with_fields_of_other_types_is_refused():
    class Forged:
        def __reduce__(self):
            return (WeightsFile, (b"x", "exe", "m"))  # a layout no reader takes

    with pytest.raises(wire.WireError, match="unreadable frame"):
        wire.decode(pickle.dumps(wire.Job("predict", _seed_request().with_weights_file(Forged())), protocol=5))


@pytest.mark.parametrize(
    "message",
    [
        wire.Hello(os.getpid()),
        wire.Answer(b'{"predictions": [[0.5]]}'),
        _refusal_of(Overloaded("every executor stayed busy for 5000 ms")),
        wire.Refusal({"type": "about:blank", "title": "Bad Request", "status": 400}, "invalid", None),
        wire.Failure(),
    ],
    ids=type,
)
def test_every_reply_comes_back_equal(pair, message):
    wire.send(pair[1], message)
    assert wire.receive(pair[0], type(message)) == message


def test_frames_follow_one_another_on_one_connection(pair):
    for message in (wire.Hello(7), wire.Answer(b"first"), wire.Answer(b"second")):
        wire.send(pair[1], message)
    assert wire.receive(pair[0], wire.Hello) == wire.Hello(7)
    assert wire.receive(pair[0], *wire.REPLIES) == wire.Answer(b"first")
    assert wire.receive(pair[0], *wire.REPLIES) == wire.Answer(b"second")


def test_a_closed_connection_is_no_message(pair):
    pair[1].close()
    assert wire.receive(pair[0], wire.Job) is None


def test_a_frame_cut_short_by_its_peer_is_never_decoded(pair):
    frame = wire.encode(wire.Job("predict", _seed_request()))
    pair[1].sendall(frame[: len(frame) // 2])  # an executor killed as it wrote
    pair[1].close()
    assert wire.receive(pair[0], wire.Job) is None
    with pytest.raises(wire.WireError, match="unreadable"):  # the same bytes, had they been taken for a payload
        wire.decode(frame[4 : len(frame) // 2])


def test_an_oversized_length_prefix_is_refused_before_its_payload_is_read(pair):
    pair[1].sendall(struct.pack("!I", wire.MAX_FRAME_BYTES + 1) + b"never read")
    with pytest.raises(wire.WireError, match=f"a frame of {wire.MAX_FRAME_BYTES + 1} bytes, over the"):
        wire.receive(pair[0], wire.Job)
    assert pair[0].recv(100) == b"never read"
    wire.send(pair[1], wire.Answer(b"x" * 100))
    with pytest.raises(wire.WireError, match="over the 64 a frame may hold"):
        wire.receive(pair[0], wire.Answer, limit=64)


def test_a_message_of_another_type_than_due_is_refused(pair):
    wire.send(pair[1], wire.Answer(b"{}"))
    with pytest.raises(wire.WireError, match="a frame holding Answer where Hello was due"):
        wire.receive(pair[0], wire.Hello)
    wire.send(pair[0], wire.Hello(1))
    with pytest.raises(wire.WireError, match="a frame holding Hello where Answer or Refusal or Failure was due"):
        wire.receive(pair[1], *wire.REPLIES)


def _payload(obj: object) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def test_a_pickle_of_plain_data_is_no_message():
    # The tuples the wire carried before its messages were typed.
    with pytest.raises(wire.WireError, match="a frame holding tuple, not a message"):
        wire.decode(_payload(("predict", {"model": {}})))


def test_a_message_whose_fields_hold_other_types_is_refused():
    hello = object.__new__(wire.Hello)
    object.__setattr__(hello, "pid", "1234; kill")
    with pytest.raises(wire.WireError, match="a frame holding Hello whose pid is no int"):
        wire.decode(_payload(hello))
    refusal = object.__new__(wire.Refusal)
    for field, value in (("problem", {}), ("reason", "invalid"), ("headers", ["Retry-After"])):
        object.__setattr__(refusal, field, value)
    with pytest.raises(wire.WireError, match="whose headers is no dict or NoneType"):
        wire.decode(_payload(refusal))


class _Impostor:
    """A class outside the message set whose unpickling would run a command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_would_run_a_command_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    payload = _payload(wire.Job("predict", _Impostor(marker)))  # type: ignore[arg-type]
    with pytest.raises(wire.WireError, match=r"posix\.system is not part of the executors' wire"):
        wire.decode(payload)
    assert not marker.exists()
    pickle.loads(payload)  # what the restricted Unpickler refused: the plain one runs it
    assert marker.exists()


class Hello(wire.Message):
    """A lookalike of wire.Hello, from another module."""


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (__name__, "Hello"),  # a class of the same name elsewhere
        ("builtins", "eval"),
        ("keras_shape_service.executors.wire", "RunDir"),  # in the wire's module, but no message
        ("keras_shape_service.schemas.spec", "concise_fields"),  # a schemas module's function, not a model
        ("keras_shape_service.schemas.messages", "PredictRequest.model_validate"),
        ("numpy", "load"),
    ],
)
def test_find_class_resolves_nothing_outside_the_messages_and_the_request_models(module, name):
    with pytest.raises(pickle.UnpicklingError, match="is not part of the executors' wire"):
        wire._Unpickler(__import__("io").BytesIO(b"")).find_class(module, name)
    with pytest.raises(wire.WireError, match="is not part of the executors' wire"):
        wire.decode(b"\x80\x04\x95" + struct.pack("<Q", 0) + _global(module, name) + b".")


def _global(module: str, name: str) -> bytes:
    """Pickle opcodes that name `module.name` (STACK_GLOBAL), as any frame naming a class would."""
    out = b""
    for text in (module, name):
        data = text.encode()
        out += b"\x8c" + bytes([len(data)]) + data
    return out + b"\x93"


def test_find_class_resolves_the_messages_and_the_request_models():
    unpickler = wire._Unpickler(__import__("io").BytesIO(b""))
    assert unpickler.find_class("keras_shape_service.executors.wire", "Job") is wire.Job
    assert unpickler.find_class("keras_shape_service.schemas.messages", "PredictRequest") is PredictRequest


# The HTTP worker's side: ExecutorClient against an executor that says what a test wants it to.


def _executor(path: str, replies: list[bytes]) -> threading.Thread:
    """An executor that takes one connection, reads its job, and writes `replies` raw."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, listener:
            wire.receive(conn, wire.Job)
            for reply in replies:
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def _client(tmp_path: Path, *replies: bytes) -> ExecutorClient:
    path = str(tmp_path / "executors.sock")
    _executor(path, list(replies))
    return ExecutorClient(Settings(executor_socket=path, reserved_executors=0))  # one socket: this one


def test_the_client_returns_an_executors_answer(tmp_path):
    client = _client(tmp_path, wire.encode(wire.Hello(os.getpid())), wire.encode(wire.Answer(b'{"ok": true}')))
    assert client.answer("predict", _seed_request()) == b'{"ok": true}'


def test_the_client_relays_an_executors_refusal_as_it_was_made(tmp_path):
    made = Overloaded("every executor stayed busy for 5000 ms", retry_after_s=3)
    client = _client(tmp_path, wire.encode(wire.Hello(os.getpid())), wire.encode(_refusal_of(made)))
    with pytest.raises(Relayed) as relayed:
        client.answer("predict", _seed_request())
    assert relayed.value.status == 503
    assert relayed.value.problem() == made.problem()
    assert relayed.value.headers == {"Retry-After": "3"}


def test_the_client_ends_a_connection_that_sends_no_message_and_logs_it_once(tmp_path, caplog):
    foreign = _payload(("A", b"{}"))  # a tuple, as the wire carried before
    client = _client(tmp_path, wire.encode(wire.Hello(os.getpid())), struct.pack("!I", len(foreign)) + foreign)
    with caplog.at_level(logging.ERROR, logger="kss.executors.client"):
        with pytest.raises(ExecutorLost) as lost:
            client.answer("predict", _seed_request())
    assert lost.value.status == 500
    assert "sent a frame this worker could not read (a frame holding tuple, not a message)" in str(lost.value)
    assert [record.getMessage() for record in caplog.records] == [
        "an executor's answer was refused: a frame holding tuple, not a message; the connection was ended"
    ]


def test_the_client_refuses_an_answer_where_the_hello_was_due(tmp_path, caplog):
    client = _client(tmp_path, wire.encode(wire.Answer(b"{}")))
    with caplog.at_level(logging.ERROR, logger="kss.executors.client"):
        with pytest.raises(ExecutorLost, match="a frame holding Answer where Hello was due"):
            client.answer("predict", _seed_request())
    assert len(caplog.records) == 1
