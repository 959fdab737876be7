"""The Prometheus metrics every process of the service writes (HTTP workers, executors, their manager).

Under gunicorn, gunicorn_conf.py sets PROMETHEUS_MULTIPROC_DIR before any process imports prometheus-client:
each process then writes its samples to files there, and a scrape answered by any HTTP worker sums them all.
Without it (tests, one process) the samples live in this process's default registry.
"""

from prometheus_client import Counter, Histogram

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
EXECUTOR_EXITS = Counter("kss_executor_exits_total", "Executor processes that ended, by why.", ["reason"])


def count_build(kind: str) -> None:
    """Count one model Keras built; `kind` is the endpoint's ("predict" or "summary")."""
    BUILDS.labels(kind).inc()


def count_refusal(reason: str) -> None:
    """Count one problem+json answer; `reason` is an error class name from the one error mapping."""
    REFUSALS.labels(reason).inc()
