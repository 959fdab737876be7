"""The client load: a few threads, each with its own keep-alive connection, sending bodies from one queue."""

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field
from itertools import repeat
from typing import Iterable, Iterator, Optional, Protocol


@dataclass
class Phase:
    """What one phase of load measured."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    failures: list[str] = field(default_factory=list)
    closed: int = 0  # responses after which the server closed the connection (no keep-alive)
    wall: float = 0.0
    client_cpu: float = 0.0  # seconds of this process's CPU during the phase
    first_body: Optional[bytes] = None

    def record(self, status: int, answer: bytes, closed: bool, elapsed: float) -> None:
        """One answer: its latency if it succeeded, else the failure."""
        if status == 200:
            self.latencies.append(elapsed)
            self.first_body = self.first_body or answer
        else:
            self.failures.append(f"{status}: {answer[:300]!r}")
        self.closed += closed

    def add(self, other: "Phase") -> None:
        """Another stretch of the same phase (a round of it): its answers, time and client CPU."""
        self.latencies += other.latencies
        self.failures += other.failures
        self.closed += other.closed
        self.wall += other.wall
        self.client_cpu += other.client_cpu
        self.first_body = self.first_body or other.first_body

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.count / self.wall if self.wall else 0.0

    def percentile(self, fraction: float) -> float:
        """Latency at this fraction (0.5 for the median), in milliseconds; nearest rank."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")

    @property
    def median(self) -> float:
        return 1000 * statistics.median(self.latencies) if self.latencies else float("nan")


class Connection:
    """One client connection, kept alive while the server allows it and reopened when it does not."""

    def __init__(self, port: int, timeout: float = 120):
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def post(self, path: str, body: bytes) -> tuple[int, bytes, bool]:
        """Status, body, and whether the server closed the connection after answering."""
        for attempt in (1, 2):
            try:
                self.http.request("POST", path, body, {"Content-Type": "application/json"})
                response = self.http.getresponse()
                return response.status, response.read(), response.will_close
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.http.close()  # an idle keep-alive connection the server dropped: reopen once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get_status(self, path: str) -> int:
        return self.get(path)[0]

    def get(self, path: str) -> tuple[int, bytes]:
        """Status and body of a GET."""
        self.http.request("GET", path)
        response = self.http.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.http.close()


def _worker(port: int, path: str, bodies: Iterator[bytes], lock: threading.Lock, deadline: float, phase: Phase) -> None:
    """Send the next body until the queue is empty or time is up; record each answer."""
    connection, errors_in_a_row = Connection(port), 0
    try:
        while time.perf_counter() < deadline and errors_in_a_row < 20:
            with lock:
                body = next(bodies, None)
            if body is None:
                return
            start = time.perf_counter()
            try:
                status, answer, closed = connection.post(path, body)
            except OSError as error:  # refused or reset: the server is gone or failing; give up after 20
                errors_in_a_row += 1
                with lock:
                    phase.failures.append(f"{type(error).__name__}: {error}")
                continue
            errors_in_a_row = 0
            elapsed = time.perf_counter() - start
            with lock:
                phase.record(status, answer, closed, elapsed)
    finally:
        connection.close()


def run(port: int, path: str, bodies: Iterable[bytes], connections: int, seconds: float) -> Phase:
    """Send `bodies` over `connections` concurrent connections until they run out or `seconds` pass."""
    phase, lock, queue = Phase(), threading.Lock(), iter(bodies)
    start, cpu = time.perf_counter(), time.process_time()
    threads = [
        threading.Thread(target=_worker, args=(port, path, queue, lock, start + seconds, phase))
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.wall, phase.client_cpu = time.perf_counter() - start, time.process_time() - cpu
    return phase


class Poster(Protocol):
    """A contender of the cold phase: a server's connection, or Keras in this process (bench/keras_cold.py)."""

    def post(self, path: str, body: bytes) -> tuple[int, bytes, bool]: ...

    def close(self) -> None: ...


def alternating(
    contenders: dict[str, Poster], path: str, bodies: list[bytes], block: int, seconds: float
) -> dict[str, Phase]:
    """The bodies `block` at a time to every contender in turn, one request at a time: for a server, over one
    keep-alive connection of its own. The contenders are closed at the end.

    The contenders then meet the machine's noise of the same few seconds, so their ratio does not depend on when
    each was measured; within a block each answers back to back, as for one client alone.
    """
    phases = {name: Phase() for name in contenders}
    start = time.perf_counter()
    try:
        for first in range(0, len(bodies), block):
            if time.perf_counter() - start > seconds:
                break
            for name, contender in contenders.items():
                for body in bodies[first : first + block]:
                    sent = time.perf_counter()
                    try:
                        status, answer, closed = contender.post(path, body)
                    except OSError as error:
                        phases[name].failures.append(f"{type(error).__name__}: {error}")
                        continue
                    elapsed = time.perf_counter() - sent
                    phases[name].record(status, answer, closed, elapsed)
                    phases[name].wall += elapsed  # its own time only: the others' turns are not its
    finally:
        for contender in contenders.values():
            contender.close()
    return phases


def repeated(body: bytes, count: int) -> Iterator[bytes]:
    """The same body `count` times."""
    return repeat(body, count)
