"""What the routes use, held once per app, and the typed accessor to it (flaskr's get_db(), typed)."""
from dataclasses import dataclass
from typing import Optional, Protocol

from flask import Flask, current_app
from pydantic import BaseModel

from schemas.inference import RepositoryIndex

from ..engine.caches import LruCache
from ..settings import Settings

_EXTENSION = "keras_shape_service"


class Answerer(Protocol):
    """Where requests are answered: an engine in this process, or the executor processes."""

    def answer(self, operation_id: str, request: BaseModel) -> bytes: ...

    def ready(self) -> bool: ...

    def repository(self) -> Optional[RepositoryIndex]: ...


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
