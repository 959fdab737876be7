"""The transport-free answers: a validated request in, the answer's JSON bytes out.

One Engine holds one process's Keras state and its caches; it runs wherever Keras may run (an executor
process under gunicorn, or the test process). It knows nothing of HTTP.
"""
from typing import Callable, Optional

from pydantic import BaseModel

from schemas import PredictRequest, PredictResponse, SummaryRequest, SummaryResponse
from schemas.examples import SEED_PREDICT
from schemas.spec import MAX_AXIS

from .. import adapter
from ..canonical import CanonicalSpec
from ..errors import InvalidInputs, ModelRejected
from ..guards import limits, safety
from ..metrics import count_build
from ..settings import Settings
from .caches import LruCache, spec_key
from .spec_forms import canonical_spec


class Engine:
    """Answers for one process, with its caches of built models and of shape-only summaries."""

    def __init__(self, settings: Settings, phase: Callable[[str], None] = lambda text: None):
        self.settings = settings
        self.phase = phase  # told what the engine is doing now, for a refusal should a budget run out
        self.models: LruCache[adapter.ReadyModel] = LruCache(
            settings.model_cache_entries, settings.model_cache_bytes, lambda ready: ready.weight_bytes)
        # Summaries hold no weights: a few kB of text each, bounded by count alone.
        self.summaries: LruCache[SummaryResponse] = LruCache(
            settings.model_cache_entries, settings.model_cache_bytes, lambda summary: 0)
        adapter.configure_tensorflow(intra_op=settings.tf_threads, inter_op=1)
        self._operations: dict[str, Callable[[BaseModel], BaseModel]] = {
            "predict": self.predict, "summary": self.summarize}

    def answer(self, operation_id: str, request: BaseModel) -> bytes:
        """The JSON answer of one operation, or a ServiceError."""
        return self._operations[operation_id](request).model_dump_json().encode()

    def warm_up(self) -> None:
        """Build and run the seed model once, outside the limits and caches (the limits are the clients'),
        so that TensorFlow's kernels are loaded before the first client."""
        request = PredictRequest.model_validate(SEED_PREDICT)
        spec = canonical_spec(request.model)
        input_shape = _model_input_shape(spec, request.inputs_shape)
        ready = adapter.materialize(adapter.plan(spec, input_shape, request.seed, max_build_elements=2**31))
        ready.predict(adapter.input_array(spec, input_shape, request.inputs))

    def _spec(self, request: SummaryRequest) -> CanonicalSpec:
        spec = canonical_spec(request.model)
        limits.check_layer_count(len(spec.layers), self.settings)
        safety.check_spec(spec)
        return spec

    def summarize(self, request: SummaryRequest) -> SummaryResponse:
        """Shapes, params and summary of a model, with no weights allocated."""
        spec = self._spec(request)
        input_shape = _model_input_shape(spec, None)
        key = spec_key(spec, input_shape, seed=None)
        summary = self.summaries.get(key)
        if summary is None:
            self.phase(f"planning the shapes of {_model_name(spec)}")
            summary = adapter.plan(spec, input_shape, 0, self.settings.max_activation_elements).report
            count_build("summary")
            limits.check_params(summary.params.total, "max_summary_params", self.settings)
            self.summaries.put(key, summary)
        return summary

    def _ready_model(self, spec: CanonicalSpec, input_shape: tuple[int, ...], seed: int,
                     batch: int) -> adapter.ReadyModel:
        """The built model from the cache, or planned, checked against the limits and built now."""
        key = spec_key(spec, input_shape, seed)
        ready = self.models.get(key)
        if ready is None:
            self.phase(f"planning the shapes of {_model_name(spec)}")
            planned = adapter.plan(spec, input_shape, seed, self.settings.max_activation_elements // batch)
            count_build("predict")
            limits.check_params(planned.report.params.total, "max_params", self.settings)
        # For a cached model too: the same model with another batch size may be too large.
        facts = ready.facts if ready is not None else planned.facts
        limits.check_activations(facts, batch, self.settings)
        limits.check_work(facts, batch, self.settings)
        if ready is None:
            self.phase(f"allocating and initializing the weights of {_model_name(spec)}")
            ready = adapter.materialize(planned)
            self.models.put(key, ready)
        return ready

    def predict(self, request: PredictRequest) -> PredictResponse:
        """Build (or reuse) the model, check it fits the limits, run the inputs through it."""
        spec = self._spec(request)
        inputs_shape = request.inputs_shape
        limits.check_inputs(inputs_shape, self.settings)
        if len(inputs_shape) < 2:
            raise InvalidInputs("inputs must be batch first: an array of examples, each at least a vector",
                                loc=["inputs"], error_type="input_shape")
        input_shape = _model_input_shape(spec, inputs_shape)
        array = adapter.input_array(spec, input_shape, request.inputs)
        ready = self._ready_model(spec, input_shape, request.seed, inputs_shape[0])
        self.phase(f"predicting with {_model_name(spec)} on inputs of shape {list(inputs_shape)}")
        result = ready.predict(array)
        return PredictResponse(output_shape=list(result.shape), predictions=result.tolist(), **dict(ready.report))


def _model_name(spec: CanonicalSpec) -> str:
    return f"the model '{spec.name or 'sequential'}' ({len(spec.layers)} layers)"


def _model_input_shape(spec: CanonicalSpec, inputs_shape: Optional[tuple[int, ...]]) -> tuple[int, ...]:
    """model.input_shape, else the first layer's hint, else the inputs' shape without the batch axis."""
    shape = spec.input_shape if spec.input_shape is not None else (inputs_shape[1:] if inputs_shape else None)
    if shape is None:
        raise ModelRejected("the model's input shape is unknown: give model.input_shape or the first layer's "
                            "input_shape", loc=["model", "input_shape"], error_type="input_shape")
    if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and 0 < d <= MAX_AXIS for d in shape):
        raise ModelRejected(f"every input axis must be a whole number from 1 to {MAX_AXIS:,}, got {list(shape)}"[:300],
                            loc=["model", "input_shape"], error_type="input_shape")
    return tuple(shape)
