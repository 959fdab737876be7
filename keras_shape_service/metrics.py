"""The Prometheus metrics every process of the service writes (HTTP workers, executors, their manager).

Under gunicorn, gunicorn_conf.py sets PROMETHEUS_MULTIPROC_DIR before any process imports prometheus-client:
each process then writes its samples to files there, and a scrape answered by any HTTP worker sums them all.
Without it (tests, one process) the samples live in this process's default registry.
"""

import fcntl
import os
import shutil
from typing import Optional

from prometheus_client import Counter, Histogram, multiprocess
from prometheus_client.mmap_dict import MmapedDict

REQUESTS = Counter(
    "kss_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "kss_http_request_duration_seconds",
    "Time to answer a request, by method and route template.",
    ["method", "route"],
    # from a cached answer's millisecond up to the compute budget and beyond
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
BUILDS = Counter("kss_model_builds_total", "Models whose shapes Keras built, by endpoint kind.", ["kind"])
REFUSALS = Counter("kss_refusals_total", "Problem+json answers, by the error class that caused them.", ["reason"])
ANSWERS = Counter(
    "kss_answers_total",
    "Answers to /v1 bodies, by operation, body form (json, upload) and source (cache: the HTTP worker's answer "
    "cache, given again without reading the body; computed).",
    ["operation", "form", "source"],
)
EXECUTOR_EXITS = Counter("kss_executor_exits_total", "Executor processes that ended, by why.", ["reason"])


def count_build(kind: str) -> None:
    """Count one model Keras built; `kind` is the endpoint's ("predict" or "summary")."""
    BUILDS.labels(kind).inc()


def count_answer(operation: str, form: str, cached: bool) -> None:
    """Count one /v1 body answered (or about to be): from the answer cache, or computed."""
    ANSWERS.labels(operation, form, "cache" if cached else "computed").inc()


def count_refusal(reason: str) -> None:
    """Count one problem+json answer; `reason` is an error class name from the one error mapping."""
    REFUSALS.labels(reason).inc()


_ENDED = "ended"  # the file name's pid part of the samples of every process that ended: counter_ended.db, ...
_ADDITIVE = ("counter", "histogram", "summary")  # kinds whose samples (counts, sums, buckets) add up


def forget_process(pid: int, directory: Optional[str] = None) -> None:
    """A process that ended (an executor, an HTTP worker): its samples are folded into the `ended` files, one
    per kind, and its own files removed, so that the directory holds one file per live process and kind.

    prometheus-client's mark_process_dead removes only live gauges' files: a dead process's counters still count
    towards every total (dropping them would make the totals fall, which Prometheus reads as a reset), so they
    are kept, added up in one file each. Every process replaced left its files behind (200 executors killed:
    207 files, each read by every scrape). Without the multiprocess directory (one process), nothing to do.
    """
    directory = directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    multiprocess.mark_process_dead(pid, directory)
    # Executors end in their manager, HTTP workers in gunicorn's master: one merge at a time.
    with open(os.path.join(directory, "ended.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for kind in _ADDITIVE:
            dead = os.path.join(directory, f"{kind}_{pid}.db")
            if os.path.exists(dead):
                _add_into(os.path.join(directory, f"{kind}_{_ENDED}.db"), dead)
                os.remove(dead)


def _add_into(ended: str, dead: str) -> None:
    """The dead file's samples added to the `ended` file's, written aside and renamed over it, so that a scrape
    reads either the old file or the new one whole."""
    aside = ended + ".adding"
    if os.path.exists(ended):
        shutil.copyfile(ended, aside)
    totals = MmapedDict(aside)
    try:
        for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(dead):
            total, _ = totals.read_value(key)
            totals.write_value(key, total + value, timestamp)
    finally:
        totals.close()
    os.replace(aside, ended)
