"""Advice on a refused model: what the adapter or the engine saw (the refusal's cause) read as advice, and
candidate fixes checked by planning the patched request before one is offered (hints.py says how)."""

import functools
from typing import Any, Callable, Optional

from pydantic import BaseModel

from keras_shape_service.errors import (
    InputsMisfit,
    Misnamed,
    NotIndices,
    Received,
    ServiceError,
)
from keras_shape_service.facts import shape_text
from keras_shape_service.specs.forms import canonical_spec

from .hints import Advice, misnamed_advice, offer, teach
from .shapes import shape_advice


def _advice(error: ServiceError, request: Any, document: Callable[[], Any]) -> Optional[Advice]:
    """The refusal's cause read as advice, or None where it has none."""
    cause = error.cause
    if isinstance(cause, Misnamed):
        return misnamed_advice(cause)
    if isinstance(cause, Received):
        try:
            spec = canonical_spec(request.model)
        except ServiceError:
            return None
        return shape_advice(cause, spec, document())
    if isinstance(cause, InputsMisfit):
        return misfit_advice(cause)
    if isinstance(cause, NotIndices):
        return indices_advice(cause)
    return None


def advise_model(error: ServiceError, request: BaseModel, plans: Optional[Callable[[BaseModel], bool]]) -> None:
    """Give the refusal's first item its expected, got and hint, and (given `plans`) the first candidate fix
    that plans."""
    if not error.errors or error.cause is None:
        return  # nothing to teach from (a limit, a name given twice, ...): no copy of the request is made
    # The request as JSON, made only where the advice reads it or a candidate patches it (a copy of every number
    # the client sent: seconds for megabytes of inputs).
    document = functools.cache(lambda: request.model_dump(mode="json", exclude_unset=True))
    advice = _advice(error, request, document)
    if advice is None:
        return
    teach(error.errors[0], advice)
    if plans is not None and advice.candidates:
        offer(error.errors[0], advice.candidates, document(), type(request).model_validate, plans)


def misfit_advice(cause: InputsMisfit) -> Advice:
    """Inputs that do not fit the model's input: a missing batch axis, or examples of another shape."""
    advice = Advice(
        expected=shape_text(("batch",) + cause.known),
        got=shape_text(cause.given),
        hint=(
            f"Each example must have shape {shape_text(cause.known)} but yours have {shape_text(cause.given[1:])}: "
            "change the arrays, or the model's input shape."
        ),
    )
    batch_of_one = "inputs are batch first: this array is one example, so send it as a batch of one, [inputs]."
    if cause.as_batch is not None:
        advice.candidates.append((batch_of_one, [{"op": "replace", "path": "/inputs", "value": cause.as_batch}]))
    elif cause.one_example:  # too large to send back as a fix: the hint alone
        advice.hint = batch_of_one
    return advice


def indices_advice(cause: NotIndices) -> Advice:
    """What an Embedding reads: one whole number per position, a row index of its table."""
    last = cause.input_dim - 1
    return Advice(
        expected=f"{shape_text(cause.shape)} of whole numbers from 0 to {last}",
        hint=(
            f"{cause.class_name} '{cause.layer}' looks up a row of its table for each number, so send indices (token "
            f"ids) from 0 to {last}, not measurements or one-hot vectors."
        ),
    )
