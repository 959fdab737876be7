"""The benchmark's markdown: the machine, the table of measurements, the targets as ratios with PASS/FAIL."""

import argparse
import datetime
import os
import platform
from importlib import metadata
from typing import Callable, Optional

from bench.specs import BATCH_STREAM, COLD_BLOCK, COLD_RANGE, SPEED_ROUNDS, TEXT_LENGTHS

COLUMNS = ("service", "naive", "floor")
GROWTH_LIMIT_MB = 150
BATCH_FLAT_MB = 25  # "flat": the answer cache (16 MB a worker) is full long before the first reading


def machine() -> dict:
    """What the numbers were measured on, read before the run starts."""
    with open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    with open("/proc/meminfo") as meminfo:
        memory_kb = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal:")))
    versions = ", ".join(f"{name} {_version(name)}" for name in ("tensorflow-cpu", "keras", "flask", "gunicorn"))
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": len(os.sched_getaffinity(0)),
        "model": model,
        "memory_gib": memory_kb / 2**20,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "load_start": os.getloadavg()[0],
    }


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def _number(value: Optional[float]) -> str:
    """Three significant figures or so, without a pointless decimal tail."""
    if value is None or value != value:
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"


def _rows(options: argparse.Namespace) -> list[tuple[str, Callable]]:
    """Each row's label and how to read its cell from a Measurement."""
    return [
        ("start → first 200 on /readyz (s)", lambda m: _number(m.startup)),
        ("repeated seed spec: requests/s", lambda m: _number(m.phases["repeated"].rate)),
        ("repeated seed spec: p50 latency (ms)", lambda m: _number(m.phases["repeated"].percentile(0.5))),
        ("repeated seed spec: p99 latency (ms)", lambda m: _number(m.phases["repeated"].percentile(0.99))),
        ("repeated seed spec: requests in the window", lambda m: f"{m.phases['repeated'].count:,}"),
        ("seed spec, new inputs in every body: requests/s", lambda m: _number(m.phases["new inputs"].rate)),
        (
            "seed spec, new inputs in every body: p50 latency (ms)",
            lambda m: _number(m.phases["new inputs"].percentile(0.5)),
        ),
        (
            "100-image batch, new numbers in every body: p50 latency (ms)",
            lambda m: _number(m.phases["image batch"].percentile(0.5)),
        ),
        ("100-image batch: requests/s", lambda m: _number(m.phases["image batch"].rate)),
        ("cold specs, 1 connection: median latency (ms)", lambda m: _number(m.phases["cold"].median)),
        (
            "the same cold specs, Keras in the bench's process: build, first call, summary (ms)",
            lambda m: _number(m.keras_cold.median) if m.keras_cold else "",
        ),
        (
            f"one text model, {len(TEXT_LENGTHS)} lengths one at a time: models built (/metrics)",
            lambda m: f"{m.text_builds:g}" if m.text_builds is not None else "",
        ),
        (
            f"one text model, {len(TEXT_LENGTHS)} lengths: median latency (ms)",
            lambda m: _number(m.text_phase.median) if m.text_phase else "",
        ),
        (
            f"cold specs, {options.connections} connections: median latency (ms)",
            lambda m: _number(m.phases["growth"].median),
        ),
        (f"cold specs, {options.connections} connections: requests/s", lambda m: _number(m.phases["growth"].rate)),
        ("/v1/summary, seed model: p50 latency (ms)", lambda m: _number(m.phases["summary"].percentile(0.5))),
        ("/v1/summary, seed model: p99 latency (ms)", lambda m: _number(m.phases["summary"].percentile(0.99))),
        ("memory after warm-up (MB, PSS summed over processes)", lambda m: _number(m.rss_warm)),
        ("distinct specs sent after warm-up", lambda m: f"{m.distinct_sent:,}"),
        ("memory after those distinct specs (MB, PSS)", lambda m: _number(m.rss_after)),
        ("memory growth (MB, PSS)", lambda m: f"{m.rss_after - m.rss_warm:+.1f}" + ("" if m.same_workers else " †")),
        ("server CPU in the repeated phase (% of one core)", lambda m: _number(100 * m.server_cpu)),
        ("busiest process's share of that server CPU (%)", lambda m: _number(100 * m.busiest_worker)),
        (
            "client CPU in the repeated phase (% of one core)",
            lambda m: _number(100 * m.phases["repeated"].client_cpu / m.phases["repeated"].wall),
        ),
        ("answers that left the connection open (keep-alive)", _keep_alive),
        ("worker restarts during the run", lambda m: str(m.restarts)),
        ("failed requests", lambda m: str(sum(len(p.failures) for p in m.phases.values()))),
    ]


