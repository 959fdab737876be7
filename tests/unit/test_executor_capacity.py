"""Crash loops cannot starve known work, the HTTP worker's side (executors/client.py): requests answered well
within budget go to the reserved executors' socket, never-seen ones to the others'; a request whose executor
was killed for another is sent again once, and only that one. Against fake executors on real Unix sockets."""

import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from keras_shape_service.errors import BudgetExceeded, ExecutorLost
from keras_shape_service.executors import wire
from keras_shape_service.executors.client import ExecutorClient, KnownGood
from keras_shape_service.schemas import PredictRequest
from keras_shape_service.schemas.examples import SEED_MODEL
from keras_shape_service.settings import Settings


def _seed_with(inputs: list) -> PredictRequest:
    """The seed model (known from the start: every executor ran it as it warmed up) with other numbers."""
    return PredictRequest.model_validate({"model": SEED_MODEL, "inputs": inputs})


NEW_INPUTS = [[[7.0, -1.0], [0.5, 2.0], [3.0, 3.0]]]
NEVER_SEEN = PredictRequest.model_validate(
    {"model": {"layers": [{"type": "Dense", "units": 7, "input_shape": [3]}]}, "inputs": [[1, 2, 3]]}
)


class FakeExecutors:
    """Listens on both sockets as the manager's executors do; each connection takes the next behaviour:
    "answer", "slow" (answers after `slow_s`), "killed" (ends as a SIGKILL from elsewhere would, noted by the
    manager), "crashed" (ends by SIGSEGV) or "hang" (never answers: its budget runs out)."""

    def __init__(self, run_dir: wire.RunDir, behaviours: list[str], slow_s: float = 0.0):
        self.run_dir, self.behaviours, self.slow_s = run_dir, list(behaviours), slow_s
        self.taken: list[tuple[str, wire.Job]] = []  # (socket file name, job) per connection
        # A real process to name in Hello: the worker SIGKILLs it when a budget runs out.
        self.process = subprocess.Popen(["sleep", "60"])
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.listeners: list[socket.socket] = []
        for path in (run_dir.socket, run_dir.known_socket):
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
            listener.listen(16)
            listener.settimeout(0.05)
            self.listeners.append(listener)
        self.threads = [threading.Thread(target=self._serve, args=(lst,), daemon=True) for lst in self.listeners]
        for thread in self.threads:
            thread.start()

    def _serve(self, listener: socket.socket) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                job = wire.receive(conn, wire.Job)
                assert job is not None
                with self.lock:
                    self.taken.append((Path(listener.getsockname()).name, job))
                    behaviour = self.behaviours.pop(0)
                pid = self.process.pid
                wire.send(conn, wire.Hello(pid))
                if behaviour in ("answer", "slow"):
                    time.sleep(self.slow_s if behaviour == "slow" else 0)
                    wire.send(conn, wire.Answer(b'{"answered": true}'))
                elif behaviour in ("killed", "crashed"):
                    signal = "SIGKILL" if behaviour == "killed" else "SIGSEGV"
                    (self.run_dir.exits / str(pid)).write_text(f"was ended by signal {signal}")
                elif behaviour == "hang":
                    self.stopping.wait(10)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        for listener in self.listeners:
            listener.close()
        self.process.kill()
        self.process.wait()


@pytest.fixture
def run_dir(tmp_path):
    found = wire.RunDir(str(tmp_path / "executors.sock"))
    found.make()
    return found


def _client(run_dir: wire.RunDir, **settings) -> ExecutorClient:
    defaults = dict(executor_socket=run_dir.socket, executors=2, reserved_executors=1, request_deadline_ms=3000)
    return ExecutorClient(Settings(**{**defaults, **settings}))


def test_the_seed_with_new_inputs_goes_to_the_reserved_executors_a_never_seen_model_to_the_others(run_dir):
    executors = FakeExecutors(run_dir, ["answer"] * 3)
    try:
        client = _client(run_dir)
        assert client.answer("predict", _seed_with(NEW_INPUTS)) == b'{"answered": true}'
        client.answer("predict", NEVER_SEEN)
        # Answered within half its budget: known now, even with other numbers.
        client.answer("predict", NEVER_SEEN.model_copy(update={"inputs": [[9, 9, 9]]}))
    finally:
        executors.stop()
    assert [name for name, _ in executors.taken] == ["known.sock", "executors.sock", "known.sock"]


