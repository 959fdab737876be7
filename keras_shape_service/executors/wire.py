"""What passes between an HTTP worker and an executor over their Unix socket: five messages, one frame each.

    worker -> executor   Job(operation_id, request)          the request, sent as soon as the connection is made
    executor -> worker   Hello(pid)                          this executor took the connection
                         Answer(body) | Refusal(problem, reason, headers) | Failure()

A frame is a 4-byte length and a pickle of one message; `encode` and `decode` are the only places either is
made or read. Pickle, because a validated request (pydantic models, its inputs as a numpy array) goes whole
and fast, with no JSON round trip per request. That is safe here because both ends are this service's own
processes, on a socket in a run directory only the service's user can enter (gunicorn_conf.py makes it 0700,
the socket is 0600): no one else can write to it. Even so the reader trusts nothing it was not built to read:
its Unpickler's find_class resolves only the messages, the request models of keras_shape_service.schemas and
the numpy functions that rebuild an array, so a frame naming any other class or function (os.system, a
foreign class) is refused before anything is called, and a message whose fields hold the wrong types is
refused after. A frame that is refused ends its connection (WireError).

A Job's model spec goes as a persistent id, its digest and pickle (spec_pickles.py: made once per spec in the
HTTP worker); the executor takes its own copy of a spec it read from exactly those bytes, and otherwise reads
the pickle by the same rules as the frame's.
"""

import hashlib
import io
import os
import pickle
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, TypeVar

from pydantic import BaseModel

from keras_shape_service.files.hdf5 import WeightsFile
from keras_shape_service.spec_pickles import SPEC_PICKLES

# A sanity bound on a length prefix, not a budget (those are enforced before a frame is made: a body is at most
# KSS_MAX_BODY_BYTES, 8 MB by default, an answer at most KSS_MAX_ANSWER_BYTES, 64 MiB): a corrupt prefix is
# refused before its payload is read.
MAX_FRAME_BYTES = 1 << 30
_LENGTH = struct.Struct("!I")
# A payload that starts with _BUFFERED carries out-of-band buffers: their count and sizes, the pickle, then the
# buffers (an uploaded model file's weights; a compare of two files, two). Any other payload is a pickle.
_BUFFERED, _COUNT, _SIZE = b"B", struct.Struct("!I"), struct.Struct("!Q")
_MOST_BUFFERS = 16


class WireError(Exception):
    """A frame that is not one of the messages, or not the one expected: its connection is ended."""


@dataclass(frozen=True, slots=True)
class Message:
    """What one frame holds."""

    def __reduce__(self) -> tuple[type["Message"], tuple[Any, ...]]:
        # The class and its fields, rebuilt by calling the class: a few microseconds a frame faster than the
        # dataclass's own __getstate__/__setstate__, which look up its fields() each time.
        fields: tuple[str, ...] = self.__match_args__
        return type(self), tuple([getattr(self, name) for name in fields])


@dataclass(frozen=True, slots=True)
class Job(Message):
    """A request for an executor: the operation (predict, summary, check...) and its validated body."""

    operation_id: str
    request: BaseModel


@dataclass(frozen=True, slots=True)
class Hello(Message):
    """An executor took the connection; its pid is the one to kill should the compute budget run out."""

    pid: int


@dataclass(frozen=True, slots=True)
class Answer(Message):
    """The answer's bytes, as the HTTP worker sends them."""

    body: bytes


@dataclass(frozen=True, slots=True)
class Refusal(Message):
    """A refusal made in the executor: its problem document (dumped), its log reason and its HTTP headers."""

    problem: dict[str, Any]
    reason: str
    headers: Optional[dict[str, str]]


@dataclass(frozen=True, slots=True)
class Failure(Message):
    """The executor failed in a way it could not describe (it logged why) and will be replaced."""


REPLIES = (Answer, Refusal, Failure)
# Each message's fields and the types they must hold once read: unpickling sets fields without checking them.
_FIELD_TYPES: dict[type[Message], tuple[tuple[str, Any], ...]] = {
    Job: (("operation_id", str), ("request", BaseModel)),
    Hello: (("pid", int),),
    Answer: (("body", bytes),),
    Refusal: (("problem", dict), ("reason", str), ("headers", (dict, type(None)))),
    Failure: (),
}
# What a numpy array's pickle names (a request's inputs, read as one by the bulk check): functions that make an
# array from bytes and a dtype, nothing else.
_NUMPY = {
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"),
}
_SCHEMAS = "keras_shape_service.schemas."
# (module, name) -> what find_class resolved it to, once it was allowed: a dict lookup per global after that.
# An uploaded model file's weights travel as a WeightsFile (its constructor checks its fields).
_RESOLVED: dict[tuple[str, str], Any] = {
    (cls.__module__, cls.__qualname__): cls for cls in (*_FIELD_TYPES, WeightsFile)
}