def _keep_alive(measurement) -> str:
    answered = sum(p.count + len(p.failures) for p in measurement.phases.values())
    closed = sum(p.closed for p in measurement.phases.values())
    return f"{100 * (answered - closed) / answered:.0f}%" if answered else "n/a"


def _table(results: dict, options: argparse.Namespace) -> list[str]:
    names = [name for name in COLUMNS if name in results]
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, cell in _rows(options):
        lines.append(f"| {label} | " + " | ".join(cell(results[name]) for name in names) + " |")
    return lines


def _ratio(numerator: float, denominator: float) -> Optional[float]:
    return numerator / denominator if numerator and denominator else None


def _target(label: str, measured: str, passed: Optional[bool], *involved) -> str:
    verdict = "n/a" if passed is None else "PASS" if passed else "FAIL"
    if any(m.problems for m in involved):
        verdict += " (failed requests: see below)"
    return f"| {label} | {measured} | {verdict} |"


def _rate(measurement, phase: str) -> float:
    return measurement.phases[phase].rate


def _latency(measurement, phase: str) -> float:
    return measurement.phases[phase].percentile(0.5)


# The targets of the performance issues (new inputs and cold specs: issue 25's): (label, service's figure,
# peer, peer's figure, ratio needed, at least?).
TARGETS = [
    ("100-image batch, new numbers: p50 ≤ 1.3× the array floor's", "floor", "image batch", _latency, 1.3, False),
    ("seed spec, new inputs: ≥ 0.5× the HTTP floor's requests/s", "floor", "new inputs", _rate, 0.5, True),
    ("repeated spec: ≥ 0.9× the HTTP floor's requests/s", "floor", "repeated", _rate, 0.9, True),
    ("repeated spec: ≥ 100× the naive peer's requests/s", "naive", "repeated", _rate, 100, True),
]


def _targets(results: dict, options: argparse.Namespace) -> list[str]:
    """Each target of the issue, as the ratio this run measured."""
    service, naive = results.get("service"), results.get("naive")
    lines = ["| target | measured | verdict |", "|---|---:|---|"]
    for label, peer_name, phase, figure, needed, at_least in TARGETS:
        peer = results.get(peer_name)
        ratio = _ratio(figure(service, phase), figure(peer, phase)) if service and peer else None
        passed = None if ratio is None else ratio >= needed if at_least else ratio <= needed
        lines.append(_target(label, f"{_number(ratio)}×", passed, *filter(None, (service, peer))))
    if service and service.application_summary:
        ratio = _ratio(service.application_summary, service.keras_application_summary)
        lines.append(
            _target(
                f"ResNet50 /v1/summary by name, cold ({1000 * service.application_summary:.0f} ms): "
                f"≤ 1.5× Keras's own build and summary in-process "
                f"({1000 * service.keras_application_summary:.0f} ms)",
                f"{_number(ratio)}×",
                None if ratio is None else ratio <= 1.5,
                service,
            )
        )
    ratio = _ratio(naive.phases["cold"].median, service.phases["cold"].median) if service and naive else None
    lines.append(
        _target(
            "cold spec (1 connection): median ≥ 8× lower than the naive peer's",
            f"{_number(ratio)}×",
            None if ratio is None else ratio >= 8,
            *filter(None, (service, naive)),
        )
    )
    if service and service.keras_cold:
        keras = service.keras_cold.median
        ratio = _ratio(service.phases["cold"].median, keras)
        lines.append(
            _target(
                f"cold spec through HTTP ({service.phases['cold'].median:.1f} ms): median ≤ 0.7× Keras's own build, "
                f"first call and summary in-process ({keras:.1f} ms)",
                f"{_number(ratio)}×",
                None if ratio is None else ratio <= 0.7,
                service,
            )
        )
    if service and service.text_builds is not None:
        lengths = service.text_phase.count if service.text_phase else 0
        lines.append(
            _target(
                f"one text model (Embedding, LSTM; time axis None) at {len(TEXT_LENGTHS)} lengths: 1 build "
                f"({lengths} answered)",
                f"{service.text_builds:g} builds",
                service.text_builds == 1 and lengths == len(TEXT_LENGTHS),
                service,
            )
        )
    if service:
        growth = service.rss_after - service.rss_warm
        valid = service.distinct_sent >= 1500
        measured = f"{growth:+.1f} MB over {service.distinct_sent:,} specs" + ("" if valid else " (invalid)")
        lines.append(
            _target(
                f"memory: < {GROWTH_LIMIT_MB} MB memory growth (PSS) over 1,500 distinct specs",
                measured,
                valid and growth < GROWTH_LIMIT_MB,
                service,
            )
        )
        if service.batch_memory[0]:
            before, after = service.batch_memory
            stream = service.phases["batch stream"]
            first, total = options.batch_stream
            replaced = "" if service.batch_same_workers else " †"
            measured = (
                f"{before:,.0f} → {after:,.0f} MB ({after - before:+.1f}) over the last "
                f"{stream.count - first:,} of {stream.count:,}{replaced}"
            )
            lines.append(
                _target(
                    f"memory: flat (< {BATCH_FLAT_MB} MB PSS growth) over {total:,} batches of 100 "
                    f"images once the caches are full (read after the first {first:,})",
                    measured,
                    stream.count >= BATCH_STREAM[1] and after - before < BATCH_FLAT_MB,
                    service,
                )
            )
    return lines


