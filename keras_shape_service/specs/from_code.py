"""A request that carries pasted code, turned into the request of a spec that the rest of the engine answers.

The code is read (code_reader.py: parsed, never run) where Keras is loaded, since reading `Dense(16)` needs the
layer's positional parameters, which only Keras knows. What it reads is validated as if the client had sent it
as `model`, so a spec read from code meets every check a spec sent as JSON meets.
"""

from typing import Any, Callable, Sequence, TypeVar

from pydantic import ValidationError

from keras_shape_service.errors import InvalidInputs, InvalidRequest
from keras_shape_service.schemas import PredictRequest, SummaryRequest
from keras_shape_service.schemas.keras_names import ALLOWED_LAYER_TYPES

from .code.reader import read_code

Request = TypeVar("Request", SummaryRequest, PredictRequest)


def spec_request(request: Request, positional_arguments: Callable[[str], Sequence[str]]) -> tuple[Request, dict]:
    """The request with `model` read from its code (and, for a prediction without inputs, the array the code
    predicts on), and the spec read; a CodeRejected names the line and column the reader stopped at."""
    read = read_code(request.code, positional_arguments, known_layers=ALLOWED_LAYER_TYPES)
    fields: dict[str, Any] = {"model": read.model}
    fields.update(request.model_dump(include={"expand_nested", "show_trainable", "memory_budget"}, exclude_none=True))
    if isinstance(request, PredictRequest):
        fields.update(request.model_dump(include={"seed", "weights"}, exclude_none=True))
        fields["inputs"] = request.inputs if request.inputs is not None else read.inputs
        if fields["inputs"] is None:
            raise InvalidInputs(
                "the code passes no array to predict(): give inputs", loc=["inputs"], error_type="missing"
            )
    try:
        return type(request).model_validate(fields), read.model
    except ValidationError as error:
        raise InvalidRequest(error, fields, preface="the code reads as a model the service refuses") from None
