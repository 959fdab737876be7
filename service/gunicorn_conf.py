"""The one gunicorn configuration, used by `make serve`, docker-compose and the integration tests."""
import glob
import os
import shutil
import tempfile

wsgi_app = "service.wsgi:app"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# One process per core. Threads give keep-alive connections and let /healthz, /metrics and refusals answer
# while a request computes; Keras work itself takes turns per process (service/admission.py).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() or 2)))
threads = int(os.environ.get("KSS_THREADS", "4"))
raw_env = ["KSS_WATCHDOG=true"]
# Each worker imports TensorFlow and runs a warm-up model before it serves (~5 s); no preload, since
# TensorFlow's thread pools do not survive fork.
timeout = int(os.environ.get("KSS_WORKER_TIMEOUT", "60"))  # with gthread: a worker silent this long, e.g. at boot
graceful_timeout = int(os.environ.get("KSS_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so that any slow growth of Keras/TensorFlow state is shed; jitter keeps
# them from restarting together.
# A worker answers ~1,000 cached requests a second and takes ~5 s to start (TensorFlow), so the count is high.
max_requests = int(os.environ.get("KSS_MAX_REQUESTS", "100000"))
max_requests_jitter = int(os.environ.get("KSS_MAX_REQUESTS_JITTER", "10000"))
accesslog = None
errorlog = "-"
loglevel = os.environ.get("KSS_LOG_LEVEL", "info")

# Metrics: prometheus-client's multiprocess mode, so that a scrape answered by any worker counts all of them.
# The directory must be known before a worker imports prometheus-client and must start empty on each run.
_METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_made_metrics_dir = None


def on_starting(server):
    """In the master, before any worker forks: give the workers one empty metrics directory."""
    global _made_metrics_dir
    directory = os.environ.get(_METRICS_DIR_VARIABLE)
    if directory:  # the operator's: keep it, but drop the last run's samples
        os.makedirs(directory, exist_ok=True)
        for stale in glob.glob(os.path.join(directory, "*.db")):
            os.remove(stale)
    else:
        _made_metrics_dir = os.environ[_METRICS_DIR_VARIABLE] = tempfile.mkdtemp(prefix="kss-metrics-")


def post_worker_init(worker):
    """In each worker, once its app is made and warmed up: take what exists now out of the cyclic collector.

    TensorFlow's and Keras's objects live as long as the worker. Out of the collector's reach, the full
    collections that free evicted models (Keras models are cycles) scan ~110k objects instead of ~420k,
    ~120 ms instead of ~350 ms, once every ~150 never-seen specs. The warm-up model is frozen too: if the
    model cache ever evicts it, that one model stays in memory. Workers only: a test process makes many apps.
    """
    import gc
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    """A dead worker's counters stay in the sums; only its live gauges must be dropped."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(_made_metrics_dir, ignore_errors=True)
