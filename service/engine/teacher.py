"""The engine's side of refusals that teach: advice for what the adapter saw, and candidate fixes checked by
planning the patched request before one is offered (service/teaching.py says what a refusal means)."""
from typing import Any, Callable, Optional

from pydantic import BaseModel

from ..errors import ServiceError
from ..shape_advice import shape_advice
from ..teaching import Advice, Misnamed, Received, misnamed_advice, offer, shape_text
from ..teaching import teach as teach_item
from .spec_forms import canonical_spec


def _advice(error: ServiceError, request: Any, document: Any) -> Optional[Advice]:
    """What the raiser knew, or what the adapter saw read as advice."""
    if error.advice is not None:
        return error.advice
    if isinstance(error.cause, Misnamed):
        return misnamed_advice(error.cause)
    if isinstance(error.cause, Received):
        try:
            spec = canonical_spec(request.model)
        except ServiceError:
            return None
        return shape_advice(error.cause, spec, document)
    return None


def teach(error: ServiceError, request: BaseModel, plans: Callable[[BaseModel], bool]) -> None:
    """Give the refusal's first item its expected, got and hint, and the first candidate fix that plans."""
    if not error.errors or (error.advice is None and error.cause is None):
        return  # nothing to teach from (a limit, a name given twice, ...): no copy of the request is made
    document = request.model_dump(mode="json", exclude_unset=True)
    advice = _advice(error, request, document)
    if advice is None:
        return
    teach_item(error.errors[0], advice)
    offer(error.errors[0], advice.candidates, document, type(request).model_validate, plans)


def input_advice(array: Any, known: tuple, named: bool) -> Advice:
    """Inputs that do not fit the model's input: a missing batch axis, or examples of another shape."""
    given = tuple(array.shape)
    advice = Advice(expected=shape_text(("batch",) + tuple(known)), got=shape_text(given), hint=(
        f"Each example must have shape {shape_text(known)} but yours have {shape_text(given[1:])}: change the "
        "arrays, or the model's input shape."))
    if not named and len(given) == len(known) and all(k is None or k == g for k, g in zip(known, given)):
        advice.candidates.append(("inputs are batch first: this array is one example, so send it as a batch of "
                                  "one, [inputs].", [{"op": "replace", "path": "/inputs", "value": [array.tolist()]}]))
    return advice
