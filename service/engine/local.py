"""The engine in this process, for tests and for embedding: one request at a time, within a deadline.

Keras keeps process-global state (the random seed behind initializers, the layer-name counters), so requests
take turns (admission.py).
"""
from pydantic import BaseModel

from ..settings import Settings
from .admission import Admission


class LocalEngine:
    """An Engine in this process, warmed up on construction."""

    def __init__(self, settings: Settings, on_build=lambda kind: None):
        from .engine import Engine  # Keras: imported only where the engine runs in this process
        self.engine = Engine(settings, on_build)
        self.admission = Admission(settings.request_deadline_ms,
                                   settings.hard_timeout_s if settings.watchdog else None)
        self.engine.warm_up()

    def answer(self, operation_id: str, request: BaseModel) -> bytes:
        """The engine's answer, once it is this request's turn (else 503 with Retry-After)."""
        with self.admission.turn():
            return self.engine.answer(operation_id, request)

    def ready(self) -> bool:
        return True
