"""gunicorn's configuration for the bench's peers (the naive app and the floor): the service's own settings
(bind, workers, keep-alive, timeouts, recycling), but the threaded worker a Flask app is usually served with
and none of the service's hooks, which start the executor processes only the service uses. Keras in a gevent
worker fails once two greenlets call it (its eager context is per thread, and greenlets share one)."""

import runpy
from pathlib import Path

_service = runpy.run_path(str(Path(__file__).resolve().parents[1] / "keras_shape_service" / "gunicorn_conf.py"))
globals().update(
    {
        name: value
        for name, value in _service.items()
        if name
        in (
            "bind",
            "workers",
            "keepalive",
            "timeout",
            "graceful_timeout",
            "max_requests",
            "max_requests_jitter",
            "accesslog",
            "errorlog",
            "loglevel",
        )
    }
)
worker_class = "gthread"
threads = 4
