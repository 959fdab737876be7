"""The transport-free answers: a validated request in, the answer's JSON bytes out.

One Engine holds one process's Keras state and its caches; it runs wherever Keras may run (an executor
process under gunicorn, or the test process). It knows nothing of HTTP.
"""
from typing import Callable, Optional

import numpy as np
from pydantic import BaseModel

from schemas import (CompareRequest, CompareResponse, LayerRow, PredictRequest, PredictResponse, SummaryRequest,
                     SummaryResponse)
from schemas.examples import SEED_PREDICT
from schemas.keras_names import APPLICATION_LAYERS
from schemas.spec import MAX_AXIS

from .. import adapter
from ..canonical import CanonicalInput, CanonicalSpec
from ..errors import InvalidInputs, ModelRejected, ServiceError
from ..facts import walk
from ..guards import limits, safety
from ..metrics import count_build
from ..settings import Settings
from . import explain
from .caches import LruCache, spec_key
from .compare import differences
from .spec_forms import canonical_spec, with_request_weights

Arrays = dict[Optional[str], np.ndarray]  # by input name; None: the one array of a one-input model


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
        # A built model's explained rows, which do not depend on the batch (its cost does, and is cheap).
        self.rows: LruCache[list[LayerRow]] = LruCache(
            settings.model_cache_entries, settings.model_cache_bytes, lambda rows: 0)
        adapter.configure_tensorflow(intra_op=settings.tf_threads, inter_op=1)
        self._operations: dict[str, Callable[[BaseModel], BaseModel]] = {
            "predict": self.predict, "summary": self.summarize, "compare": self.compare}

    def answer(self, operation_id: str, request: BaseModel) -> bytes:
        """The JSON answer of one operation, or a ServiceError."""
        return self._operations[operation_id](request).model_dump_json(exclude_none=True).encode()

    def warm_up(self) -> None:
        """Build and run the seed model once, outside the limits and caches (the limits are the clients'),
        so that TensorFlow's kernels are loaded before the first client."""
        request = PredictRequest.model_validate(SEED_PREDICT)
        arrays = _arrays(canonical_spec(request.model), request)
        spec = _with_input_shapes(canonical_spec(request.model), arrays)
        ready = adapter.materialize(adapter.plan(spec, request.seed, max_build_elements=2**31))
        ready.predict(ready.arrays(arrays))

    def _spec(self, request: SummaryRequest) -> CanonicalSpec:
        spec = canonical_spec(request.model)
        limits.check_layer_count(_layers_before_building(spec), self.settings)
        safety.check_spec(spec)
        for model_input in spec.inputs:
            _check_input_shape(model_input)
        return spec

    def summarize(self, request: SummaryRequest) -> SummaryResponse:
        """Shapes, params and summary of a model, with no weights allocated."""
        spec = self._spec(request)
        if spec.kind == "sequential" and spec.inputs[0].shape is None:
            raise ModelRejected("the model's input shape is unknown: give model.input_shape or the first layer's "
                                "input_shape", loc=["model", "input_shape"], error_type="input_shape")
        key = spec_key(spec, seed=None)
        summary = self.summaries.get(key)
        if summary is None:
            self.phase(f"planning the shapes of {_model_name(spec)}")
            planned = adapter.plan(spec, 0, self.settings.max_activation_elements)
            count_build("summary")
            limits.check_layer_count(sum(1 for _ in walk(planned.facts)), self.settings)
            limits.check_params(planned.report.params.total, "max_summary_params", self.settings)
            summary = SummaryResponse(**explain.answer_fields(planned.facts, explain.layer_rows(planned.facts),
                                                              planned.report, batch=1))
            self.summaries.put(key, summary)
        return summary

    def _ready_model(self, spec: CanonicalSpec, key: str, seed: int, batch: int) -> adapter.ReadyModel:
        """The built model from the cache, or planned, checked against the limits and built now."""
        ready = self.models.get(key)
        if ready is None:
            self.phase(f"planning the shapes of {_model_name(spec)}")
            planned = adapter.plan(spec, seed, self.settings.max_activation_elements // batch)
            count_build("predict")
            limits.check_layer_count(sum(1 for _ in walk(planned.facts)), self.settings)
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
        spec = with_request_weights(self._spec(request), request)
        arrays = _arrays(spec, request)
        limits.check_inputs([array.shape for array in arrays.values()], self.settings)
        spec = _with_input_shapes(spec, arrays)
        key = spec_key(spec, request.seed)
        ready = self._ready_model(spec, key, request.seed, next(iter(arrays.values())).shape[0])
        inputs = ready.arrays(arrays)
        self.phase(f"predicting with {_model_name(spec)} on inputs of shape {[list(a.shape) for a in inputs]}")
        outputs = ready.predict(inputs)
        one = len(outputs) == 1
        fields = explain.answer_fields(ready.facts, self._rows(key, ready), ready.report, len(inputs[0]))
        return PredictResponse(output_shape=list(outputs[0].shape) if one else [list(o.shape) for o in outputs],
                               predictions=outputs[0].tolist() if one else [o.tolist() for o in outputs], **fields)

    def _rows(self, key: str, ready: adapter.ReadyModel) -> list[LayerRow]:
        """The model's explained rows, made once per built model (the same key as the model cache's)."""
        rows = self.rows.get(key)
        if rows is None:
            rows = explain.layer_rows(ready.facts)
            self.rows.put(key, rows)
        return rows

    def compare(self, request: CompareRequest) -> CompareResponse:
        """Both answers, and where the two models part, layer by layer."""
        a, b = (self._side(name, body) for name, body in (("a", request.a), ("b", request.b)))
        return CompareResponse(a=a, b=b, differences=differences(a, b))

    def _side(self, name: str, body: SummaryRequest) -> SummaryResponse:
        """One side's answer; a refusal is located in that side of the body."""
        try:
            return self.predict(body) if isinstance(body, PredictRequest) else self.summarize(body)
        except ServiceError as error:
            error.detail = f"{name}: {error.detail}"
            error.errors = [item.model_copy(update={"loc": [name, *item.loc], "msg": f"{name}: {item.msg}"})
                            for item in error.errors or []] or None
            raise


def _layers_before_building(spec: CanonicalSpec) -> int:
    """Layers a spec will have, known before it is built: a named network's from the table (its top, which
    the arguments change, not counted), any other's from the spec itself."""
    if spec.application is not None:
        return APPLICATION_LAYERS[spec.application.name] - 2
    return spec.layer_count()


def _model_name(spec: CanonicalSpec) -> str:
    return f"the model '{spec.name}'" + (f" ({spec.layer_count()} layers)" if spec.layers else "")


def _check_input_shape(model_input: CanonicalInput) -> None:
    """An input's axes: whole numbers from 1 to MAX_AXIS, or None for a variable one."""
    shape = model_input.shape
    if shape is not None and not all(axis is None or (isinstance(axis, int) and not isinstance(axis, bool)
                                                      and 0 < axis <= MAX_AXIS) for axis in shape):
        raise ModelRejected(f"every input axis must be a whole number from 1 to {MAX_AXIS:,} or null, got "
                            f"{list(shape)}"[:300], loc=list(model_input.loc) + ["input_shape"],
                            error_type="input_shape")


def _arrays(spec: CanonicalSpec, request: PredictRequest) -> Arrays:
    """The request's inputs matched to the model's, by name: one array for one input, an object for several."""
    names, named = [i.name for i in spec.inputs], request.inputs_by_name
    if named is None:
        if len(names) > 1:
            raise InvalidInputs(f"the model has {len(names)} inputs, {names}: give inputs as an object keyed by those "
                                "names", loc=["inputs"], error_type="input_names")
        arrays = {None: np.asarray(request.inputs, dtype=np.float64)}
    elif set(named) != set(names):
        raise InvalidInputs(f"inputs are named {sorted(named)}; the model's inputs are {names}", loc=["inputs"],
                            error_type="input_names")
    else:
        arrays = {name: np.asarray(named[name], dtype=np.float64) for name in names}
    batches = {array.shape[0] if array.ndim else None for array in arrays.values()}
    if None in batches or len(batches) > 1:
        raise InvalidInputs("inputs must be batch first, every input with the same number of examples",
                            loc=["inputs"], error_type="input_shape")
    return arrays


def _with_input_shapes(spec: CanonicalSpec, arrays: Arrays) -> CanonicalSpec:
    """The spec with every input's shape taken from its array where the model leaves it open (null axes, or no
    shape at all); an array that contradicts a known axis is refused."""
    inputs = []
    for model_input in spec.inputs:
        array = arrays[model_input.name] if model_input.name in arrays else arrays[None]
        given, known = tuple(array.shape[1:]), model_input.shape
        if known is not None and (len(known) != len(given) or any(k is not None and k != g
                                                                   for k, g in zip(known, given))):
            shown = ", ".join("None" if axis is None else str(axis) for axis in known)
            raise InvalidInputs(f"inputs have shape {list(array.shape)}; the model takes [batch, {shown}]"
                                + ("" if model_input.name == "input_layer" else f" for input '{model_input.name}'"),
                                loc=["inputs"], error_type="input_shape")
        inputs.append(CanonicalInput(model_input.name, given, model_input.dtype, model_input.batch_size,
                                     model_input.loc))
    return spec.replace(inputs=tuple(inputs))
