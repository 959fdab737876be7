"""Where requests are answered: the executor processes (client.py, the HTTP workers' side; supervisor.py, in
gunicorn's master; process.py, the manager and the executors where Keras runs; wire.py, what passes between
them), or an engine in this process (local.py)."""

from typing import Optional

from pydantic import BaseModel

from keras_shape_service.errors import ServiceError
from keras_shape_service.schemas.inference import RepositoryIndex


class Answerer:
    """What the HTTP layer asks of whichever answers its requests."""

    def answer(self, operation_id: str, request: BaseModel, client: str = "") -> bytes:
        """The answer's bytes, or the ServiceError refusing the request; `client` (its address, http/clients.py) is
        whom to slow down should its requests keep stopping executors (pool.py)."""
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def repository(self) -> Optional[RepositoryIndex]:
        raise NotImplementedError

    def plans(self, request: BaseModel) -> bool:
        """Whether the request's model plans as its operation would plan it, allocating no weights (a candidate
        fix of a refused body is checked so)."""
        try:
            self.answer("check", request)
        except ServiceError:
            return False
        return True
