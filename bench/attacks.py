"""`make bench-attacks`: issue 21's findings replayed against a fresh service, and its "Done when" measured.

gunicorn as `make serve` starts it (the service's one config, 2 HTTP workers, default settings; the metrics
directory named, so that its files can be counted), then, one after another:

- refusals: `{"model": {"layers": [1, 1, ...]}}` of 2 MB and 5 MB, then 64 kB bodies of misspelled layer types
  from 4 clients at once, while two other clients send /healthz and the seed model with new inputs every 0.2 s,
  each on a fresh connection; summed RSS of every process before and after;
- the two attention killers of the issue (MultiHeadAttention with 2,200 heads, GroupQueryAttention over 12,000
  positions): refused by estimate, the executors' pids and kss_executor_exits_total unchanged;
- unread answers: 10 clients send the largest predict KSS_MAX_ANSWER_BYTES lets through and never read;
  summed RSS while they hold their sockets open, and again past the send timeout;
- 2,100 connections trickling a body one byte every 2 s (one thread, selectors), while another client sends
  the seed request on fresh connections: its latency;
- 30 executors killed (SIGKILL from here, as the kernel or an operator would), each replaced: the metrics
  directory's files before and after.

Then a second gunicorn, with bench/killers.py's settings (estimate limits raised so that never-seen killers
get through, the per-client kill limit raised since every request comes from 127.0.0.1): one killer a second
for 30 s while two clients send the seed model with new inputs; the share of them that failed.

The table (finding, measure, target, result, pass/fail) goes to stdout and bench/results/attacks.md; gunicorn's
logs to bench/results/attacks-*.log. Exit status 1 if a target failed.
"""

import argparse
import errno
import http.client
import json
import math
import os
import random
import resource
import selectors
import signal
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script by `make bench-attacks`

from bench import killers, servers  # noqa: E402
from keras_shape_service.schemas.examples import SEED_MODEL  # noqa: E402
from keras_shape_service.settings import Settings  # noqa: E402
from keras_shape_service.testing import live_server  # noqa: E402

MB = 1e6
PROBE_EVERY_S = 0.2
TRICKLERS = 2_100
TRICKLE_EVERY_S = 2.0
UNREAD_CLIENTS = 10
EXECUTOR_REPLACEMENTS = 30
# The files one process writes (counter, histogram) and what folding ended ones adds: counter_ended.db,
# histogram_ended.db and their lock. More than this after 30 replacements: a file per dead process again.
METRICS_FILES_GROWTH = 4


# ---- the table: pure, tested in tests/unit/test_bench_attacks.py ----


@dataclass(frozen=True)
class Row:
    finding: str
    measure: str
    target: str
    result: str
    passed: bool


def at_most(value: float, limit: float) -> bool:
    """Whether a measured value meets an upper bound; nothing measured (NaN) does not."""
    return not math.isnan(value) and value <= limit


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0.5: the median); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def render(rows: list[Row]) -> str:
    """The rows as a Markdown table, and a last line counting the targets missed."""
    lines = ["| finding | measure | target | result | verdict |", "|---|---|---|---|---|"]
    lines += [
        f"| {r.finding} | {r.measure} | {r.target} | {r.result} | {'pass' if r.passed else 'FAIL'} |" for r in rows
    ]
    failed = [r for r in rows if not r.passed]
    lines.append("")
    lines.append(
        f"{len(rows) - len(failed)} of {len(rows)} targets met" + (f"; missed: {len(failed)}" if failed else "")
    )
    return "\n".join(lines)


