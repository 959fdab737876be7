"""The service's refusals: each carries its HTTP status and title, and becomes one RFC 9457 problem.

Every layer raises these; only service/http/problems.py turns them into HTTP answers. They know nothing of
Flask, so the engine and the executors raise the same errors the HTTP layer answers.
"""
import json
from typing import Any, Callable, Optional

from pydantic import ValidationError

from schemas import Problem, ProblemItem

from .teaching import Advice, offer, teach
from .typos import schema_advice


class ServiceError(Exception):
    """A refusal with its HTTP status and title; `errors` locates it in the request body."""

    status = 422
    title = "Unprocessable request"

    def __init__(self, detail: str, loc: Optional[list[Any]] = None, error_type: str = "invalid",
                 advice: Optional[Advice] = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = [ProblemItem(loc=loc, msg=detail, type=error_type)] if loc is not None else None
        self.extra = extra
        self.headers: Optional[dict[str, str]] = None
        self.cause: Any = None  # what the adapter saw, for the engine to teach from (service/teaching.py)
        self.advice = advice  # or what the raiser already knows to teach

    @property
    def reason(self) -> str:
        """The label metrics count this refusal under: its class."""
        return type(self).__name__

    def problem(self) -> Problem:
        return Problem(title=self.title, status=self.status, detail=self.detail, errors=self.errors, **self.extra)


class InvalidRequest(ServiceError):
    """The body does not match the request's schema; every error is listed with its JSON location."""

    title = "Invalid request"

    def __init__(self, error: ValidationError, document: Any = None):
        self.document, self.candidates = document, []
        items = [self._item(e, document) for e in error.errors(include_url=False, include_input=False)]
        first = items[0]
        super().__init__(f"{len(items)} invalid field(s); first at {json.dumps(first.loc)}: {first.msg}")
        self.errors = items

    def _item(self, error: dict[str, Any], document: Any) -> ProblemItem:
        """One pydantic error at its JSON location, with a hint (and candidate fixes) where one helps."""
        loc = _json_loc(error["loc"], error.get("ctx"), document, error["type"] == "missing")
        item = ProblemItem(loc=loc, msg=error["msg"], type=error["type"])
        replaced, advice = schema_advice(error, loc, document)
        if replaced is not None:
            item = ProblemItem(**replaced)
        if advice is not None:
            teach(item, advice)
            self.candidates.append((item, advice.candidates))
        return item

    def offer_fixes(self, validate: Callable[[Any], Any], plans: Callable[[Any], bool]) -> None:
        """Offer a checked fix where the body has one error: a fix of one of several leaves the body invalid."""
        if len(self.errors) == 1:
            for item, candidates in self.candidates:
                offer(item, candidates, self.document, validate, plans)

    @property
    def reason(self) -> str:
        return "ValidationError"


def _json_loc(loc: tuple, ctx: Optional[dict], document: Any, missing: bool = False) -> list[Any]:
    """A pydantic location as the client's JSON path: the parts that step into the body, and the inner path
    of an array error. Union members name themselves in pydantic's locations ("constrained-int", "str",
    our "<Dense>" tags, inputs' "dict[...]"); they are no step into the body, so they are dropped: a key the
    body lacks is one only as the last part of a missing field's location."""
    path, node = [], document
    for index, part in enumerate(loc):
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif not (missing and index == len(loc) - 1 and isinstance(node, dict) and isinstance(part, str)):
            continue  # a union member's name, or a step into a value that is no container
        else:
            node = None  # the missing field
        path.append(part)
    return path + list((ctx or {}).get("path", []))


class ModelRejected(ServiceError):
    """Keras refused to build or run the model; detail carries Keras's own message."""

    title = "Keras rejected the model"


class ModelNotFound(ServiceError):
    """No model of that name in the model repository (or its file was refused)."""

    status = 404
    title = "Not Found"


class RefusedObject(ServiceError):
    """A config names something outside Keras's built-in layers and their parts."""

    title = "Refused: not a built-in Keras object"


class InvalidInputs(ServiceError):
    """The inputs do not fit the model."""

    title = "Inputs do not fit the model"


class LimitExceeded(ServiceError):
    """A request asks for more than a configured bound."""

    title = "Request exceeds a limit"

    def __init__(self, limit: str, limit_value: float, request_value: float, what: str, status: int = 422):
        super().__init__(f"{what} is {request_value:,}, over the limit {limit}={limit_value:,}",
                         error_type="limit", limit=limit, limit_value=limit_value, request_value=request_value)
        self.status = status


class BudgetExceeded(ServiceError):
    """A request used more time or memory than its budget; the operating system stopped it."""

    title = "Request exceeds a budget"

    def __init__(self, detail: str, budget: str, budget_value: float, used: Optional[float], running: str):
        super().__init__(detail, error_type="budget", limit=budget, limit_value=budget_value, request_value=used,
                         running=running)

    @classmethod
    def compute(cls, budget_s: float, used_s: float, running: str) -> "BudgetExceeded":
        return cls(f"this request kept its executor busy for {used_s:.1f} s while {running}, over its compute "
                   f"budget compute_budget_s={budget_s:g}; the executor was stopped and replaced",
                   "compute_budget_s", budget_s, round(used_s, 3), running)

    @classmethod
    def memory(cls, budget_mb: int, running: str) -> "BudgetExceeded":
        return cls(f"this request needed more memory than its budget memory_budget_mb={budget_mb} while "
                   f"{running}; the executor was replaced", "memory_budget_mb", budget_mb, None, running)


class ExecutorLost(ServiceError):
    """The executor running a request ended without answering (a crash in Keras or TensorFlow)."""

    status = 500
    title = "Internal Server Error"


class Relayed(ServiceError):
    """A refusal made in another process (an executor), answered as it was made there."""

    def __init__(self, problem: Problem, reason: str, headers: Optional[dict[str, str]]):
        super().__init__(problem.detail)
        self._problem, self._reason, self.headers = problem, reason, headers
        self.status, self.title = problem.status, problem.title

    @property
    def reason(self) -> str:
        return self._reason

    def problem(self) -> Problem:
        return self._problem


class BodyTimeout(ServiceError):
    """The client did not send its whole body in time."""

    status = 408
    title = "Request Timeout"


class MalformedBody(ServiceError):
    """The body is not the JSON this endpoint reads."""

    status = 400
    title = "Malformed request body"


class Overloaded(ServiceError):
    """No capacity to run the request within its deadline."""

    status = 503
    title = "Service overloaded"

    def __init__(self, detail: str, retry_after_s: int = 1):
        super().__init__(f"{detail}; retry in {retry_after_s} s", error_type="overloaded")
        self.headers = {"Retry-After": str(retry_after_s)}
