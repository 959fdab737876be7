"""The executor processes (Executor), where Keras runs, and the manager that forks them (ExecutorManager):
python -m keras_shape_service.executors.process, started by the ExecutorSupervisor (supervisor.py).

The manager imports TensorFlow and Keras once without starting them (TensorFlow's thread pools do not survive
fork), then forks executors from itself; each starts TensorFlow, warms up on the seed model and takes
requests one at a time from the Unix sockets they accept on, so the kernel hands a request to an idle
executor and queues the rest. While a request runs, the operating system bounds it (guards/budgets.py), and
the HTTP worker that sent it kills the executor when its compute budget is up (client.py).

The manager replaces every executor that ends, forks one idle spare once all have been busy for a while (up
to max_executors, so that a short request never waits long behind long ones), and notes why each ended in the run
directory (wire.RunDir), where the HTTP workers read it.

Capacity that never-seen requests cannot take: of the `executors`, `reserved_executors` (one by default, at most
all but one) accept only on the second socket, known.sock, where the HTTP workers send the requests they have seen
answered well within budget (client.py KnownGood); the others accept on both, known.sock first. A stream of
never-seen requests that each run to the compute budget (or past the memory budget, replacing their executor)
then holds every other executor, spares included, and its own queue, while known work (the seed model with new
inputs, a model a client sends again and again) is still answered by the reserved ones. Two sockets rather than
a priority queue in the manager: the kernel still hands each connection to an idle executor, nothing new sits
between a request and its executor, and a reserved executor is ordinary (forked, replaced and recycled as the
others are). The reserved ones are counted in `executors` and `max_executors`, so the service holds no more
processes or memory than before; what never-seen work gives up is one executor of the floor (a spare is forked
once every other executor has been busy a while).
"""

import ctypes
import gc
import logging
import mmap
import os
import select
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Optional

from keras_shape_service import adapter
from keras_shape_service.engine import repository
from keras_shape_service.engine.engine import Engine
from keras_shape_service.errors import BudgetExceeded, ServiceError
from keras_shape_service.guards.budgets import Budgets, resident_mb
from keras_shape_service.metrics import EXECUTOR_EXITS, forget_process
from keras_shape_service.settings import Settings

from . import wire

log = logging.getLogger("kss.executor")

RECYCLED = 75  # exit status of an executor that let itself be replaced (memory grew, or a request ran out of it)
SPARE_IDLE_S = 30.0  # a spare beyond `executors` ends after this long without a request
# A spare is forked once every executor has been busy this long: long requests, not a moment's full house
# (forking one at every instant all are busy churned warm-ups and cold caches under steady load).
SPARE_AFTER_S = 0.5
_STATE = struct.Struct("!ci")  # (b"B" busy / b"I" idle, pid), written to the manager's pipe
_POLL_S = 0.05  # the manager reaps, reads states and forks this often


