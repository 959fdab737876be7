"""`make bench`: the service, the naive peer and the HTTP floor, side by side, under the same client load.

Each contender runs under `gunicorn --config keras_shape_service/gunicorn_conf.py` (the naive peer and the
floor only name
another WSGI app), on its own free port. They are started one after another and stay up; each phase loads
one of them while the others idle (the machine has few cores), except the cold phase, which comes last and
sends the specs to every contender in turn, in blocks, Keras in this process taking its turn too
(bench/keras_cold.py). Then, for the service alone: one variable-length model at 20 lengths (its builds read
from /metrics), the batch stream's memory, ResNet50 by name. The table goes to stdout and to
bench/results/latest.md; gunicorn's logs to bench/results/<name>.log.
"""

import argparse
import json
import math
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script by `make bench`

from bench import applications, files, keras_cold, load, report, servers, specs  # noqa: E402

CONTENDERS = (
    servers.Contender("service"),
    servers.Contender("naive", "bench.naive_app:app"),
    servers.Contender("floor", "bench.floor_app:app"),
)
COLD_SECONDS = 600  # the naive peer answers 100 cold specs in ~15 s
IMAGE_BATCHES = 41  # bodies of 100 images, each sent once: one to warm up, 40 measured
SUMMARY_KEYS = {"layers", "params", "summary"}
PREDICT_KEYS = SUMMARY_KEYS | {"output_shape", "predictions"}


@dataclass
class Measurement:
    """Everything measured of one contender."""

    startup: float
    phases: dict[str, load.Phase] = field(default_factory=dict)
    rss_warm: float = 0.0
    rss_after: float = 0.0
    distinct_sent: int = 0
    same_workers: bool = True  # the memory readings are of the same processes
    restarts: int = 0
    server_cpu: float = 0.0  # cores' worth of worker CPU during the repeated phase
    busiest_worker: float = 0.0  # the busiest worker's share of that CPU
    repeated_cpu: list[float] = field(default_factory=list)  # CPU seconds of each process in the repeated phase
    batch_memory: tuple[float, float] = (0.0, 0.0)  # MB (PSS) after the first and the last of the batch stream
    batch_same_workers: bool = True
    application_summary: float = 0.0  # seconds: /v1/summary of ResNet50 by name, cold (the service only)
    keras_application_summary: float = 0.0  # seconds: Keras's own build and summary of it, in-process
    keras_cold: Optional[load.Phase] = None  # Keras in the bench's process, in the cold phase's blocks (service)
    text_builds: Optional[float] = None  # models built for one text model over 20 lengths, from /metrics
    text_phase: Optional[load.Phase] = None
    problems: list[str] = field(default_factory=list)


def _check(phase: load.Phase, name: str, measurement: Measurement) -> None:
    """Note failed requests, and a first answer without the contract's keys (or not the seed's shape)."""
    if phase.failures:
        measurement.problems.append(f"{name}: {len(phase.failures)} failed, first: {phase.failures[0]}")
    if phase.first_body is None:
        return
    answer = json.loads(phase.first_body)
    if name == "image batch":  # the array floor answers the predictions alone
        if answer.get("output_shape") != [specs.IMAGE_BATCH, 10]:
            measurement.problems.append(f"{name}: unexpected answer {phase.first_body[:200]!r}")
        return
    keys = SUMMARY_KEYS if "summary" in name else PREDICT_KEYS
    seed_shaped = name in ("repeated", "new inputs")
    if not keys <= answer.keys() or (seed_shaped and answer["output_shape"] != [1, 4]):
        measurement.problems.append(f"{name}: unexpected answer {phase.first_body[:200]!r}")


def _warm_up(port: int, connections: int) -> dict[str, load.Phase]:
    """The seed model and a few distinct ones on every connection, so that every worker has served both."""
    predict, summary = load.repeated(specs.SEED_PREDICT, 100), load.repeated(specs.SEED_SUMMARY, 20)
    return {
        "warm-up predict": load.run(port, "/v1/predict", predict, connections, 60),
        "warm-up summary": load.run(port, "/v1/summary", summary, connections, 60),
        "warm-up distinct": load.run(port, "/v1/predict", specs.distinct_bodies(specs.WARM_UP_RANGE), connections, 60),
    }


def _memory(
    server: servers.Server, pids: list[int], distinct: int, options: argparse.Namespace, measurement: Measurement
) -> None:
    """Memory (PSS) of the warmed-up processes, then `distinct` never-seen specs, then again."""
    measurement.rss_warm = server.rss_mb(pids)
    bodies = specs.distinct_bodies(range(specs.GROWTH_RANGE.start, specs.GROWTH_RANGE.start + distinct))
    growth = load.run(server.port, "/v1/predict", bodies, options.connections, options.growth_seconds)
    measurement.phases["growth"], measurement.distinct_sent = growth, growth.count
    measurement.same_workers = server.worker_pids() == pids
    measurement.rss_after = server.rss_mb(server.worker_pids())


