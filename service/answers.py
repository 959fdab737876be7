"""The transport-free core: a validated request in, a typed answer out."""
from typing import Optional

from schemas import PredictRequest, PredictResponse, SummaryRequest, SummaryResponse

from . import keras_core, limits, safety
from .canonical import CanonicalSpec, canonical_spec
from .errors import InvalidInputs, ModelRejected
from .settings import Settings


def _input_shape(spec: CanonicalSpec, inputs_shape: Optional[tuple[int, ...]]) -> tuple[int, ...]:
    """model.input_shape, else the first layer's hint, else the inputs' shape without the batch axis."""
    shape = spec.input_shape if spec.input_shape is not None else (inputs_shape[1:] if inputs_shape else None)
    if shape is None:
        raise ModelRejected("the model's input shape is unknown: give model.input_shape or the first layer's "
                            "input_shape", loc=["model", "input_shape"], error_type="input_shape")
    if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
        raise ModelRejected(f"every input axis must be a positive integer, got {list(shape)}",
                            loc=["model", "input_shape"], error_type="input_shape")
    return tuple(shape)


def _inputs_shape(inputs: list) -> tuple[int, ...]:
    """Shape of a nested list already checked rectangular by the schema."""
    shape, node = [], inputs
    while isinstance(node, list):
        shape.append(len(node))
        node = node[0]
    return tuple(shape)


def summarize(request: SummaryRequest, settings: Settings) -> SummaryResponse:
    """Shapes, params and summary of a model, with no weights allocated."""
    spec = canonical_spec(request.model)
    limits.check_layer_count(len(spec.layers), settings)
    safety.check_spec(spec)
    planned = keras_core.plan(spec, _input_shape(spec, None), seed=0)
    limits.check_params(planned.report, "max_summary_params", settings)
    report = planned.report
    return SummaryResponse(layers=report.layers, params=report.params, summary=report.summary)


def predict(request: PredictRequest, settings: Settings) -> PredictResponse:
    """Build the model, check it fits the limits, run the inputs through it."""
    spec = canonical_spec(request.model)
    limits.check_layer_count(len(spec.layers), settings)
    safety.check_spec(spec)
    inputs_shape = _inputs_shape(request.inputs)
    limits.check_inputs(inputs_shape, settings)
    if len(inputs_shape) < 2:
        raise InvalidInputs("inputs must be batch first: an array of examples, each at least a vector",
                            loc=["inputs"], error_type="input_shape")
    planned = keras_core.plan(spec, _input_shape(spec, inputs_shape), request.seed)
    limits.check_params(planned.report, "max_params", settings)
    limits.check_activations(planned.report, inputs_shape[0], settings)
    limits.check_work(planned.report, inputs_shape[0], settings)
    array = keras_core.input_array(planned, request.inputs)
    model = keras_core.materialize(planned)
    result = keras_core.predict(model, array)
    report = planned.report
    return PredictResponse(output_shape=list(result.shape), predictions=result.tolist(), layers=report.layers,
                           params=report.params, summary=report.summary)
