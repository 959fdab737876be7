"""The engine in this process, for tests and for embedding: one request at a time, within a deadline.

Keras keeps process-global state (the random seed behind initializers, the layer-name counters), so requests
take turns. Nothing but the estimates bounds a request here: under gunicorn, Keras runs in executors (client.py).
"""

import threading
from typing import Optional

from pydantic import BaseModel

from keras_shape_service.errors import Overloaded
from keras_shape_service.schemas.inference import RepositoryIndex
from keras_shape_service.settings import Settings

from . import Answerer


class LocalEngine(Answerer):
    """An Engine in this process, warmed up on construction."""

    def __init__(self, settings: Settings):
        from keras_shape_service.engine.engine import (
            Engine,  # Keras: imported only where the engine runs in this process
        )

        self.engine = Engine(settings)
        self._turn = threading.Lock()
        self._deadline_s = settings.request_deadline_ms / 1000
        self.engine.warm_up()
        if settings.model_repository:
            from keras_shape_service.engine import repository

            self.engine.load_repository(repository.read_files(settings.model_repository, settings.max_body_bytes))
            repository.log_index(self.engine.repository.index)

    def answer(self, operation_id: str, request: BaseModel, client: str = "") -> bytes:
        """The engine's answer, once it is this request's turn (else 503 with Retry-After)."""
        if not self._turn.acquire(timeout=self._deadline_s):
            raise Overloaded(f"the engine stayed busy for {self._deadline_s * 1000:.0f} ms")
        try:
            return self.engine.answer(operation_id, request)
        finally:
            self._turn.release()

    def ready(self) -> bool:
        return True

    def repository(self) -> Optional[RepositoryIndex]:
        """The model repository as this engine read it at start."""
        return self.engine.repository.index
