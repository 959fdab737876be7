"""The transport-free core: a validated request in, a typed answer out."""
from typing import Optional

from schemas import PredictRequest, PredictResponse, SummaryRequest, SummaryResponse

from . import keras_core, limits, observability, ready_model, safety
from .canonical import CanonicalSpec, canonical_spec
from .errors import InvalidInputs, ModelRejected
from .model_cache import LruCache, spec_key
from .settings import Settings


class Answers:
    """Answers for one worker, with its caches of built models and of shape-only reports."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.models: LruCache[ready_model.ReadyModel] = LruCache(
            settings.model_cache_entries, settings.model_cache_bytes, lambda ready: ready.weight_bytes)
        # Reports hold no weights: a few kB of text each, bounded by count alone.
        self.reports: LruCache[keras_core.ModelReport] = LruCache(
            settings.model_cache_entries, settings.model_cache_bytes, lambda report: 0)

    def _spec(self, request: SummaryRequest) -> CanonicalSpec:
        spec = canonical_spec(request.model)
        limits.check_layer_count(len(spec.layers), self.settings)
        safety.check_spec(spec)
        return spec

    def summarize(self, request: SummaryRequest) -> SummaryResponse:
        """Shapes, params and summary of a model, with no weights allocated."""
        spec = self._spec(request)
        input_shape = _input_shape(spec, None)
        key = spec_key(spec, input_shape, seed=None)
        report = self.reports.get(key)
        if report is None:
            report = keras_core.plan(spec, input_shape, 0, self.settings.max_activation_elements).report
            observability.count_build("summary")
            limits.check_params(report, "max_summary_params", self.settings)
            self.reports.put(key, report)
        return SummaryResponse(layers=report.layers, params=report.params, summary=report.summary)

    def _ready_model(self, spec: CanonicalSpec, input_shape: tuple[int, ...], seed: int,
                     batch: int) -> ready_model.ReadyModel:
        """The built model from the cache, or planned, checked against the limits and built now."""
        key = spec_key(spec, input_shape, seed)
        ready = self.models.get(key)
        if ready is None:
            planned = keras_core.plan(spec, input_shape, seed, self.settings.max_activation_elements // batch)
            observability.count_build("predict")
            limits.check_params(planned.report, "max_params", self.settings)
        # For a cached model too: the same model with another batch size may be too large.
        report = ready.report if ready is not None else planned.report
        limits.check_activations(report, batch, self.settings)
        limits.check_work(report, spec, batch, self.settings)
        if ready is None:
            ready = ready_model.materialize(planned)
            self.models.put(key, ready)
        return ready

    def predict(self, request: PredictRequest) -> PredictResponse:
        """Build (or reuse) the model, check it fits the limits, run the inputs through it."""
        spec = self._spec(request)
        inputs_shape = _inputs_shape(request.inputs)
        limits.check_inputs(inputs_shape, self.settings)
        if len(inputs_shape) < 2:
            raise InvalidInputs("inputs must be batch first: an array of examples, each at least a vector",
                                loc=["inputs"], error_type="input_shape")
        input_shape = _input_shape(spec, inputs_shape)
        array = ready_model.input_array(spec, input_shape, request.inputs)
        ready = self._ready_model(spec, input_shape, request.seed, inputs_shape[0])
        result = ready.predict(array)
        report = ready.report
        return PredictResponse(output_shape=list(result.shape), predictions=result.tolist(), layers=report.layers,
                               params=report.params, summary=report.summary)


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