def test_a_request_answered_in_over_half_its_budget_stays_never_seen(run_dir):
    executors = FakeExecutors(run_dir, ["slow", "answer"], slow_s=0.6)
    try:
        client = _client(run_dir, compute_budget_s=1.0)
        client.answer("predict", NEVER_SEEN)
        client.answer("predict", NEVER_SEEN)
    finally:
        executors.stop()
    assert [name for name, _ in executors.taken] == ["executors.sock", "executors.sock"]


@pytest.mark.parametrize("reserved, executors_count", [(0, 2), (1, 1)])
def test_without_a_reserved_executor_everything_goes_to_one_socket(run_dir, reserved, executors_count):
    executors = FakeExecutors(run_dir, ["answer"])
    try:
        client = _client(run_dir, reserved_executors=reserved, executors=executors_count)
        client.answer("predict", _seed_with(NEW_INPUTS))
    finally:
        executors.stop()
    assert [name for name, _ in executors.taken] == ["executors.sock"]


def test_a_request_whose_executor_was_killed_for_another_is_sent_again_and_answered(run_dir):
    executors = FakeExecutors(run_dir, ["killed", "answer"])
    try:
        answer = _client(run_dir).answer("predict", NEVER_SEEN)
    finally:
        executors.stop()
    assert answer == b'{"answered": true}'
    assert [job.request for _, job in executors.taken] == [NEVER_SEEN, NEVER_SEEN]


def test_a_request_killed_again_is_sent_once_only_and_answered_500_naming_the_signal(run_dir):
    executors = FakeExecutors(run_dir, ["killed", "killed", "answer"])
    try:
        with pytest.raises(ExecutorLost) as lost:
            _client(run_dir).answer("predict", NEVER_SEEN)
    finally:
        executors.stop()
    assert lost.value.status == 500 and "SIGKILL" in lost.value.problem().detail
    assert len(executors.taken) == 2


def test_an_executor_that_crashed_on_the_request_is_not_sent_it_again(run_dir):
    executors = FakeExecutors(run_dir, ["crashed", "answer"])
    try:
        with pytest.raises(ExecutorLost) as lost:
            _client(run_dir).answer("predict", NEVER_SEEN)
    finally:
        executors.stop()
    assert "SIGSEGV" in lost.value.problem().detail
    assert len(executors.taken) == 1


def test_the_request_whose_budget_ran_out_is_refused_422_and_not_sent_again(run_dir):
    executors = FakeExecutors(run_dir, ["hang", "answer"])
    try:
        with pytest.raises(BudgetExceeded) as refused:
            _client(run_dir, compute_budget_s=0.3).answer("predict", NEVER_SEEN)
        assert executors.process.wait(5) == -9, "its executor is killed"
    finally:
        executors.stop()
    assert refused.value.status == 422 and refused.value.problem().limit == "compute_budget_s"
    assert len(executors.taken) == 1


def test_a_known_request_that_ran_past_its_budget_is_never_seen_again(run_dir):
    executors = FakeExecutors(run_dir, ["answer", "hang", "answer"])
    try:
        client = _client(run_dir, compute_budget_s=0.5, known_killers=0)  # not refused at once: sent again
        client.answer("predict", NEVER_SEEN)
        with pytest.raises(BudgetExceeded):
            client.answer("predict", NEVER_SEEN)
        client.answer("predict", NEVER_SEEN)
    finally:
        executors.stop()
    assert [name for name, _ in executors.taken] == ["executors.sock", "known.sock", "executors.sock"]


def test_known_good_requests_are_bounded_the_least_recently_sent_forgotten_first():
    known = KnownGood(size=2)
    known.note("a")
    known.note("b")
    assert "a" in known  # sent again: now the most recent
    known.note("c")
    assert ("a" in known, "b" in known, "c" in known) == (True, False, True)
    nothing = KnownGood(size=0)
    nothing.note("a")
    assert "a" not in nothing