class Executor:
    """One executor process: an engine, a socket to take requests from, and the budgets it holds them to."""

    def __init__(
        self,
        listeners: list[socket.socket],
        state_fd: int,
        run_dir: wire.RunDir,
        settings: Settings,
        spare: bool,
        models: repository.Files,
    ):
        self.listeners, self.state_fd, self.run_dir, self.settings, self.spare, self.models = (
            listeners,
            state_fd,
            run_dir,
            settings,
            spare,
            models,
        )
        self.budgets = Budgets(settings.compute_budget_s, settings.memory_budget_mb)
        self.in_request = self.stopping = False
        self.phase_board = _phase_board(run_dir.phases / str(os.getpid()))
        self.phase_text = "starting"
        self.engine = Engine(settings, phase=self.show_phase)

    def show_phase(self, text: str) -> None:
        """What this executor is doing now, where the HTTP worker reads it if the budget runs out."""
        self.phase_text = text
        data = text.encode()[: wire.RunDir.PHASE_BYTES - 1] + b"\0"
        self.phase_board[: len(data)] = data

    def run(self) -> int:
        """Warm up, then answer requests until told to stop, idle too long (spares) or due for replacement."""
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self.show_phase("starting")
        self.engine.warm_up()
        self._load_repository()
        gc.collect()
        gc.freeze()  # what exists now lives as long as the process: keep it out of the collector's scans
        baseline_mb = resident_mb()
        (self.run_dir.ready / str(os.getpid())).touch()
        while not self.stopping:
            conn = self._next_connection()
            if conn is None:
                return 0
            self._tell(b"B")
            try:
                keep = self._answer(conn)
            finally:
                conn.close()
                self._tell(b"I")
            if not keep or resident_mb() - baseline_mb > self.settings.executor_recycle_mb:
                return RECYCLED
        return 0

    def _load_repository(self) -> None:
        """Check the repository's models (read by the manager, so every executor serves the same), and publish
        what it holds for the HTTP workers; the first executor to do so logs it."""
        self.show_phase("checking the model repository")
        self.engine.load_repository(self.models)
        index = self.engine.repository.index
        if self.run_dir.publish_repository(index.model_dump_json().encode()) and self.settings.model_repository:
            repository.log_index(index)

    def _on_sigterm(self, signum: int, frame: object) -> None:
        """Stop after the request in hand, or now if there is none."""
        self.stopping = True
        if not self.in_request:
            raise SystemExit(0)

    def _next_connection(self) -> Optional[socket.socket]:
        """The next request's connection, from the first of our listeners that has one (known.sock comes first);
        a spare gives up after SPARE_IDLE_S without one.

        The listeners are non-blocking (the manager made them so): every executor waiting on a socket wakes for
        a connection and one takes it, and the others go back to waiting rather than block in accept() on that
        socket while another one's queue fills."""
        while True:
            waiting = select.select(self.listeners, [], [], SPARE_IDLE_S if self.spare else None)[0]
            if not waiting:
                return None
            for listener in self.listeners:
                if listener in waiting:
                    try:
                        conn, _ = listener.accept()
                    except BlockingIOError:  # another executor took it
                        continue
                    self.in_request = True
                    return conn

    def _tell(self, state: bytes) -> None:
        os.write(self.state_fd, _STATE.pack(state, os.getpid()))
        self.in_request = state == b"B"

    def _answer(self, conn: socket.socket) -> bool:
        """Take one request, answer it within the budgets; False if this process should be replaced after."""
        conn.settimeout(5)  # the HTTP worker sent its request with its connection: it is here, or on its way
        try:
            wire.send(conn, wire.Hello(os.getpid()))  # a worker past its deadline (a 503) left: a broken pipe
            job = wire.receive(conn, wire.Job)
        except OSError:
            return True
        except wire.WireError as error:  # a bug on one side; the worker hears the connection end
            log.error("executor %d refused its job: %s; the connection was ended", os.getpid(), error)
            return True
        if job is None:  # the worker gave up waiting before we took its request
            return True
        reply, keep = self._compute(job)
        try:
            wire.send(conn, reply)
        except OSError:  # the worker is gone (its client left); nothing to tell
            pass
        return keep

    def _compute(self, job: wire.Job) -> tuple[wire.Message, bool]:
        """The answer, or a refusal, and whether this process stays."""
        self.show_phase(f"reading the {job.operation_id} request")
        self.budgets.impose()
        try:
            return wire.Answer(self.engine.answer(job.operation_id, job.request)), True
        except ServiceError as error:
            return _refusal(error), True
        except adapter.OUT_OF_MEMORY:
            return _refusal(BudgetExceeded.memory(self.settings.memory_budget_mb, self.phase_text)), False
        except Exception:
            log.exception("executor %d failed on a %s request", os.getpid(), job.operation_id)
            return wire.Failure(), False
        finally:
            self.budgets.lift()


def _refusal(error: ServiceError) -> wire.Refusal:
    return wire.Refusal(error.problem().model_dump(exclude_none=True), error.reason, error.headers)


def _phase_board(path: Path) -> mmap.mmap:
    """A page the HTTP worker can read without asking this (busy) process: a memory write per phase."""
    with open(path, "wb+") as board:
        board.write(b"\0" * wire.RunDir.PHASE_BYTES)
        board.flush()
        return mmap.mmap(board.fileno(), wire.RunDir.PHASE_BYTES)


