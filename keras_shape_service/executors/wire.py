"""Frames between an HTTP worker and an executor over their Unix socket: a kind byte, a length, a payload.

Both ends are this service's own processes, on a socket in a directory only its user can enter, so payloads
are pickles of validated requests and of answers (a request's data stays data: pickling a validated model
writes its values, and only this service's classes and builtins are named).
"""

import os
import pickle
import socket
import struct
from pathlib import Path
from typing import Any, Optional

HELLO, JOB, PHASE, ANSWER, REFUSAL = b"H", b"J", b"P", b"A", b"R"
_HEADER = struct.Struct("!cI")


def frame(kind: bytes, payload: Any) -> bytes:
    """One frame's bytes; `payload` is pickled."""
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(kind, len(data)) + data


def send(conn: socket.socket, kind: bytes, payload: Any) -> None:
    """One frame."""
    conn.sendall(frame(kind, payload))


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


def receive(conn: socket.socket) -> Optional[tuple[bytes, Any]]:
    """The next frame as (kind, payload), or None if the other end closed (a socket timeout propagates)."""
    header = _exactly(conn, _HEADER.size)
    if header is None:
        return None
    kind, size = _HEADER.unpack(header)
    data = _exactly(conn, size)
    return None if data is None else (kind, pickle.loads(data))


class RunDir:
    """The directory an executor manager and the HTTP workers share; only the service's user may enter it.

    executors.sock   the socket            ready/<pid>   a warmed-up executor
    exits/<pid>      why it ended          phase/<pid>   what it is doing now (a page it writes to)
    repository.json  the model repository's index, written once by the first executor to warm up
    """

    PHASE_BYTES = 256

    def __init__(self, socket_path: str):
        self.socket = socket_path
        self.root = Path(socket_path).parent
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
