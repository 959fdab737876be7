"""The service's refusals, as plain data: each carries its HTTP status and title, where in the request it is,
and what was seen (its `cause`), and becomes one RFC 9457 problem.

Every layer raises these; only keras_shape_service/http/problems.py turns them into HTTP answers, and only
keras_shape_service/advice reads a cause as advice (one step, after the refusal). They know nothing of Flask,
so the engine and the executors raise the same errors the HTTP layer answers.
"""

import json
from dataclasses import dataclass, field
from typing import Any, Optional, Self

from pydantic import ValidationError

from .schemas import Problem, ProblemItem
from .schemas.base import MAX_LISTED_ERRORS as MAX_LISTED_ERRORS  # kept there for the validators that bound it


@dataclass(frozen=True)
class Received:
    """A layer that refused its input: its name and class, the shape it got, the rank its input spec asks."""

    layer: str
    class_name: str
    got: tuple[Optional[int], ...]
    rank: Optional[int]  # the rank it reads (exactly, or at least where `exact` is false); None if it says none
    exact: bool
    message: str


@dataclass(frozen=True)
class Misnamed:
    """A name Keras does not know where it takes one of `choices`: an argument, or a value (an activation...)."""

    what: str  # "argument", "activation", "initializer", ..., or "required" (`name` missing, `choices` unknown)
    name: str
    key: str  # the config key: the unknown argument itself, or the one holding the unknown value
    value: Any
    class_name: str
    config_loc: tuple[Any, ...]
    choices: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)  # for "required": the unknown keys' values


@dataclass(frozen=True)
class InputsMisfit:
    """An input array whose examples do not have the shape the model's input takes."""

    given: tuple[int, ...]  # the array's shape, batch first
    known: tuple[Optional[int], ...]  # the model input's shape, without the batch axis
    named: bool  # the array was given by the input's name
    as_batch: Any = None  # the array as a batch of one (a list), where the array looks like one example
    one_example: bool = False  # the array looks like one example (as_batch is left out past AS_BATCH_NUMBERS)


# The fix offered for one example sent without its batch axis carries the whole array again: past this many numbers
# the hint says it without the fix (a 1,000,000-number array answered a 4 MB refusal in 0.8 s of the HTTP worker).
AS_BATCH_NUMBERS = 10_000


@dataclass(frozen=True)
class NotIndices:
    """An input that feeds a lookup table (an Embedding) but holds no whole numbers within the table."""

    class_name: str
    layer: str
    input_dim: int
    shape: tuple[Optional[int], ...]


class ServiceError(Exception):
    """A refusal with its HTTP status and title; `errors` locates it in the request body; `cause` is what was
    seen, for the advice to read (a Received, a Misnamed, ...), or None."""

    status = 422
    title = "Unprocessable request"

    def __init__(
        self, detail: str, loc: Optional[list[Any]] = None, error_type: str = "invalid", cause: Any = None, **extra: Any
    ):
        super().__init__(detail)
        self.detail = detail
        self.errors = [ProblemItem(loc=loc, msg=detail, type=error_type)] if loc is not None else None
        self.extra = extra
        self.headers: Optional[dict[str, str]] = None
        self.cause = cause

    @property
    def reason(self) -> str:
        """The label metrics count this refusal under: its class."""
        return type(self).__name__

    def problem(self) -> Problem:
        return Problem(title=self.title, status=self.status, detail=self.detail, errors=self.errors, **self.extra)

    def within(self, part: str) -> Self:
        """The same refusal made of one part of a larger request (a side of a comparison): located under `part`."""
        # Not copy.copy: it calls __init__ again with the args alone, which subclasses' own arguments break.
        located = Exception.__new__(type(self))
        located.__dict__.update(self.__dict__)
        located.detail = f"{part}: {self.detail}"
        located.errors = [
            item.model_copy(update={"loc": [part, *item.loc], "msg": f"{part}: {item.msg}"})
            for item in self.errors or []
        ] or None
        located.args = (located.detail,)
        return located