class _Unpickler(pickle.Unpickler):
    """Resolves the messages, the schemas' models and numpy's array makers; refuses every other global."""

    def persistent_load(self, pid: Any) -> Any:
        """A Job's model spec, sent as its digest and pickle (_Pickler): the executor's own copy where it holds
        one made from exactly these bytes, else the pickle read (by this same Unpickler's rules) and kept."""
        if not (isinstance(pid, tuple) and len(pid) == 2 and isinstance(pid[0], str) and isinstance(pid[1], bytes)):
            raise pickle.UnpicklingError("a persistent id that is no spec's digest and pickle")
        digest, pickled = pid
        spec = SPEC_PICKLES.known(digest, pickled)
        if spec is None:
            spec = _Unpickler(io.BytesIO(pickled)).load()
            if not isinstance(spec, BaseModel):
                raise pickle.UnpicklingError(f"a spec's pickle holding {type(spec).__name__}")
            SPEC_PICKLES.keep(hashlib.sha256(pickled).hexdigest(), spec, pickled)
        return spec

    def find_class(self, module: str, name: str) -> Any:
        found = _RESOLVED.get((module, name))
        if found is None:
            found = _RESOLVED[module, name] = self._allowed(module, name)
        return found

    def _allowed(self, module: str, name: str) -> Any:
        if (module, name) in _NUMPY:
            return super().find_class(module, name)
        if module.startswith(_SCHEMAS) and name.isidentifier():
            found = super().find_class(module, name)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of the executors' wire")


class _SpecPickler(pickle.Pickler):
    """Pickles a Job with its model spec as the spec's digest and pickle, made once per spec (SPEC_PICKLES)
    rather than once per request; the executor's _Unpickler takes its own copy of a spec it has read before."""

    def __init__(self, stream: io.BytesIO, spec: BaseModel, buffer_callback: Any):
        super().__init__(stream, protocol=pickle.HIGHEST_PROTOCOL, buffer_callback=buffer_callback)
        self.spec = spec

    def persistent_id(self, obj: Any) -> Any:
        return SPEC_PICKLES.of(obj) if obj is self.spec else None


def pieces(message: Message) -> list[Any]:
    """One frame, as the pieces it is sent in: its length and the pickle, then each out-of-band buffer as it
    lies in memory (an uploaded file's bytes: never copied into the frame)."""
    buffers: list[pickle.PickleBuffer] = []

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:
        # Bytes (a WeightsFile's) go beside the pickle; a numpy array stays in it, as it went before: an array
        # made over a frame's buffer would be read-only in the executor.
        if isinstance(buffer.raw().obj, bytes):
            buffers.append(buffer)
            return False
        return True

    spec = getattr(message.request, "model", None) if isinstance(message, Job) else None
    if isinstance(spec, BaseModel):
        stream = io.BytesIO()
        _SpecPickler(stream, spec, buffer_callback=out_of_band).dump(message)
        data = stream.getvalue()
    else:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL, buffer_callback=out_of_band)
    if not buffers:
        return [_LENGTH.pack(len(data)) + data]
    views = [buffer.raw() for buffer in buffers]
    head = _BUFFERED + _COUNT.pack(len(views)) + b"".join(_SIZE.pack(view.nbytes) for view in views)
    size = len(head) + len(data) + sum(view.nbytes for view in views)
    return [_LENGTH.pack(size) + head, data, *views]


def encode(message: Message) -> bytes:
    """One frame's bytes (joined: a copy of its buffers; `send` sends the pieces as they are)."""
    return b"".join(pieces(message))


def _split(data: bytes) -> tuple[Any, list[memoryview]]:
    """A payload's pickle and its out-of-band buffers (views of the payload, not copies)."""
    if data[:1] != _BUFFERED:
        return data, []
    view = memoryview(data)
    (count,) = _COUNT.unpack_from(view, 1)
    start = 1 + _COUNT.size + count * _SIZE.size
    if count > _MOST_BUFFERS or start > len(data):
        raise WireError(f"a frame declaring {count} buffers")
    sizes = [_SIZE.unpack_from(view, 1 + _COUNT.size + i * _SIZE.size)[0] for i in range(count)]
    offset = len(data) - sum(sizes)
    if offset < start:
        raise WireError(f"a frame of {len(data)} bytes declaring buffers of {sum(sizes)}")
    pickled, buffers = view[start:offset], []
    for size in sizes:
        buffers.append(view[offset : offset + size])
        offset += size
    return pickled, buffers