@dataclass
class Probes:
    """Latencies (s) of one kind of request sent every PROBE_EVERY_S, and the failures (status or error)."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        sent = len(self.latencies) + len(self.failures)
        return (
            f"max {1000 * max(self.latencies, default=float('nan')):,.0f} ms, "
            f"p99 {1000 * percentile(self.latencies, 0.99):,.0f} ms, {len(self.failures)}/{sent} failed"
        )

    def within(self, seconds: float) -> bool:
        """Every probe answered, the slowest within `seconds`."""
        return bool(self.latencies) and not self.failures and at_most(max(self.latencies), seconds)


# ---- the service's processes ----


def tree(server: servers.Server) -> list[int]:
    return [server.process.pid] + server.worker_pids()


def rss_mb(pids: list[int]) -> float:
    """Summed resident memory of these processes (MB); a process gone meanwhile counts 0."""
    total_kb = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                total_kb += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
    return total_kb * 1024 / MB


def executor_pids(server: servers.Server) -> set[int]:
    """The executors: children of the manager (the master's child running executors.process)."""
    managers = [
        pid
        for pid in servers._children(server.process.pid)
        if b"keras_shape_service.executors.process" in servers._cmdline(pid)
    ]
    return {pid for manager in managers for pid in servers._children(manager)}


def rss_by_role(server: servers.Server) -> dict[str, tuple[float, int]]:
    """Summed RSS (MB) and how many processes: the HTTP workers, and the executors with their manager."""
    children = servers._children(server.process.pid)
    http = [pid for pid in children if b"keras_shape_service.executors.process" not in servers._cmdline(pid)]
    managers = [pid for pid in children if pid not in http]
    executors = managers + [pid for manager in managers for pid in servers._children(manager)]
    return {"HTTP workers": (rss_mb(http), len(http)), "executors": (rss_mb(executors), len(executors) - 1)}


def _grown(before: dict[str, tuple[float, int]], after: dict[str, tuple[float, int]]) -> str:
    """Where memory went: each role's growth, and its processes where their number changed."""
    parts = []
    for role, (mb, count) in before.items():
        grown = f"{role} {after[role][0] - mb:+,.0f}"
        parts.append(grown + (f" ({count} -> {after[role][1]} processes)" if after[role][1] != count else ""))
    return ", ".join(parts)


def executor_exits(port: int) -> float:
    """kss_executor_exits_total summed over its reasons, from a scrape."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
    finally:
        connection.close()
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("kss_executor_exits_total{")
    )


def settle_memory(pids: Callable[[], list[int]], seconds: float = 3) -> float:
    """Summed RSS once it has stopped falling (freed answers, replaced executors), waiting at most `seconds`."""
    last = rss_mb(pids())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = rss_mb(pids())
        if now >= last - 1:
            return now
        last = now
    return last


# ---- clients ----


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def seed_with_new_inputs(rng: random.Random) -> bytes:
    """The seed model (known to every HTTP worker from the start) with numbers never sent before."""
    return encode({"model": SEED_MODEL, "inputs": [[[rng.uniform(-9, 9), rng.uniform(-9, 9)] for _ in range(3)]]})


def request(port: int, method: str, path: str, body: Optional[bytes] = None, timeout: float = 60) -> tuple[int, int]:
    """One request on a fresh connection: status and the answer's size in bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


class Prober:
    """Threads sending /healthz and the seed request every PROBE_EVERY_S on fresh connections, as other clients."""

    def __init__(self, port: int, kinds: tuple[str, ...] = ("healthz", "seed"), timeout: float = 30, each: int = 1):
        """`each` threads per kind, started PROBE_EVERY_S apart: more samples when each probe waits long."""
        self.port, self.timeout, self.stop_event = port, timeout, threading.Event()
        self.results = {kind: Probes() for kind in kinds}
        self.threads = [
            threading.Thread(target=self._probe, args=(kind, index), daemon=True)
            for kind in kinds
            for index in range(each)
        ]

    def __enter__(self) -> "Prober":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join()

    def _probe(self, kind: str, index: int) -> None:
        rng, probes = random.Random(f"{kind}{index}"), self.results[kind]
        self.stop_event.wait(index * PROBE_EVERY_S)
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                if kind == "healthz":
                    status, _ = request(self.port, "GET", "/healthz", timeout=self.timeout)
                else:
                    body = seed_with_new_inputs(rng)
                    status, _ = request(self.port, "POST", "/v1/predict", body, timeout=self.timeout)
                if status == 200:
                    probes.latencies.append(time.monotonic() - started)
                else:
                    probes.failures.append(str(status))
            except OSError as error:
                probes.failures.append(f"{type(error).__name__} after {time.monotonic() - started:.0f} s")
            self.stop_event.wait(max(0.0, started + PROBE_EVERY_S - time.monotonic()))


# ---- the findings ----


def layers_of_ones(size: int) -> bytes:
    """{"model": {"layers": [1, 1, ...]}} of `size` bytes: one validation error per entry, as sent."""
    head, tail = b'{"model":{"layers":[', b"1]}}"
    return head + b"1," * ((size - len(head) - len(tail)) // 2) + tail


def misspelled_types(entries: int, name: str) -> bytes:
    """`entries` layers of a misspelled type, each a did-you-mean."""
    return b'{"model":{"layers":[' + b",".join([encode({"type": name})] * entries) + b"]}}"


def refusals(server: servers.Server, rows: list[Row]) -> None:
    finding = "1 refusals"
    before = settle_memory(lambda: tree(server))
    with Prober(server.port) as prober:
        time.sleep(1)
        singles = [("2 MB [1]*N", layers_of_ones(2_000_000)), ("5 MB [1]*N", layers_of_ones(5_000_000))]
        for name, body in singles:
            started = time.monotonic()
            status, size = request(server.port, "POST", "/v1/predict", body, timeout=120)
            took = time.monotonic() - started
            rows.append(Row(finding, f"{name}: time to the {status}", "< 5 s", f"{took:.2f} s", at_most(took, 5)))
            rows.append(Row(finding, f"{name}: answer size", "< 1 MB", f"{size / 1000:,.1f} kB", at_most(size, MB)))
        # 4 clients, 10 s each: the 64 kB of {"type": "Dens"}, and as much within max_layers (1,150
        # entries of a long misspelled name), which a count of the layers cannot refuse: entry by entry.
        storm = [
            misspelled_types(4_000, "Dens"),
            misspelled_types(1_150, "Convolution2DTransposeSeparableDepthwiseXYZ"),
        ]
        worst: dict[str, tuple[float, int, set[int]]] = {}
        lock = threading.Lock()

        def client(index: int) -> None:
            body = storm[index % 2]
            name = (
                f"{len(storm[0]) / 1000:.0f} kB: 4,000 'Dens'"
                if index % 2 == 0
                else f"{len(storm[1]) / 1000:.0f} kB: 1,150 long misspelled types"
            )
            stop = time.monotonic() + 10
            while time.monotonic() < stop:
                started = time.monotonic()
                status, size = request(server.port, "POST", "/v1/predict", body, timeout=120)
                took = time.monotonic() - started
                with lock:
                    slowest, largest, statuses = worst.get(name, (0.0, 0, set()))
                    worst[name] = (max(slowest, took), max(largest, size), statuses | {status})

        threads = [threading.Thread(target=client, args=(index,)) for index in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(1)
    for name, (slowest, largest, statuses) in sorted(worst.items()):
        codes = "/".join(map(str, sorted(statuses)))
        rows.append(
            Row(finding, f"{name}, 4 clients 10 s: slowest {codes}", "< 5 s", f"{slowest:.2f} s", at_most(slowest, 5))
        )
        rows.append(
            Row(finding, f"{name}: largest answer", "< 1 MB", f"{largest / 1000:,.1f} kB", at_most(largest, MB))
        )
    for kind, probes in prober.results.items():
        rows.append(
            Row(finding, f"another client's {kind} meanwhile", "all < 1 s", probes.summary(), probes.within(1.0))
        )
    after = settle_memory(lambda: tree(server), seconds=10)
    grown = after - before
    rows.append(
        Row(
            finding,
            "summed RSS after - before",
            "< 300 MB",
            f"{grown:+,.0f} MB ({before:,.0f} -> {after:,.0f})",
            at_most(grown, 300),
        )
    )


def _attention_body(layer: dict, positions: int) -> bytes:
    example = [[0.0]] * positions
    return encode(
        {
            "model": {
                "inputs": [{"name": "q", "shape": [positions, 1]}, {"name": "v", "shape": [positions, 1]}],
                "layers": [dict(layer, name="attention", inbound=["q", "v"])],
            },
            "inputs": {"q": [example], "v": [example]},
        }
    )


MHA_KILLER = _attention_body({"type": "MultiHeadAttention", "num_heads": 2200, "key_dim": 1}, 500)
GQA_KILLER = _attention_body(
    {"type": "GroupQueryAttention", "head_dim": 2048, "num_query_heads": 1, "num_key_value_heads": 1}, 12_000
)


def attention(server: servers.Server, rows: list[Row]) -> None:
    finding = "2 attention killers"
    executors, exits = executor_pids(server), executor_exits(server.port)
    for name, body in (("MHA 2,200 heads", MHA_KILLER), ("GQA 12,000 positions", GQA_KILLER)):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        started = time.monotonic()
        connection.request("POST", "/v1/predict", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        answer, took = response.read(), time.monotonic() - started
        connection.close()
        limit = json.loads(answer).get("limit") if response.status == 422 else None
        estimated = limit in ("max_activation_elements", "max_multiply_adds", "max_params", "max_answer_bytes")
        rows.append(
            Row(
                finding,
                f"{name} ({len(body) / 1000:.0f} kB): refused",
                "422 by estimate",
                f"{response.status} {limit or ''} in {1000 * took:,.0f} ms",
                estimated,
            )
        )
    time.sleep(1)
    replaced = (executors - executor_pids(server), executor_exits(server.port) - exits)
    rows.append(
        Row(
            finding,
            "executors died",
            "0",
            f"{len(replaced[0])} pids gone, exits counter +{replaced[1]:.0f}",
            not replaced[0] and replaced[1] == 0,
        )
    )


def largest_answer_body(settings: Settings) -> tuple[bytes, int]:
    """A batch of 1,000 x 1 through Dense(units), the widest whose answer estimate (24 bytes a number) passes
    KSS_MAX_ANSWER_BYTES and the activation limit: the issue's Dense(5000) is refused by the first now."""
    units = min(settings.max_answer_bytes // 24 // 1000, settings.max_activation_elements // 1000) - 10
    body = {"model": {"layers": [{"type": "Dense", "units": units, "input_shape": [1]}]}, "inputs": [[0.5]] * 1000}
    return encode(body), units


def unread_answers(server: servers.Server, settings: Settings, rows: list[Row]) -> None:
    finding = "3 unread answers"
    body, units = largest_answer_body(settings)
    _, size = request(server.port, "POST", "/v1/predict", body, timeout=120)  # read once: its size
    send_timeout = settings.send_timeout_s
    before = settle_memory(lambda: tree(server))
    roles_before, pss_before = rss_by_role(server), server.rss_mb(tree(server))
    held: list[socket.socket] = []
    head = (
        f"POST /v1/predict HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    statuses: list[str] = []
    peak = before
    with Prober(server.port) as prober:  # other clients meanwhile
        # One at a time, the next once the last one's answer has begun: ten at once would hold every executor
        # past the request deadline (503s), not ten answers.
        for _ in range(UNREAD_CLIENTS):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel holds little of the answer
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(head + body)
            held.append(sock)
            statuses.append(_first_line(sock, 60))
            peak = max(peak, rss_mb(tree(server)))
        answered = time.monotonic()
        while time.monotonic() < answered + 5:
            peak = max(peak, rss_mb(tree(server)))
            time.sleep(0.5)
        time.sleep(max(0.0, answered + send_timeout + 10 - time.monotonic()))
    after = settle_memory(lambda: tree(server))
    roles_after, pss_after = rss_by_role(server), server.rss_mb(tree(server))
    closed = sum(_closed_by_server(sock, size) for sock in held)
    for sock in held:
        sock.close()
    rows.append(
        Row(
            finding,
            f"10 clients, Dense({units}) x 1,000 ({size / MB:.0f} MB answer; {_counted(statuses)}): RSS at peak",
            "(reported)",
            f"{peak - before:+,.0f} MB",
            True,
        )
    )
    rows.append(
        Row(
            finding,
            f"RSS {send_timeout:.0f} s send timeout + 10 s later, sockets open",
            "< 300 MB over before",
            f"{after - before:+,.0f} MB ({_grown(roles_before, roles_after)}; PSS {pss_after - pss_before:+,.0f} MB); "
            f"{closed}/{len(held)} closed by the server",
            at_most(after - before, 300),
        )
    )
    for kind, probes in prober.results.items():
        rows.append(
            Row(finding, f"another client's {kind} meanwhile", "all < 1 s", probes.summary(), probes.within(1.0))
        )


def _first_line(sock: socket.socket, seconds: float) -> str:
    """The status code of the answer once it has begun to arrive (peeked: nothing is read), or why not."""
    sock.settimeout(seconds)
    try:
        start = sock.recv(12, socket.MSG_PEEK)
    except OSError as error:
        return type(error).__name__
    return start[9:12].decode(errors="replace") or "closed"


def _counted(statuses: list[str]) -> str:
    return ", ".join(f"{statuses.count(status)} x {status}" for status in sorted(set(statuses)))


def _closed_by_server(sock: socket.socket, answer_bytes: int) -> bool:
    """Whether the server closed this connection before the whole answer was sent: what the kernels buffered
    (megabytes on loopback) read, then EOF or a reset, not the answer's end nor a wait."""
    sock.settimeout(2)
    read = 0
    try:
        while read < answer_bytes:
            chunk = sock.recv(1 << 20)
            if not chunk:
                return True
            read += len(chunk)
    except ConnectionResetError:
        return True
    except OSError:
        return False
    return False


class Trickler:
    """TRICKLERS connections, each sending a request's headers then its body a byte every TRICKLE_EVERY_S, in
    one thread (selectors); a connection the server closes (408 past the body timeout) is opened again."""

    def __init__(self, port: int, count: int):
        self.port, self.count, self.stop_event = port, count, threading.Event()
        self.opened = self.reopened = self.established_peak = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.head = (
            b"POST /v1/predict HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000\r\n\r\n{"
        )

    def __enter__(self) -> "Trickler":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_event.set()
        self.thread.join()

    def _connect(self, selector: selectors.BaseSelector) -> None:
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", self.port))
        selector.register(sock, selectors.EVENT_WRITE)
        self.opened += 1

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        established: set[socket.socket] = set()
        for _ in range(self.count):
            self._connect(selector)
        next_tick = time.monotonic() + TRICKLE_EVERY_S
        while not self.stop_event.is_set():
            for key, _ in selector.select(timeout=0.1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                selector.unregister(sock)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and self._send(sock, self.head):
                    established.add(sock)
                else:
                    sock.close()
                    self.reopened += 1
                    self._connect(selector)
            self.established_peak = max(self.established_peak, len(established))
            if time.monotonic() >= next_tick:
                next_tick += TRICKLE_EVERY_S
                for sock in list(established):
                    if not self._send(sock, b" "):
                        established.discard(sock)
                        sock.close()
                        self.reopened += 1
                        self._connect(selector)
        for sock in established:
            sock.close()
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        selector.close()

    @staticmethod
    def _send(sock: socket.socket, data: bytes) -> bool:
        try:
            return sock.send(data) == len(data)
        except OSError as error:  # reset, broken pipe; a full buffer would be EAGAIN (never, a byte at a time)
            return error.errno == errno.EAGAIN


def trickle(server: servers.Server, seconds: float, rows: list[Row]) -> None:
    finding = "4 connection slots"
    with Trickler(server.port, TRICKLERS) as trickler:
        time.sleep(5)  # the connections opened and their headers sent
        with Prober(server.port, ("seed",), timeout=60, each=5) as prober:
            time.sleep(seconds)
    probes = prober.results["seed"]
    median, p99 = percentile(probes.latencies, 0.5), percentile(probes.latencies, 0.99)
    sent = len(probes.latencies) + len(probes.failures)
    measure = (
        f"{TRICKLERS:,} trickling ({trickler.established_peak:,} open at once, {trickler.reopened:,} reopened), "
        f"{seconds:.0f} s: seed request on a fresh connection"
    )
    result = f"median {1000 * median:,.0f} ms, p99 {1000 * p99:,.0f} ms, {len(probes.failures)}/{sent} failed"
    if probes.failures:
        result += f" ({', '.join(sorted(set(probes.failures)))})"
    passed = at_most(median, 1) and at_most(p99, 1) and not probes.failures
    rows.append(Row(finding, measure, "median and p99 < 1 s", result, passed))


def metrics_files(server: servers.Server, directory: Path, rows: list[Row]) -> None:
    finding = "5 metrics files"
    before, exits = len(list(directory.iterdir())), executor_exits(server.port)
    replaced = 0
    for _ in range(EXECUTOR_REPLACEMENTS):
        executors = executor_pids(server)
        victim = min(executors)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = executor_pids(server)
            if victim not in now and len(now) >= len(executors):
                replaced += 1
                break
            time.sleep(0.05)
    time.sleep(1)
    after, counted = len(list(directory.iterdir())), executor_exits(server.port) - exits
    rows.append(
        Row(
            finding,
            f"files after {replaced} executors replaced (exits counter +{counted:.0f})",
            f"at most {METRICS_FILES_GROWTH} more",
            f"{before} -> {after}",
            replaced == EXECUTOR_REPLACEMENTS and after - before <= METRICS_FILES_GROWTH,
        )
    )


def killer_stream(results: Path, seconds: float, rows: list[Row]) -> None:
    finding = "2 killer stream"
    with live_server(results / "attacks-killers.log", **killers.SETTINGS) as (_, url):
        good, sent, latencies = killers.run(url, seconds, 2)
    total = sum(good.values())
    failed = total - good["200"]
    share = 100 * failed / total if total else float("nan")
    measure = f"1 killer/s for {seconds:.0f} s (killers: {dict(sent)}), 2 clients: seed with new inputs failed"
    outcomes = ", ".join(f"{key} {value}" for key, value in sorted(good.items()))
    rows.append(
        Row(
            finding,
            measure,
            "at most 1%",
            f"{failed}/{total} ({share:.1f}%; {outcomes}; median {1000 * percentile(latencies, 0.5):,.0f} ms)",
            at_most(share, 1),
        )
    )


PHASES = ("refusals", "attention", "unread", "trickle", "metrics", "killers")


def _options(arguments: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=PHASES, action="append", help="run only these phases (repeatable)")
    parser.add_argument("--trickle-seconds", type=float, default=30)
    parser.add_argument("--killer-seconds", type=float, default=30)
    parser.add_argument("--results", type=Path, default=servers.ROOT / "bench" / "results")
    return parser.parse_args(arguments)


def run(options: argparse.Namespace) -> list[Row]:
    """Every phase asked for; the rows of the table."""
    phases = set(options.only or PHASES)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the trickling connections are this process's
    options.results.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    metrics = Path(tempfile.mkdtemp(prefix="kss-attacks-metrics-"))
    settings = Settings()
    if phases - {"killers"}:
        log = options.results / "attacks-service.log"
        with live_server(log, WEB_CONCURRENCY="2", PROMETHEUS_MULTIPROC_DIR=str(metrics)) as (process, url):
            server = servers.Server(process, int(url.rsplit(":", 1)[1]), log)
            server.settle(2)
            steps: list[tuple[str, Callable[[], None]]] = [
                ("attention", lambda: attention(server, rows)),
                ("refusals", lambda: refusals(server, rows)),
                ("unread", lambda: unread_answers(server, settings, rows)),
                ("trickle", lambda: trickle(server, options.trickle_seconds, rows)),
                ("metrics", lambda: metrics_files(server, metrics, rows)),
            ]
            for name, step in steps:
                if name in phases:
                    _say(name)
                    step()
    if "killers" in phases:
        _say("killers")
        killer_stream(options.results, options.killer_seconds, rows)
    return rows


def _say(phase: str) -> None:
    print(f"-- attacks: {phase} ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)


def report(results: Path, arguments: Sequence[str] = ()) -> tuple[str, bool]:
    """Run the phases, keep the table in results/attacks.md; the table and whether every target was met.
    Also what `bench/run.py --attacks` calls."""
    options = _options(list(arguments))
    options.results = results
    started = time.monotonic()
    rows = run(options)
    load = os.getloadavg()
    text = render(rows) + (
        f"\n\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {time.monotonic() - started:.0f} s, "
        f"{os.cpu_count()} cores, load average {load[0]:.1f} at the end"
    )
    (results / "attacks.md").write_text(text + "\n")
    return text, all(row.passed for row in rows)


def main() -> int:
    text, passed = report(_options().results, sys.argv[1:])
    print(text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