class InvalidRequest(ServiceError):
    """The body does not match the request's schema; its errors are listed with their JSON locations (the
    first MAX_LISTED_ERRORS of them), and `raw` keeps pydantic's own, for the advice. `unlisted` counts the
    errors validation met but kept out of `error` (schemas/base.py bounded_errors), so that `count` is true."""

    title = "Invalid request"

    def __init__(self, error: ValidationError, document: Any = None, preface: str = "", unlisted: int = 0):
        self.document = document
        self.count = error.error_count() + unlisted
        # Called once: it makes a dict of every error pydantic kept (bounded by the validators, see above).
        self.raw = error.errors(include_url=False, include_input=False)[:MAX_LISTED_ERRORS]
        items = [
            ProblemItem(
                loc=_json_loc(e["loc"], e.get("ctx"), document, e["type"] == "missing"), msg=e["msg"], type=e["type"]
            )
            for e in self.raw
        ]
        listed = "" if self.count <= len(items) else f" (the first {len(items)} are listed)"
        detail = f"{self.count} invalid field(s){listed}; {_first_at(items[0])}"
        super().__init__(f"{preface}: {detail}" if preface else detail)
        self.errors = items

    def replace_item(self, index: int, item: ProblemItem) -> None:
        """An item the advice rewrote (a misspelled argument named where it is, not as the one it stands for,
        missing): the detail names the first item, so it must name the new one."""
        assert self.errors is not None
        old, self.errors[index] = self.errors[index], item
        if index == 0:
            self.detail = self.detail.replace(_first_at(old), _first_at(item))
            self.args = (self.detail,)

    def within(self, part: str) -> Self:
        located = super().within(part)
        # Advice looks the located errors up in the document: it must be located alike.
        located.document = {part: self.document}
        return located

    @property
    def reason(self) -> str:
        return "ValidationError"


def _first_at(item: ProblemItem) -> str:
    return f"first at {json.dumps(item.loc)}: {item.msg}"


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


class RefusedFile(ServiceError):
    """An uploaded model file that is not as Keras writes it, or reaches outside itself (links, external
    storage, members out of the archive), or whose weights do not fit its config."""

    title = "Model file refused"

    def __init__(self, detail: str, error_type: str = "model_file"):
        super().__init__(detail[:600], loc=["model"], error_type=error_type)


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

    def __init__(
        self,
        limit: str,
        limit_value: float,
        request_value: float,
        what: str,
        status: int = 422,
        loc: Optional[list[Any]] = None,
        then: str = "",
    ):
        super().__init__(
            f"{what} is {request_value:,}, over the limit {limit}={limit_value:,}" + (f"; {then}" if then else ""),
            loc=loc,
            error_type="limit",
            limit=limit,
            limit_value=limit_value,
            request_value=request_value,
        )
        self.status = status


class BudgetExceeded(ServiceError):
    """A request used more time or memory than its budget; the operating system stopped it."""

    title = "Request exceeds a budget"

    def __init__(self, detail: str, budget: str, budget_value: float, used: Optional[float], running: str):
        super().__init__(
            detail, error_type="budget", limit=budget, limit_value=budget_value, request_value=used, running=running
        )

    @classmethod
    def compute(cls, budget_s: float, used_s: float, running: str) -> "BudgetExceeded":
        return cls(
            f"this request kept its executor busy for {used_s:.1f} s while {running}, over its compute "
            f"budget compute_budget_s={budget_s:g}; the executor was stopped and replaced",
            "compute_budget_s",
            budget_s,
            round(used_s, 3),
            running,
        )

    @classmethod
    def memory(cls, budget_mb: int, running: str) -> "BudgetExceeded":
        return cls(
            f"this request needed more memory than its budget memory_budget_mb={budget_mb} while "
            f"{running}; the executor was replaced",
            "memory_budget_mb",
            budget_mb,
            None,
            running,
        )


class StoppedBefore(BudgetExceeded):
    """A request that ran past a budget before, sent again: refused at once rather than stopping another
    executor (the operations are deterministic: it would run past the budget again)."""

    def __init__(self, budget: str, budget_value: float):
        super().__init__(
            f"this request (the same model and input shapes) was stopped before: it ran past its budget "
            f"{budget}={budget_value:g} and its executor was stopped, so it is refused without running again; send "
            "a smaller model, input or batch",
            budget,
            budget_value,
            None,
            "not run: stopped before",
        )


class TooManyKills(ServiceError):
    """A client whose requests ran past their budgets, stopping executors, too often lately."""

    status = 429
    title = "Too Many Requests"

    def __init__(self, kills: int, window_s: float, retry_after_s: int):
        super().__init__(
            f"{kills} of this client's requests ran past their budgets within {window_s:g} s, each stopping an "
            f"executor (max_kills_per_client={kills}); this client's requests are refused until the oldest ages "
            f"out: retry in {retry_after_s} s",
            error_type="rate",
            limit="max_kills_per_client",
            limit_value=kills,
        )
        self.headers = {"Retry-After": str(retry_after_s)}


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