def decode(data: bytes) -> Message:
    """The message a frame's payload holds; WireError if it is anything else."""
    pickled, buffers = _split(data)
    try:
        message = _Unpickler(io.BytesIO(pickled), buffers=buffers).load()
    except Exception as error:  # a truncated or corrupt pickle raises any of a dozen types
        raise WireError(f"an unreadable frame ({type(error).__name__}: {error})") from None
    fields = _FIELD_TYPES.get(type(message))
    if fields is None:
        raise WireError(f"a frame holding {type(message).__name__}, not a message")
    for field, kind in fields:
        if not isinstance(getattr(message, field, None), kind):
            raise WireError(f"a frame holding {type(message).__name__} whose {field} is no {_names(kind)}")
    return message


def _names(kind: Any) -> str:
    return " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__


def send(conn: socket.socket, message: Message) -> None:
    """One frame."""
    for piece in pieces(message):
        conn.sendall(piece)


def _exactly(conn: socket.socket, size: int) -> Optional[bytes]:
    """`size` bytes, or None if the other end closed first."""
    chunks, left = [], size
    while left:
        chunk = conn.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


M = TypeVar("M", bound=Message)


def receive(conn: socket.socket, *expected: type[M], limit: int = MAX_FRAME_BYTES) -> Optional[M]:
    """The next message, one of `expected`; None if the other end closed, between frames or within one (a peer
    that ends mid-frame said nothing: what it sent is never decoded). WireError for a frame longer than `limit`,
    unreadable, or holding another message; a socket timeout propagates."""
    header = _exactly(conn, _LENGTH.size)
    if header is None:
        return None
    (size,) = _LENGTH.unpack(header)
    if size > limit:
        raise WireError(f"a frame of {size} bytes, over the {limit} a frame may hold")
    data = _exactly(conn, size)
    if data is None:
        return None
    message = decode(data)
    if not isinstance(message, expected):
        wanted = " or ".join(kind.__name__ for kind in expected)
        raise WireError(f"a frame holding {type(message).__name__} where {wanted} was due")
    return message


class RunDir:
    """The directory an executor manager and the HTTP workers share; only the service's user may enter it.

    executors.sock   the socket            ready/<pid>   a warmed-up executor
    known.sock       the socket for known-good requests, which reserved executors take alone (client.py)
    exits/<pid>      why it ended          phase/<pid>   what it is doing now (a page it writes to)
    repository.json  the model repository's index, written once by the first executor to warm up
    """

    PHASE_BYTES = 256

    def __init__(self, socket_path: str):
        self.socket = socket_path
        self.root = Path(socket_path).parent
        self.known_socket = str(self.root / "known.sock")
        self.ready, self.exits, self.phases = self.root / "ready", self.root / "exits", self.root / "phase"
        self.repository = self.root / "repository.json"

    def make(self) -> None:
        for folder in (self.ready, self.exits, self.phases):
            folder.mkdir(exist_ok=True)

    def any_ready(self) -> bool:
        try:
            return any(self.ready.iterdir())
        except OSError:
            return False

    def publish_repository(self, index: bytes) -> bool:
        """Write the repository's index unless an executor already has (whole, at once); True if this one did."""
        temporary = self.root / f"repository.{os.getpid()}.tmp"
        temporary.write_bytes(index)
        try:
            os.link(temporary, self.repository)  # fails if it exists: one writer, and readers never see half
            return True
        except FileExistsError:
            return False
        finally:
            temporary.unlink()

    def repository_index(self) -> Optional[bytes]:
        try:
            return self.repository.read_bytes()
        except OSError:
            return None

    def phase(self, pid: int) -> str:
        """What executor `pid` last said it was doing."""
        try:
            data = (self.phases / str(pid)).read_bytes()[: self.PHASE_BYTES]
        except OSError:
            return "unknown"
        return data.split(b"\0", 1)[0].decode(errors="replace")

    def exit_note(self, pid: int) -> Optional[str]:
        """Why executor `pid` ended, once its manager has noted it; the note is taken."""
        note = self.exits / str(pid)
        try:
            text = note.read_text()
        except OSError:
            return None
        note.unlink(missing_ok=True)
        return text
