"""The executors' client, in each HTTP worker: send a request, wait for its answer within its budgets.

Nothing here imports Keras: the HTTP workers stay light, and no request can hold one of them. A request goes
to whichever executor is idle (they all accept on one socket); it waits for one at most the request deadline
(else 503), and for its answer at most the compute budget, after which its executor is killed (SIGKILL) and
the request refused (422). The executor manager (process.py) replaces the executor from its warm zygote.
"""

import logging
import os
import signal
import socket
import time
from typing import Optional

from pydantic import BaseModel

from keras_shape_service.errors import BudgetExceeded, ExecutorLost, Overloaded, Relayed
from keras_shape_service.schemas import Problem
from keras_shape_service.schemas.inference import RepositoryIndex
from keras_shape_service.settings import Settings

from . import Answerer, wire

log = logging.getLogger("kss.executors.client")
_NOTE_WAIT_S = 1.0  # how long a worker waits for the manager to note why an executor ended


class ExecutorClient(Answerer):
    """The executors behind one socket, as an HTTP worker asks them."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # http/app.py makes a client only where gunicorn_conf named the executors' socket.
        assert settings.executor_socket, "ExecutorClient needs KSS_EXECUTOR_SOCKET"
        self.run_dir = wire.RunDir(settings.executor_socket)
        self._repository: Optional[RepositoryIndex] = None

    def ready(self) -> bool:
        """At least one executor has warmed up and is alive."""
        return self.run_dir.any_ready()

    def repository(self) -> Optional[RepositoryIndex]:
        """The model repository as the executors read it at start; None until the first has warmed up."""
        if self._repository is None:
            index = self.run_dir.repository_index()
            self._repository = None if index is None else RepositoryIndex.model_validate_json(index)
        return self._repository

    def answer(self, operation_id: str, request: BaseModel) -> bytes:
        """The answer's bytes from an executor, or the refusal it made, or one for a budget it ran out of."""
        deadline = time.monotonic() + self.settings.request_deadline_ms / 1000
        job = wire.encode(wire.Job(operation_id, request))
        while True:
            conn, pid = self._claim(job, deadline)
            try:
                return self._await(conn, pid)
            except (BrokenPipeError, ConnectionResetError):  # it ended as it took the request: another will
                if time.monotonic() >= deadline:
                    raise Overloaded("no executor could take the request within its deadline") from None
            finally:
                conn.close()

    def _claim(self, job: bytes, deadline: float) -> tuple[socket.socket, int]:
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
                conn.connect(self.run_dir.socket)
                conn.sendall(job)
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

    def _await(self, conn: socket.socket, pid: int) -> bytes:
        """The executor's answer, within the compute budget; past it the executor is killed."""
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
            return reply.body
        if isinstance(reply, wire.Refusal):
            raise Relayed(Problem.model_validate(reply.problem), reply.reason, reply.headers)
        raise ExecutorLost("the executor running this request failed; it was replaced")  # it logged why

    def _lost(self, pid: int, used_s: float) -> Exception:
        """The error for an executor that ended mid-request, from the manager's note of why."""
        running = self.run_dir.phase(pid)
        why = None
        waited = time.monotonic() + _NOTE_WAIT_S
        while why is None and time.monotonic() < waited:
            why = self.run_dir.exit_note(pid)
            if why is None:
                time.sleep(0.02)
        if why is not None and "SIGXCPU" in why:
            return BudgetExceeded.compute(self.settings.compute_budget_s, used_s, running)
        log.error("executor %d %s while %s", pid, why or "ended", running)
        return ExecutorLost(
            f"the executor running this request {why or 'ended'} while {running}; it was "
            "replaced and the service is unaffected"
        )


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
