"""A typed client of the HTTP service, for notebooks, scripts and other projects' tests:

    from keras_shape_service.client import Client
    answer = Client("http://127.0.0.1:8000").predict({"code": open("model.py").read()})
    answer.output_shape, answer.params.total

Requests may be the pydantic request models of keras_shape_service.schemas or plain dicts (sent as they are:
the service validates them); answers are the response models. A refusal raises ServiceRefusal with the
problem+json the service answered.
"""

import time
from typing import Any, Optional, TypeVar, Union

import requests
from pydantic import BaseModel, ValidationError

from keras_shape_service.schemas import (
    CompareRequest,
    CompareResponse,
    Health,
    PredictRequest,
    PredictResponse,
    Problem,
    ProblemItem,
    SummaryRequest,
    SummaryResponse,
)

Answer = TypeVar("Answer", bound=BaseModel)
Body = Union[BaseModel, dict[str, Any]]


class ServiceRefusal(Exception):
    """The service answered a problem (RFC 9457): `status`, `title`, `detail`, and `errors`, each with its
    `loc`, `msg` and, where the service can tell, `hint` and `fix` (a JSON Patch against the body sent)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(self._text())

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def title(self) -> str:
        return self.problem.title

    @property
    def detail(self) -> str:
        return self.problem.detail

    @property
    def errors(self) -> list[ProblemItem]:
        return self.problem.errors or []

    def _text(self) -> str:
        lines = [f"{self.status} {self.title}: {self.detail}"]
        for item in self.errors:
            lines.append(f"at {item.loc}: {item.msg}" + (f" (hint: {item.hint})" if item.hint else ""))
        return "\n".join(lines)


def _problem(response: requests.Response) -> Problem:
    """The answer's problem; one made of the status and text where the answer is none (a proxy's 502 page)."""
    try:
        return Problem.model_validate_json(response.content)
    except ValidationError:
        text = response.text.strip()[:500] or response.reason or ""
        return Problem(title=response.reason or "Error", status=response.status_code, detail=text)


class Client:
    """One method per operation of the API. `retries`: how many times a 503 (overloaded, or not ready yet) is
    tried again, each after its Retry-After (at most `max_retry_after_s`)."""

    def __init__(
        self,
        base_url: str,
        timeout: float = 60,
        retries: int = 3,
        max_retry_after_s: float = 10,
        session: Optional[requests.Session] = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.max_retry_after_s = max_retry_after_s
        self.session = session or requests.Session()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"

    def predict(self, body: Union[PredictRequest, dict[str, Any]]) -> PredictResponse:
        """Build the model and predict: the predictions, their shape, and every layer's shapes and params."""
        return self._post("/v1/predict", body, PredictResponse)

    def summary(self, body: Union[SummaryRequest, dict[str, Any]]) -> SummaryResponse:
        """Every layer's shapes, params and why, and Keras's summary, without allocating weights."""
        return self._post("/v1/summary", body, SummaryResponse)

    def diagram(self, body: Union[SummaryRequest, dict[str, Any]]) -> str:
        """The model drawn as SVG text."""
        return self._request("POST", "/v1/diagram", body).text

    def compare(self, body: Union[CompareRequest, dict[str, Any]]) -> CompareResponse:
        """Two models' answers and where they part; the body is {"a": ..., "b": ...}."""
        return self._post("/v1/compare", body, CompareResponse)

    def health(self) -> Health:
        """/healthz: the process answers."""
        return Health.model_validate_json(self._request("GET", "/healthz").content)

    def ready(self) -> Health:
        """/readyz: the service can answer (a ServiceRefusal with status 503 while it warms up, after the
        retries)."""
        return Health.model_validate_json(self._request("GET", "/readyz").content)

    def _post(self, path: str, body: Body, answer: type[Answer]) -> Answer:
        return answer.model_validate_json(self._request("POST", path, body).content)

    def _request(self, method: str, path: str, body: Optional[Body] = None) -> requests.Response:
        if isinstance(body, BaseModel):  # the fields given, as JSON: what the service validates it from
            body = body.model_dump(mode="json", exclude_unset=True)
        for attempt in range(self.retries + 1):
            response = self.session.request(method, self.base_url + path, json=body, timeout=self.timeout)
            if response.status_code != 503 or attempt == self.retries:
                break
            time.sleep(self._retry_after(response))
        if response.status_code >= 400:
            raise ServiceRefusal(_problem(response))
        return response

    def _retry_after(self, response: requests.Response) -> float:
        """Retry-After in seconds (the service sends seconds; an HTTP date from a proxy waits a second)."""
        try:
            seconds = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            seconds = 1
        return min(max(seconds, 0), self.max_retry_after_s)