def _speed_phases(options: argparse.Namespace) -> list[tuple[str, str, Callable[[], Iterator[bytes]], int, float]]:
    """Each speed phase: name, path, its bodies (a fresh stream for each contender), most requests, seconds."""
    cap, seconds = options.cap, options.seconds
    return [
        ("repeated", "/v1/predict", lambda: load.repeated(specs.SEED_PREDICT, cap), cap, seconds),
        ("summary", "/v1/summary", lambda: load.repeated(specs.SEED_SUMMARY, cap // 4), cap // 4, seconds / 2),
        ("new inputs", "/v1/predict", lambda: iter(specs.seed_with_new_inputs(cap // 2)), cap // 2, seconds / 2),
        # The first body built the image model (in _speed): not what the phase measures.
        (
            "image batch",
            "/v1/predict",
            lambda: iter(options.image_batches[1:]),
            len(options.image_batches) - 1,
            seconds,
        ),
    ]


def _speed(running: dict[str, servers.Server], options: argparse.Namespace, results: dict[str, Measurement]) -> None:
    """The seed model, its summary, the seed model with new inputs, and the image batch, under the full client
    load: each phase in specs.SPEED_ROUNDS rounds, the contenders taking turns, so that their ratios meet the
    machine's noise of the same minutes (measured one after another, the floor's own rate varied by half from
    run to run). The CPU of the repeated phase is summed over its rounds."""
    for server in running.values():
        load.run(server.port, "/v1/predict", options.image_batches[:1], 1, options.seconds)
    for phase, path, bodies, cap, seconds in _speed_phases(options):
        streams = {name: bodies() for name in running}
        for name in running:
            results[name].phases[phase] = load.Phase()
        rounds = specs.SPEED_ROUNDS
        for _ in range(rounds):
            for name, server in running.items():
                pids = server.worker_pids()
                before = server.cpu_seconds(pids)
                stretch = load.run(
                    server.port,
                    path,
                    islice(streams[name], math.ceil(cap / rounds)),
                    options.connections,
                    seconds / rounds,
                )
                results[name].phases[phase].add(stretch)
                if phase == "repeated" and server.worker_pids() == pids:
                    used = [after - start for after, start in zip(server.cpu_seconds(pids), before)]
                    results[name].repeated_cpu = [
                        a + b for a, b in zip(results[name].repeated_cpu or [0.0] * len(used), used)
                    ]
    for measurement in results.values():
        used = measurement.repeated_cpu
        if used and sum(used):
            measurement.server_cpu = sum(used) / measurement.phases["repeated"].wall
            measurement.busiest_worker = max(used) / sum(used)


def measure(
    server: servers.Server, pids: list[int], measurement: Measurement, options: argparse.Namespace, distinct: int
) -> None:
    """Warm the started contender up, and measure its memory over never-seen specs."""
    measurement.phases.update(_warm_up(server.port, options.connections))
    _memory(server, pids, distinct, options, measurement)


def _batch_memory(server: servers.Server, options: argparse.Namespace, measurement: Measurement) -> None:
    """Memory over a long stream of big batches, new numbers in every body: read once the caches have had
    time to fill (after the first specs.BATCH_STREAM[0]), and again at the end: no difference, or nearly."""
    first, total = options.batch_stream
    stream = specs.image_batch_stream(options.image_batches, total)
    measurement.phases["batch stream"] = load.run(
        server.port, "/v1/predict", islice(stream, first), options.connections, 600
    )
    pids = server.worker_pids()
    before = server.rss_mb(pids)
    later = load.run(server.port, "/v1/predict", stream, options.connections, 1800)
    measurement.phases["batch stream"].add(later)
    measurement.batch_same_workers = server.worker_pids() == pids
    measurement.batch_memory = (before, server.rss_mb(server.worker_pids()))


def _cold(running: dict[str, servers.Server], results: dict[str, Measurement]) -> None:
    """Never-seen specs, one request at a time, in blocks of COLD_BLOCK to every contender in turn; with the
    service, Keras in this process takes its turn too (warmed up first on the warm-up specs, as the servers
    were)."""
    contenders: dict[str, load.Poster] = {name: load.Connection(server.port) for name, server in running.items()}
    if "service" in running:
        keras = contenders["keras"] = keras_cold.KerasInProcess()
        for body in specs.distinct_bodies(specs.WARM_UP_RANGE):
            keras.post("/v1/predict", body)
    bodies = specs.distinct_bodies(specs.COLD_RANGE)
    phases = load.alternating(contenders, "/v1/predict", bodies, specs.COLD_BLOCK, COLD_SECONDS)
    for name, phase in phases.items():
        if name == "keras":
            results["service"].keras_cold = phase
        else:
            results[name].phases["cold"] = phase


def _variable_length(server: servers.Server, measurement: Measurement) -> None:
    """One text model with 20 sentence lengths, one request at a time: the builds it cost, read from the
    service's /metrics before and after (every process's counters summed)."""
    connection = load.Connection(server.port)
    try:
        before = specs.builds(connection.get("/metrics")[1].decode())
        phase = load.Phase()
        for body in specs.text_bodies():
            sent = time.perf_counter()
            status, answer, closed = connection.post("/v1/predict", body)
            phase.record(status, answer, closed, time.perf_counter() - sent)
            phase.wall += time.perf_counter() - sent
        measurement.text_builds = specs.builds(connection.get("/metrics")[1].decode()) - before
        measurement.text_phase = measurement.phases["variable length"] = phase
    finally:
        connection.close()


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=4, help="concurrent keep-alive client connections")
    parser.add_argument("--seconds", type=float, default=10, help="window of the repeated-spec phase")
    parser.add_argument(
        "--cap",
        type=int,
        default=3000,
        help="most requests in the repeated-spec phase (a quarter in the summary phase): with "
        "the earlier phases, under gunicorn's max_requests even if one worker serves all",
    )
    parser.add_argument(
        "--distinct", type=int, default=len(specs.GROWTH_RANGE), help="distinct specs between the two memory readings"
    )
    parser.add_argument(
        "--naive-distinct",
        type=int,
        default=500,
        help="distinct specs for the naive peer, which answers ~10 a second on 2 cores",
    )
    parser.add_argument("--growth-seconds", type=float, default=300, help="time limit of the distinct stream")
    parser.add_argument(
        "--only",
        choices=[c.name for c in CONTENDERS],
        action="append",
        help="run only these contenders (repeatable); the targets need all three",
    )
    parser.add_argument(
        "--batch-stream",
        type=int,
        default=specs.BATCH_STREAM[1],
        help="batches of 100 images in the memory stream (the first reading after a fifth of them); the flat "
        f"memory target needs {specs.BATCH_STREAM[1]:,}",
    )
    parser.add_argument("--results", type=Path, default=servers.ROOT / "bench" / "results")
    parser.add_argument("--attacks", action="store_true", help="then bench/attacks.py, issue 21's findings (~5 min)")
    options = parser.parse_args()
    options.image_batches = specs.image_batches(IMAGE_BATCHES)
    options.batch_stream = (options.batch_stream * specs.BATCH_STREAM[0] // specs.BATCH_STREAM[1], options.batch_stream)
    if max(options.distinct, options.naive_distinct) > specs.COLD_RANGE.start - specs.GROWTH_RANGE.start:
        parser.error("so many distinct specs would reach into the cold phase's")
    return options


def main() -> int:
    """Measure the contenders; print the report and keep it in bench/results/latest.md."""
    options = _options()
    options.results.mkdir(parents=True, exist_ok=True)
    started, machine = time.perf_counter(), report.machine()
    settings = servers.gunicorn_settings({"HOST": "127.0.0.1", "PORT": "0"})
    contenders = [c for c in CONTENDERS if not options.only or c.name in options.only]
    running: dict[str, servers.Server] = {}
    results: dict[str, Measurement] = {}
    first_pids: dict[str, list[int]] = {}
    with ExitStack() as stack:
        for contender in contenders:
            print(f"-- {contender.name}: start", file=sys.stderr, flush=True)
            server, startup = stack.enter_context(servers.serve(contender, options.results / f"{contender.name}.log"))
            # Every worker booted and idle before the next contender starts: each start-up time is its own.
            first_pids[contender.name] = server.settle(settings["workers"])
            running[contender.name], results[contender.name] = server, Measurement(startup)
        for name, server in running.items():
            distinct = options.naive_distinct if name == "naive" else options.distinct
            print(f"-- {name}: warm-up, {distinct} distinct specs", file=sys.stderr, flush=True)
            measure(server, first_pids[name], results[name], options, distinct)
        print(
            f"-- repeated, summary, new inputs, image batch: {specs.SPEED_ROUNDS} rounds, every contender in turn",
            file=sys.stderr,
            flush=True,
        )
        _speed(running, options, results)
        print(f"-- cold specs, {specs.COLD_BLOCK} at a time to every contender in turn", file=sys.stderr, flush=True)
        _cold(running, results)
        if "service" in running:
            print(f"-- the service: one text model, {len(specs.TEXT_LENGTHS)} lengths", file=sys.stderr, flush=True)
            _variable_length(running["service"], results["service"])
            print(
                f"-- the service: {options.batch_stream[1]:,} batches of 100 images, memory after "
                f"{options.batch_stream[0]:,} and at the end",
                file=sys.stderr,
                flush=True,
            )
            _batch_memory(running["service"], options, results["service"])
            print("-- ResNet50 summaries: the service cold, then Keras in-process", file=sys.stderr, flush=True)
            results["service"].application_summary = applications.service_seconds(running["service"].port)
            results["service"].keras_application_summary = applications.keras_seconds()
            print("-- a 25M-parameter .keras upload: the service, then Keras in-process", file=sys.stderr, flush=True)
            upload = files.measure(running["service"])
        for name, server in running.items():
            server.worker_pids()
            results[name].restarts = len(server.seen_workers) - settings["workers"]
            for phase_name, phase in results[name].phases.items():
                _check(phase, phase_name, results[name])
    text = report.render(results, options, settings, machine, time.perf_counter() - started)
    if "service" in running:
        text += files.render(upload)
    if options.attacks:  # a fresh service of its own, once the contenders have stopped
        from bench import attacks

        text += "\n\n## Attacks (issue 21)\n\n" + attacks.report(options.results)[0]
    (options.results / "latest.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