def _die_with_parent() -> None:
    """An executor must not outlive its manager (Linux's PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the manager's exit still ends them (SIGTERM below)
        pass


class ExecutorManager:
    """The zygote executors are forked from: keeps `executors` of them running, a spare once all have been busy a
    while, and notes why each ended."""

    def __init__(self, settings: Settings, parent: int):
        self.settings = settings
        assert settings.executor_socket, "main() refuses to start without KSS_EXECUTOR_SOCKET"
        self.socket_path = settings.executor_socket
        self.run_dir = wire.RunDir(self.socket_path)
        self.run_dir.make()
        self.listener = _listen(self.socket_path)
        # All but one executor at most: one executor reserves nothing, never-seen work would have none.
        self.reserved_count = min(settings.reserved_executors, settings.executors - 1)
        self.known_listener = _listen(self.run_dir.known_socket) if self.reserved_count else None
        self.state_read, self.state_write = os.pipe()
        os.set_blocking(self.state_read, False)
        self.busy: dict[int, Optional[float]] = {}  # executor pid -> busy since (monotonic), None while idle
        self.spares: set[int] = set()
        self.reserved: set[int] = set()  # executors that accept known-good requests alone
        self.stopping = False
        self.parent = parent
        # Read once, here: every executor, replacements included, serves the files as they were at start.
        self.models = repository.read_files(settings.model_repository, settings.max_body_bytes)

    def run(self) -> None:
        """Fork, reap and replace executors until SIGTERM or until the parent (gunicorn's master) is gone."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        gc.collect()
        gc.freeze()  # shared copy-on-write with every executor: keep the collector from touching it
        while not self.stopping and os.getppid() == self.parent:
            self._reap()
            self._read_states()
            self._fill()
            # A sleep, not a wait on the pipe: executors write to it twice a request, and waking for each write
            # cost the manager CPU on every request (bench/README.md); what was written meanwhile is read at once.
            time.sleep(_POLL_S)
        self._shut_down()

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _fill(self) -> None:
        """Reserved executors, then the others, up to the floor; then one idle spare once every executor that
        takes never-seen work has been busy for SPARE_AFTER_S, up to the ceiling (the reserved ones count in
        both)."""
        while len(self.reserved) < self.reserved_count:
            self._fork(spare=False, reserved=True)
        while len(self.busy) < self.settings.executors:
            self._fork(spare=False, reserved=False)
        busy_since = [since for pid, since in self.busy.items() if pid not in self.reserved]
        if (
            all(since is not None for since in busy_since)  # none idle
            and len(self.busy) < self.settings.max_executors
            and time.monotonic() - max(since for since in busy_since if since is not None) >= SPARE_AFTER_S
        ):
            self._fork(spare=True, reserved=False)

    def _listeners(self, reserved: bool) -> list[socket.socket]:
        """The sockets an executor accepts on, the one it prefers first."""
        if self.known_listener is None:
            return [self.listener]
        return [self.known_listener] if reserved else [self.known_listener, self.listener]

    def _fork(self, spare: bool, reserved: bool) -> None:
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                _die_with_parent()
                os.close(self.state_read)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                status = Executor(
                    self._listeners(reserved), self.state_write, self.run_dir, self.settings, spare, self.models
                ).run()
            except SystemExit as stop:
                status = stop.code if isinstance(stop.code, int) else 0
            except BaseException:
                log.exception("executor %d failed", os.getpid())
            finally:
                logging.shutdown()
                os._exit(status)
        self.busy[pid] = None
        if spare:
            self.spares.add(pid)
        if reserved:
            self.reserved.add(pid)

    def _read_states(self) -> None:
        data = b""
        while True:
            try:
                chunk = os.read(self.state_read, 4096 * _STATE.size)
            except BlockingIOError:
                break
            data += chunk
            if len(chunk) < 4096 * _STATE.size:
                break
        for offset in range(0, len(data) - len(data) % _STATE.size, _STATE.size):
            state, pid = _STATE.unpack_from(data, offset)
            if pid in self.busy:
                self.busy[pid] = time.monotonic() if state == b"B" else None

    def _reap(self) -> None:
        while self.busy:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self._note_exit(pid, status)

    def _note_exit(self, pid: int, status: int) -> None:
        """Forget the executor and write down why it ended, for the HTTP worker whose request it held."""
        self.busy.pop(pid, None)
        self.spares.discard(pid)
        self.reserved.discard(pid)
        for folder in (self.run_dir.ready, self.run_dir.phases):
            (folder / str(pid)).unlink(missing_ok=True)
        why, reason = _exit_reason(status)
        EXECUTOR_EXITS.labels(reason).inc()
        if reason in ("killed", "cpu_backstop", "crashed"):
            log.warning("executor %d %s; replacing it", pid, why)
        (self.run_dir.exits / str(pid)).write_text(why)
        self._forget_old_notes()
        forget_process(pid)

    def _forget_old_notes(self) -> None:
        cutoff = time.time() - 60
        for note in self.run_dir.exits.iterdir():
            if note.stat().st_mtime < cutoff:
                note.unlink(missing_ok=True)

    def _shut_down(self) -> None:
        """SIGTERM every executor (they finish the request in hand), then SIGKILL what is left."""
        for pid in list(self.busy):
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.settings.compute_budget_s + 2
        while self.busy and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        for pid in list(self.busy):
            _signal(pid, signal.SIGKILL)
        self.listener.close()
        Path(self.socket_path).unlink(missing_ok=True)
        if self.known_listener is not None:
            self.known_listener.close()
            Path(self.run_dir.known_socket).unlink(missing_ok=True)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _exit_reason(status: int) -> tuple[str, str]:
    """A sentence and a metrics label for a wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        labels: dict[int, str] = {signal.SIGKILL: "killed", signal.SIGXCPU: "cpu_backstop"}
        label = labels.get(number, "crashed")
        return f"was ended by signal {name}", label
    code = os.WEXITSTATUS(status)
    if code == RECYCLED:
        return "let itself be replaced to give its memory back", "recycled"
    return (f"exited with status {code}", "retired" if code == 0 else "crashed")


def _listen(path: str) -> socket.socket:
    """The socket every executor accepts on; only this user may connect (the run directory is private)."""
    Path(path).unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(socket.SOMAXCONN)
    listener.setblocking(False)  # executors select on it, and on known.sock (Executor._next_connection)
    return listener


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="[executors %(process)d] %(levelname)s %(message)s", stream=sys.stderr
    )
    settings = Settings()
    if not settings.executor_socket:
        sys.exit("KSS_EXECUTOR_SOCKET names the socket to serve on (keras_shape_service/gunicorn_conf.py sets it)")
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()  # the process that started us
    ExecutorManager(settings, parent).run()


if __name__ == "__main__":
    main()
