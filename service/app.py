"""The app factory: the only way an app is made."""
import logging
from typing import Optional

from flask import Flask

from . import errors, observability, routes, tf_runtime
from .admission import Admission
from .answers import Answers
from .model_cache import LruCache
from .settings import Settings

log = logging.getLogger(__name__)

# The seed question's model: running it once loads TensorFlow's kernels before the first client arrives.
WARM_UP_BODY = {
    "model": {"layers": [{"type": "Dense", "units": 16, "input_shape": [3, 2]},
                         {"type": "Activation", "activation": "relu"},
                         {"type": "Flatten"},
                         {"type": "Dense", "units": 4}]},
    "inputs": [[[1, 2], [3, 4], [5, 6]]],
}


def _warm_up(app: Flask) -> None:
    """Run one real request through the core; /readyz answers 200 only after it succeeded."""
    from schemas import PredictRequest
    try:
        app.extensions["answers"].predict(PredictRequest.model_validate(WARM_UP_BODY))
        app.config["READY"] = True
    except Exception:  # a broken install must show as not ready, not as a crashed worker
        log.exception("warm-up failed")


def create_app(settings: Optional[Settings] = None) -> Flask:
    """Make the app: settings from the environment unless given, errors mapped, routes registered, warmed up."""
    app = Flask(__name__)
    settings = settings or Settings()
    app.config.update(SETTINGS=settings, MAX_CONTENT_LENGTH=settings.max_body_bytes, READY=False)
    app.extensions["answers"] = Answers(settings)
    app.extensions["responses"] = LruCache(max_entries=4096 if settings.response_cache_bytes else 0,
                                           max_bytes=settings.response_cache_bytes, size_of=len)
    app.extensions["admission"] = Admission(settings.request_deadline_ms,
                                            settings.hard_timeout_s if settings.watchdog else None)
    tf_runtime.configure_tensorflow(intra_op=settings.tf_threads, inter_op=1)
    errors.init_app(app)
    observability.init_app(app)
    app.register_blueprint(routes.bp)
    _warm_up(app)
    return app
