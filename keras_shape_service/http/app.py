"""The app factory: the only way an app is made."""

from typing import Optional

from flask import Flask

from keras_shape_service.engine.caches import LruCache
from keras_shape_service.executors import Answerer
from keras_shape_service.settings import Settings

from . import observability, problems, routes
from .context import Services


def _engine(settings: Settings) -> Answerer:
    """The executors when gunicorn started them (settings name their socket), else Keras in this process."""
    if settings.executor_socket:
        from keras_shape_service.executors.client import ExecutorClient

        return ExecutorClient(settings)
    from keras_shape_service.executors.local import (
        LocalEngine,  # imports Keras into this process
    )

    return LocalEngine(settings)


def create_app(settings: Optional[Settings] = None, engine: Optional[Answerer] = None) -> Flask:
    """Make the app: settings from the environment unless given, errors mapped, routes registered."""
    app = Flask(__name__, static_folder=None)  # routes.py serves the page's files, as it serves everything
    settings = settings or Settings()
    answers: LruCache[bytes] = LruCache(
        max_entries=4096 if settings.response_cache_bytes else 0, max_bytes=settings.response_cache_bytes, size_of=len
    )
    Services(settings, engine or _engine(settings), answers).attach(app)
    problems.init_app(app)
    observability.init_app(app)
    routes.init_app(app)
    return app
