"""The executors' client, in each HTTP worker: send a request, wait for its answer within its budgets.

Nothing here imports Keras: the HTTP workers stay light, and no request can hold one of them. A request goes
to whichever executor is idle (they accept on one socket; known-good requests go to a second, below); it waits
for one at most the request deadline (else 503), and for its answer at most the compute budget, after which its
executor is killed (SIGKILL) and the request refused (422). The executor manager (process.py) replaces the
executor from its warm zygote.

A stopped executor costs everyone (its replacement warms up; the requests queued behind it wait), so a
request that ran past a budget is remembered (KnownKillers) and refused at once when sent again, and a client
whose requests stopped executors too often lately (KillWindow) is answered 429 until its kills age out.

Those two do not stop a stream of never-seen killers (a new model each time, from many addresses), which
would hold every executor and its queue: each HTTP worker also remembers the requests it saw answered well
within budget (KnownGood, by the same key: operation, model and input shapes, which decide the cost), and
sends those to known.sock, where reserved executors take nothing else (process.py says why two sockets).
Whatever never-seen requests do, known work keeps that capacity. Half the budget, not all of it: a request that
barely made it might not under load, and a kill among the reserved executors is the one that would cost known
work. The seed model is known from the start: every executor ran it as it warmed up.

An executor ended by SIGKILL while running a request that did not order it (its HTTP worker was still waiting)
was ended for another: the kill of a request past its budget that reached it as it took the next one, or an
operator's or the kernel's. The operations are deterministic, so that request is sent again, once; the request
whose budget ran out is not (its worker killed the executor, and answers 422).
"""

import hashlib
import logging
import os
import pickle
import signal
import socket
import threading
import time
from collections import OrderedDict, deque
from typing import Any, Callable, Optional

from pydantic import BaseModel

from keras_shape_service.errors import (
    BudgetExceeded,
    ExecutorLost,
    Overloaded,
    Relayed,
    ServiceError,
    StoppedBefore,
    TooManyKills,
)
from keras_shape_service.schemas import PredictRequest, Problem
from keras_shape_service.schemas.examples import SEED_PREDICT
from keras_shape_service.schemas.inference import ModelInference, RepositoryIndex
from keras_shape_service.settings import Settings
from keras_shape_service.spec_pickles import SPEC_PICKLES

from . import Answerer, wire

log = logging.getLogger("kss.executors.client")
_NOTE_WAIT_S = 1.0  # how long a worker waits for the manager to note why an executor ended
_CLIENTS_REMEMBERED = 10_000  # clients whose recent kills are kept, the least recently seen forgotten first
_KNOWN_GOOD_SHARE = 0.5  # a request answered within this share of the compute budget is known-good


def killer_key(operation_id: str, request: BaseModel) -> str:
    """What decides a request's cost: its operation, model (or code) and input shapes, batch first; not the
    input values, seed or weights, which change no shape (a killer sent with other numbers is the same)."""
    if isinstance(request, PredictRequest):
        shapes = request.inputs_shapes if request.inputs is not None else None
        # The model by its pickle's digest, made once per validated spec (spec_pickles.py): the same bytes as
        # pickling it here, without pickling it every request.
        model = None if request.model is None else SPEC_PICKLES.of(request.model)[0]
        decisive: object = (model, request.code, shapes)
    elif isinstance(request, ModelInference):
        decisive = (request.model_name, [(tensor.name, tensor.shape) for tensor in request.request.inputs])
    else:  # summary, diagram, compare, check: no inputs but the model's own
        decisive = request
    # An uploaded file counts by its digest: its bytes stay out of band (the callback keeps none), uncopied.
    sent = pickle.dumps((operation_id, decisive), protocol=pickle.HIGHEST_PROTOCOL, buffer_callback=_dropped)
    return hashlib.sha256(sent).hexdigest()


def _dropped(buffer: pickle.PickleBuffer) -> None:
    return None


class KnownKillers:
    """Requests that ran past a budget, by killer_key, with the budget they ran past: at most `size`, the
    least recently sent forgotten first."""

    def __init__(self, size: int):
        self.size = size
        self._budgets: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()  # gevent workers: greenlets, but a thread may answer too (large bodies)

    def note(self, key: str, budget: str, budget_value: float) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._budgets[key] = (budget, budget_value)
            self._budgets.move_to_end(key)
            while len(self._budgets) > self.size:
                self._budgets.popitem(last=False)

    def check(self, key: str) -> None:
        """StoppedBefore (422) for a request that ran past a budget before."""
        with self._lock:
            known = self._budgets.get(key)
            if known is not None:
                self._budgets.move_to_end(key)
        if known is not None:
            raise StoppedBefore(*known)


