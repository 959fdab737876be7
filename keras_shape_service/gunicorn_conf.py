"""The one gunicorn configuration, used by `make serve`, docker-compose and the integration tests.

Two kinds of process serve: gunicorn's HTTP workers (gevent, no Keras) read and validate requests and
answer what they can; executor processes run Keras, one request at a time each, bounded by the operating
system. The master starts the executors' manager before forking the HTTP workers and stops it last.
"""

import glob
import os
import resource
import shutil
import tempfile
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # imported in on_starting at run time: the master loads this file before anything else
    from keras_shape_service.executors.supervisor import ExecutorSupervisor

wsgi_app = "keras_shape_service.wsgi:app"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "keras_shape_service.http.worker.Worker"
workers = int(os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() or 2)))
# Concurrent clients per worker. A connection is a greenlet: an idle or trickling one costs a few kB, so slots are
# many, enough that 2,100 clients trickling bodies leave room for everyone else; the fronts (nginx) cap each
# client's share where the service faces the open network (README "Connection slots").
worker_connections = int(os.environ.get("KSS_WORKER_CONNECTIONS", "4000"))
# Seconds a kept-alive connection may idle, and a client may take to send a request's headers.
keepalive = 5
timeout = int(os.environ.get("KSS_WORKER_TIMEOUT", "30"))  # a worker whose event loop stalls this long is replaced
# In-flight requests finish on SIGTERM: at most the body timeout plus the compute budget.
graceful_timeout = int(os.environ.get("KSS_GRACEFUL_TIMEOUT", "45"))
# Recycle HTTP workers now and then so that any slow growth is shed; jitter keeps them from restarting together.
max_requests = int(os.environ.get("KSS_MAX_REQUESTS", "100000"))
max_requests_jitter = int(os.environ.get("KSS_MAX_REQUESTS_JITTER", "10000"))
accesslog = None
errorlog = "-"
loglevel = os.environ.get("KSS_LOG_LEVEL", "info")

_METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_made: dict[str, Optional[str]] = {"metrics": None, "run": None}
_executors: list["ExecutorSupervisor"] = []


def _metrics_directory():
    """Prometheus-client's multiprocess mode, so that a scrape answered by any worker counts every process.
    The directory must be known before any process imports prometheus-client and must start empty."""
    directory = os.environ.get(_METRICS_DIR_VARIABLE)
    if directory:  # the operator's: keep it, but drop the last run's samples
        os.makedirs(directory, exist_ok=True)
        for stale in glob.glob(os.path.join(directory, "*.db")):
            os.remove(stale)
    else:
        _made["metrics"] = os.environ[_METRICS_DIR_VARIABLE] = tempfile.mkdtemp(prefix="kss-metrics-")


def _open_files_for_every_slot(server) -> None:
    """The soft limit on open files raised (towards the hard one) to every worker's slots and some: many systems
    start processes at 1,024, fewer than one worker's slots."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = server.cfg.workers * server.cfg.worker_connections + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard)
        )


def on_starting(server):
    """In the master, before any worker forks: the open-files limit, the metrics directory, then the executors on a
    private socket."""
    from keras_shape_service.executors.supervisor import ExecutorSupervisor

    _open_files_for_every_slot(server)
    _metrics_directory()
    _made["run"] = tempfile.mkdtemp(prefix="kss-run-")  # mode 0700: only this user reaches the socket
    socket_path = os.environ["KSS_EXECUTOR_SOCKET"] = os.path.join(_made["run"], "executors.sock")
    _executors.append(ExecutorSupervisor(socket_path).start())


def child_exit(server, worker):
    """In the master, once an HTTP worker has ended (recycled, killed, timed out): its metrics files folded
    into the ended processes' (keras_shape_service/metrics.py forget_process)."""
    from keras_shape_service.metrics import forget_process

    forget_process(worker.pid)


def on_exit(server):
    """After the HTTP workers have finished: stop the executors, remove what on_starting made."""
    for executors in _executors:
        executors.stop()
    for directory in _made.values():
        if directory:
            shutil.rmtree(directory, ignore_errors=True)