def render(results: dict, options: argparse.Namespace, settings: dict, machine: dict, wall: float) -> str:
    """The whole report, as markdown."""
    load_end = os.getloadavg()[0]
    lines = [
        f"# `make bench`, {machine['date']}",
        "",
        f"Machine: {machine['cpus']} CPUs (`nproc`), {machine['model']}, {machine['memory_gib']:.1f} GiB RAM, "
        f"Linux {machine['kernel']}; 1-minute load average {machine['load_start']:.2f} at the start, "
        f"{load_end:.2f} at the end. Shared and noisy: compare the ratios, not the absolute numbers.",
        f"Software: Python {machine['python']}, {machine['versions']}.",
        f"gunicorn (keras_shape_service/gunicorn_conf.py): worker_class={settings.get('worker_class')}, "
        f"workers={settings.get('workers')}, keepalive={settings.get('keepalive')} s, "
        f"max_requests={settings.get('max_requests')}+0..{settings.get('max_requests_jitter', 0)}; the service's "
        f"Keras work in its executor processes. The peers: the same settings with the gthread worker, 4 threads "
        f"(bench/peer_conf.py), and no executors. Memory (PSS) and CPU are summed over every process under a master.",
        f"Client: {options.connections} concurrent connections, one thread and one http.client keep-alive "
        f"connection each, reopened whenever the server closes it. Repeated spec: {options.seconds:g} s or "
        f"{options.cap:,} requests, whichever ends first (the same bytes each time, so the service's answer cache "
        f"serves them); the seed spec with new inputs in every body (the model cache and a traced call, never "
        f"the answer cache): half the time, half the requests; /v1/summary: half the time, a quarter of the "
        f"requests; each of these and the image batch in {SPEED_ROUNDS} rounds, the contenders taking turns. "
        f"Cold specs: "
        f"{len(COLD_RANGE)} never-seen variants of the seed model sent one at a time, in blocks of {COLD_BLOCK} "
        "to every "
        f"contender in turn (all are up; the others idle), and the stream of "
        f"distinct specs between the two memory readings ({options.distinct:,} for the service and the floor, "
        f"{options.naive_distinct:,} for the naive peer).",
        f"Wall time of the run: {wall:.0f} s.",
        "",
        *_table(results, options),
        "",
        "## Targets",
        "",
        *_targets(results, options),
    ]
    if any(not m.same_workers for m in results.values()):
        lines += [
            "",
            "† a process was replaced between the two memory readings (an executor recycled past its "
            "growth bound): the sums are still what the machine held.",
        ]
    problems = [f"- {name}: {problem}" for name, m in results.items() for problem in m.problems]
    if problems:
        lines += ["", "## Problems", "", *problems]
    return "\n".join(lines) + "\n"