class KnownGood:
    """Requests answered within _KNOWN_GOOD_SHARE of the compute budget, by killer_key: at most `size`, the least
    recently sent forgotten first."""

    def __init__(self, size: int):
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, key: str) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._keys[key] = None
            self._keys.move_to_end(key)
            while len(self._keys) > self.size:
                self._keys.popitem(last=False)

    def forget(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            if key not in self._keys:
                return False
            self._keys.move_to_end(key)
            return True


class _KilledForAnother(Exception):
    """The executor running this request was ended by a SIGKILL this request did not order: send it again."""

    def __init__(self, error: ExecutorLost):
        self.error = error


class KillWindow:
    """When each client's requests last stopped executors, over the last `window_s` seconds: at most
    `max_kills` times per client kept, for at most _CLIENTS_REMEMBERED clients."""

    def __init__(self, max_kills: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        self.max_kills, self.window_s, self.clock = max_kills, window_s, clock
        self._kills: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, client: str) -> None:
        with self._lock:
            kills = self._kills.setdefault(client, deque(maxlen=self.max_kills))
            kills.append(self.clock())
            self._kills.move_to_end(client)
            while len(self._kills) > _CLIENTS_REMEMBERED:
                self._kills.popitem(last=False)

    def check(self, client: str) -> None:
        """TooManyKills (429, Retry-After: until the oldest kill in the window ages out) for a client whose
        requests stopped executors max_kills times within the window."""
        with self._lock:
            kills = self._kills.get(client)
            if kills is None or len(kills) < self.max_kills:
                return
            ages_out = kills[0] + self.window_s - self.clock()
            if ages_out <= 0:
                kills.popleft()
                return
        raise TooManyKills(self.max_kills, self.window_s, max(1, int(ages_out + 0.999)))


class ExecutorClient(Answerer):
    """The executors behind their sockets, as an HTTP worker asks them."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # http/app.py makes a client only where gunicorn_conf named the executors' socket.
        assert settings.executor_socket, "ExecutorClient needs KSS_EXECUTOR_SOCKET"
        self.run_dir = wire.RunDir(settings.executor_socket)
        self._repository: Optional[RepositoryIndex] = None
        self.known_killers = KnownKillers(settings.known_killers)
        self.kill_window = KillWindow(settings.max_kills_per_client, settings.kill_window_s)
        self.known_good = KnownGood(settings.known_good)
        self.known_good.note(killer_key("predict", PredictRequest.model_validate(SEED_PREDICT)))
        # The manager listens on known.sock only where it reserves an executor (process.py, the same rule).
        self.reserving = min(settings.reserved_executors, settings.executors - 1) > 0

    def ready(self) -> bool:
        """At least one executor has warmed up and is alive."""
        return self.run_dir.any_ready()

    def repository(self) -> Optional[RepositoryIndex]:
        """The model repository as the executors read it at start; None until the first has warmed up."""
        if self._repository is None:
            index = self.run_dir.repository_index()
            self._repository = None if index is None else RepositoryIndex.model_validate_json(index)
        return self._repository

    def answer(self, operation_id: str, request: BaseModel, client: str = "") -> bytes:
        """The answer's bytes from an executor, or the refusal it made, or one for a budget it ran out of; a
        request that stopped an executor before, or from a client whose requests did so too often lately, is
        refused without taking one."""
        if client:
            self.kill_window.check(client)
        key = killer_key(operation_id, request)
        self.known_killers.check(key)
        known = self.reserving and key in self.known_good
        try:
            answer, computed_s = self._answer(
                operation_id, request, self.run_dir.known_socket if known else self.run_dir.socket
            )
        except ServiceError as error:
            if error.reason == "BudgetExceeded":  # raised here, or relayed from an executor out of memory
                problem = error.problem()
                self.known_killers.note(key, problem.limit or "", problem.limit_value or 0)
                self.known_good.forget(key)  # known_killers may be off: it must not take a reserved executor again
                if client:
                    self.kill_window.note(client)
            raise
        if computed_s <= _KNOWN_GOOD_SHARE * self.settings.compute_budget_s:
            self.known_good.note(key)
        return answer

    def _answer(self, operation_id: str, request: BaseModel, socket_path: str) -> tuple[bytes, float]:
        """The answer from an executor on `socket_path` and the seconds it computed; sent again once if that
        executor was killed for another request."""
        deadline = time.monotonic() + self.settings.request_deadline_ms / 1000
        job = wire.pieces(wire.Job(operation_id, request))  # an uploaded file's bytes are sent, not copied
        sent_again = False
        while True:
            conn, pid = self._claim(job, deadline, socket_path)
            try:
                return self._await(conn, pid)
            except (BrokenPipeError, ConnectionResetError):  # it ended as it took the request: another will
                if time.monotonic() >= deadline:
                    raise Overloaded("no executor could take the request within its deadline") from None
            except _KilledForAnother as lost:
                if sent_again:
                    log.error("executor %d was killed while running a %s request sent again", pid, operation_id)
                    raise lost.error from None
                sent_again = True
                log.warning("executor %d was killed while running a %s request; sending it again", pid, operation_id)
                # A fresh wait for an executor: the first was spent before the kill, which was not this request's.
                deadline = time.monotonic() + self.settings.request_deadline_ms / 1000
            finally:
                conn.close()

    def _claim(self, job: list[Any], deadline: float, socket_path: str) -> tuple[socket.socket, int]:
        """A connection to an executor that has taken this request, and its pid; 503 past the deadline.

        The request goes out as soon as the connection is made: the kernel holds it until an executor accepts,
        which then finds it waiting (rather than sending its hello and waiting for it)."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Overloaded(f"every executor stayed busy for {self.settings.request_deadline_ms} ms")
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(left)
            try:
                conn.connect(socket_path)
                for piece in job:
                    conn.sendall(piece)
                hello = wire.receive(conn, wire.Hello)
            except (FileNotFoundError, ConnectionRefusedError):
                conn.close()
                raise Overloaded("the executors are not running (starting, or being replaced)") from None
            except (socket.timeout, BlockingIOError):
                conn.close()
                raise Overloaded(f"every executor stayed busy for {self.settings.request_deadline_ms} ms") from None
            except (BrokenPipeError, ConnectionResetError):  # an executor ended just as it took us: ask again
                hello = None
            except wire.WireError as error:
                conn.close()
                raise _misspoke("hello", error) from None
            if hello is not None:
                return conn, hello.pid
            conn.close()  # an executor ended just as it took us: ask again

    def _await(self, conn: socket.socket, pid: int) -> tuple[bytes, float]:
        """The executor's answer and the seconds it took, within the compute budget; past it the executor is
        killed."""
        budget = self.settings.compute_budget_s
        started = time.monotonic()
        conn.settimeout(budget)
        try:
            reply = wire.receive(conn, *wire.REPLIES)
        except socket.timeout:
            running = self.run_dir.phase(pid)
            _kill(pid)
            raise BudgetExceeded.compute(budget, time.monotonic() - started, running) from None
        except wire.WireError as error:
            raise _misspoke("answer", error) from None
        if reply is None:
            raise self._lost(pid, time.monotonic() - started)
        if isinstance(reply, wire.Answer):
            return reply.body, time.monotonic() - started
        if isinstance(reply, wire.Refusal):
            raise Relayed(Problem.model_validate(reply.problem), reply.reason, reply.headers)
        raise ExecutorLost("the executor running this request failed; it was replaced")  # it logged why

    def _lost(self, pid: int, used_s: float) -> Exception:
        """The error for an executor that ended mid-request, from the manager's note of why: _KilledForAnother
        for a SIGKILL (this worker was still waiting: it did not send it)."""
        running = self.run_dir.phase(pid)
        why = None
        waited = time.monotonic() + _NOTE_WAIT_S
        while why is None and time.monotonic() < waited:
            why = self.run_dir.exit_note(pid)
            if why is None:
                time.sleep(0.02)
        if why is not None and "SIGXCPU" in why:
            return BudgetExceeded.compute(self.settings.compute_budget_s, used_s, running)
        lost = ExecutorLost(
            f"the executor running this request {why or 'ended'} while {running}; it was "
            "replaced and the service is unaffected"
        )
        if why is not None and "SIGKILL" in why:
            return _KilledForAnother(lost)
        log.error("executor %d %s while %s", pid, why or "ended", running)
        return lost


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _misspoke(expected: str, error: wire.WireError) -> ExecutorLost:
    """The error for an executor whose frame was no message (a bug on one side): logged once, here; the caller
    ends the connection."""
    log.error("an executor's %s was refused: %s; the connection was ended", expected, error)
    return ExecutorLost(f"the executor running this request sent a frame this worker could not read ({error})")
