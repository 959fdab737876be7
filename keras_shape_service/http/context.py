"""What the routes use, held once per app, and the typed accessor to it (flaskr's get_db(), typed)."""

from dataclasses import dataclass
from typing import Optional

from flask import Flask, current_app

from keras_shape_service.engine.caches import LruCache
from keras_shape_service.executors import Answerer
from keras_shape_service.settings import Settings

_EXTENSION = "keras_shape_service"


@dataclass
class Services:
    """Settings, where answers come from, and the answers already given."""

    settings: Settings
    engine: Answerer
    answers: LruCache[bytes]  # answers by operation and body hash: answers are deterministic

    def attach(self, app: Flask) -> None:
        app.extensions[_EXTENSION] = self


def services(app: Optional[Flask] = None) -> Services:
    """The services of `app`, or of the app handling the current request."""
    return (app or current_app).extensions[_EXTENSION]
