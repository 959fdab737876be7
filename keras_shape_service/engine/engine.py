"""The transport-free answers: a validated request in, the answer's JSON bytes out.

One Engine holds one process's Keras state and its caches; it runs wherever Keras may run (an executor
process under gunicorn, or the test process). It knows nothing of HTTP.
"""

import hashlib
import logging
import pickle
from math import prod
from typing import Any, Callable, Optional, TypeVar

import numpy as np
from pydantic import BaseModel
from pydantic_core import to_json

from keras_shape_service import adapter
from keras_shape_service.advice import advise_body, advise_model
from keras_shape_service.errors import (
    AS_BATCH_NUMBERS,
    InputsMisfit,
    InvalidInputs,
    InvalidRequest,
    ModelNotFound,
    ModelRejected,
    ServiceError,
)
from keras_shape_service.explain import diagram
from keras_shape_service.explain import rows as explain
from keras_shape_service.explain.compare import differences
from keras_shape_service.facts import sized_for_estimates, walk
from keras_shape_service.guards import limits, safety
from keras_shape_service.metrics import count_build
from keras_shape_service.schemas import (
    CompareRequest,
    CompareResponse,
    Cost,
    LayerRow,
    PredictRequest,
    PredictResponse,
    SummaryRequest,
    SummaryResponse,
)
from keras_shape_service.schemas.examples import SEED_PREDICT
from keras_shape_service.schemas.inference import (
    InferenceResponse,
    ModelInference,
    ModelMetadata,
    RepositoryModel,
    ServedModel,
)
from keras_shape_service.schemas.keras_names import APPLICATION_LAYERS
from keras_shape_service.schemas.spec import MAX_AXIS
from keras_shape_service.settings import Settings
from keras_shape_service.spec_pickles import SPEC_PICKLES
from keras_shape_service.specs.canonical import CanonicalInput, CanonicalSpec
from keras_shape_service.specs.forms import canonical_spec, with_request_weights
from keras_shape_service.specs.from_code import spec_request

from . import protocol_v2 as inference
from . import repository
from .caches import LruCache, spec_key

log = logging.getLogger(__name__)
Answer = TypeVar("Answer", bound=BaseModel)
_TEACHES = ("predict", "summary", "diagram")  # the operations whose refusals get advice on one model
# Operations answered in another form than the JSON of their response model.
# Each takes the answer and the request (how to draw it).
_RENDERERS: dict[str, Callable[[Any, Any], bytes]] = {
    "diagram": lambda summary, request: diagram.svg(summary, request.fold_repeats).encode()
}
Arrays = dict[Optional[str], np.ndarray]  # by input name; None: the one array of a one-input model
# A prediction answer as PredictResponse serializes it, its prediction's fields empty: the bytes after these are
# the same for every request of a model at the same input shapes.
_NO_PREDICTION = b'{"output_shape":[],"predictions":[]'
_ANSWER_TAILS_BYTES = 16 * 2**20  # a large model's rows and summary are some 100 kB; most answers' a few kB


class Engine:
    """Answers for one process, with its caches of built models and of shape-only summaries."""

    def __init__(self, settings: Settings, phase: Callable[[str], None] = lambda text: None):
        self.settings = settings
        self.phase = phase  # told what the engine is doing now, for a refusal should a budget run out
        self.models: LruCache[adapter.ReadyModel] = LruCache(
            settings.model_cache_entries,
            settings.model_cache_bytes,
            lambda ready: ready.weight_bytes + _constant_bytes(ready.spec),
        )
        # Summaries hold no weights: a few kB of text each, bounded by count alone.
        self.summaries: LruCache[SummaryResponse] = LruCache(
            settings.model_cache_entries, settings.model_cache_bytes, lambda summary: 0
        )
        # A built model's explained rows, which do not depend on the batch (its cost does, and is cheap).
        self.rows: LruCache[list[LayerRow]] = LruCache(
            settings.model_cache_entries, settings.model_cache_bytes, lambda rows: 0
        )
        # A request's spec and model key, by the request's model and the shapes of its inputs: reading a spec
        # and hashing it cost more than running a small model.
        self.readings: LruCache[tuple[CanonicalSpec, str]] = LruCache(
            settings.model_cache_entries, settings.model_cache_bytes, lambda reading: _constant_bytes(reading[0])
        )
        # By model key and batch size: the batch was checked against the limits, and what it costs.
        self.batch_costs: LruCache[Cost] = LruCache(4 * settings.model_cache_entries, 1, lambda cost: 0)
        # A prediction answer's bytes after the prediction, by model key and input shapes (Engine._predict_answer).
        self.answer_tails: LruCache[bytes] = LruCache(4 * settings.model_cache_entries, _ANSWER_TAILS_BYTES, len)
        # Keys of variable-length models Keras refused to build with None on their variable axes (a Flatten
        # before a Dense: a kernel sized by the length): each is built at the lengths of its inputs instead.
        self.built_per_length: LruCache[bool] = LruCache(settings.model_cache_entries, 1, lambda known: 0)
        adapter.configure_tensorflow(intra_op=settings.tf_threads, inter_op=1)
        self.repository = repository.Repository()
        adapter.allow_chains_of(settings.max_layers)
        # Each takes its operation's request model (schemas.api's route table pairs them), hence Any.
        self._operations: dict[str, Callable[[Any], BaseModel]] = {
            "predict": self.predict,
            "summary": self.summarize,
            "diagram": self.summarize,
            "infer": self.infer,
            "compare": self.compare,
            "check": self.check,
        }

    def answer(self, operation_id: str, request: BaseModel) -> bytes:
        """The answer of one operation, as its bytes; a refusal is advised here, once, after it is made."""
        try:
            return self._answer(operation_id, request)
        except InvalidRequest as refusal:  # code read as a spec the schema refuses: hints, no patch of the code
            advise_body(refusal)
            raise
        except ServiceError as error:
            # A fix patches the JSON body sent: neither code nor a file is patched.
            if operation_id in _TEACHES and getattr(request, "code", None) is None and not _from_file(request):
                self._advise(error, request)
            raise

    def _answer(self, operation_id: str, request: BaseModel) -> bytes:
        if operation_id == "predict" and isinstance(request, PredictRequest) and request.code is None:
            return self._predict_answer(request)
        answer = _answered_as_spec(self._operations[operation_id], request)
        render = _RENDERERS.get(operation_id)
        return render(answer, request) if render else answer.model_dump_json(exclude_none=True).encode()

    def _advise(self, error: ServiceError, request: BaseModel) -> None:
        """Advice on a refusal; should working it out fail, the refusal is answered as it is (and logged)."""
        try:
            advise_model(error, request, self.plans)
        except Exception:
            log.exception("no advice on a %s refusal", type(error).__name__)

    def plans(self, request: BaseModel) -> bool:
        """Whether a request's model plans as its operation would plan it, limits included."""
        try:
            self.check(request)
        except ServiceError:
            return False
        return True

    def check(self, request: BaseModel) -> SummaryResponse:
        """Plan a request's model as predict or summary would, allocating no weights (a fix is checked so)."""
        if isinstance(request, PredictRequest):
            spec, arrays, _ = self._predict_spec(request)
            batch = next(iter(arrays.values())).shape[0]
            try:
                planned = self._plan(spec, request.seed, batch, "max_params")
            except ModelRejected:
                if not _variable(spec):
                    raise
                planned = self._plan(_with_input_shapes(spec, arrays, lengths=True), request.seed, batch, "max_params")
            self._check_batch(planned, arrays, batch, spec.optimizer)
            return _summary(planned)
        if isinstance(request, CompareRequest):  # a fix of one side: both sides plan, or the fix is not offered
            return [self.check(side) for side in (request.a, request.b)][-1]
        if not isinstance(request, SummaryRequest):
            raise TypeError(f"no plan for a {type(request).__name__}: only summary, predict and compare bodies plan")
        return _summary(self._plan(self._summary_spec(request), 0, 1, "max_summary_params"))

    def warm_up(self) -> None:
        """Build and run the seed model once, outside the limits and caches (the limits are the clients'),
        so that TensorFlow's kernels are loaded before the first client."""
        request = PredictRequest.model_validate(SEED_PREDICT)
        arrays = _arrays(canonical_spec(request.model), request)
        spec = _with_input_shapes(canonical_spec(request.model), arrays)
        ready = adapter.materialize(adapter.plan(spec, request.seed, max_build_elements=2**31))
        ready.predict(ready.arrays(arrays))

    def load_repository(self, files: repository.Files) -> None:
        """The model repository's files, each checked as /v1/summary and /v1/predict check a model."""
        self.repository = repository.load(files, self._serve)

    def _serve(self, name: str, model: RepositoryModel) -> ServedModel:
        """A repository model's summary and metadata, or the refusal a request sending it would get."""
        summary = self.summarize(model)
        planned = adapter.plan(
            with_request_weights(self._spec(model), model),
            model.seed,
            self.settings.max_activation_elements,
            max_constant_elements=self.settings.max_constant_elements,
        )
        limits.check_params(planned.report.params.total + planned.outside_params, "max_params", self.settings)
        inputs, outputs = adapter.signature(planned)
        metadata = ModelMetadata(
            name=name,
            inputs=[inference.tensor_metadata(tensor) for tensor in inputs],
            outputs=[inference.tensor_metadata(tensor) for tensor in outputs],
        )
        return ServedModel(metadata=metadata, summary=summary)

    def infer(self, call: ModelInference) -> InferenceResponse:
        """A repository model's prediction on the protocol's tensors, as /v1/predict computes it."""
        name = call.model_name
        model, served = self.repository.models.get(name), self.repository.index.models.get(name)
        if model is None or served is None:
            raise ModelNotFound(f"no model '{name}' in the model repository")
        inputs = inference.request_inputs(served.metadata, call.request)
        answer = self.predict(
            PredictRequest.model_construct(model=model.model, inputs=inputs, seed=model.seed, weights=model.weights)
        )
        return inference.response(served.metadata, call.request, answer)

    def _spec(self, request: SummaryRequest) -> CanonicalSpec:
        spec = canonical_spec(request.model)
        if getattr(request, "weights_file", None) is not None:
            spec = spec.replace(weights_file=request.weights_file)
        limits.check_layer_count(_layers_before_building(spec), self.settings)
        limits.check_graph_size(spec.graph_size(), self.settings)
        limits.check_constants(spec, self.settings)
        limits.check_config_values(spec, self.settings)
        safety.check_spec(spec)
        for model_input in spec.inputs:
            _check_input_shape(model_input)
        return spec

    def _summary_spec(self, request: SummaryRequest) -> CanonicalSpec:
        spec = self._spec(request)
        if spec.kind == "sequential" and spec.inputs[0].shape is None:
            raise ModelRejected(
                "the model's input shape is unknown: give model.input_shape or the first layer's input_shape",
                loc=["model", "input_shape"],
                error_type="input_shape",
            )
        return spec

    def _predict_spec(
        self, request: PredictRequest, reading: Optional[str] = None
    ) -> tuple[CanonicalSpec, Arrays, str]:
        """The spec with the input shapes it leaves out taken from the inputs (its variable axes stay None: one
        model for every length), the inputs, checked against each other, and the key of the model they make; a
        model answered before with inputs of the same shapes (`reading`, its
        reading's key) is read from memory."""
        read = self.readings.get(reading) if reading else None
        if read is not None:
            spec, key = read
            arrays = _arrays(spec, request)
            limits.check_inputs([array.shape for array in arrays.values()], self.settings)
            return spec, arrays, key
        spec = with_request_weights(self._spec(request), request)
        arrays = _arrays(spec, request)
        limits.check_inputs([array.shape for array in arrays.values()], self.settings)
        spec = _with_input_shapes(spec, arrays)
        return spec, arrays, spec_key(spec, request.seed)

    def _plan(
        self,
        spec: CanonicalSpec,
        seed: int,
        batch: int,
        params_limit: str,
        summary_options: tuple[bool, bool] = (False, False),
    ) -> adapter.PlannedModel:
        """The model's shapes planned, and checked against the limits that need them."""
        self.phase(f"planning the shapes of {_model_name(spec)}")
        planned = adapter.plan(
            spec,
            seed,
            self.settings.max_activation_elements // batch,
            summary_options,
            max_constant_elements=self.settings.max_constant_elements,
        )
        limits.check_layer_count(sum(1 for _ in walk(planned.facts)), self.settings)
        limits.check_params(planned.report.params.total + planned.outside_params, params_limit, self.settings)
        return planned

    def summarize(self, request: SummaryRequest) -> SummaryResponse:
        """Shapes, params and summary of a model, with no weights allocated."""
        spec = self._summary_spec(request)
        options = (request.expand_nested, request.show_trainable)
        key = f"{spec_key(spec, seed=None)} {options}"
        summary = self.summaries.get(key)
        if summary is None:
            summary = _summary(self._plan(spec, 0, 1, "max_summary_params", options))
            count_build("summary")
            self.summaries.put(key, summary)
        return _within_budget(summary, 1, request.memory_budget)

    def _ready_model(self, spec: CanonicalSpec, key: str, seed: int, arrays: Arrays) -> tuple[adapter.ReadyModel, Cost]:
        """The built model from the cache, or planned, checked against the limits and built now; and what this
        batch costs it, at the lengths of these inputs."""
        batch = next(iter(arrays.values())).shape[0]
        ready = self.models.get(key)
        if ready is None:
            planned = self._plan(spec, seed, batch, "max_params")
            count_build("predict")
        # For a cached model too: the same model with another batch size, or longer inputs, may be too large.
        batch_key = f"{key} {batch} {[array.shape[1:] for array in arrays.values()]}"
        cost = self.batch_costs.get(batch_key)
        if cost is None:
            cost = self._check_batch(ready if ready is not None else planned, arrays, batch, spec.optimizer)
            self.batch_costs.put(batch_key, cost)
        if ready is None:
            self.phase(f"allocating and initializing the weights of {_model_name(spec)}")
            ready = adapter.materialize(planned)
            self.models.put(key, ready)
        return ready, cost

    def _ready_model_at_some_length(
        self, spec: CanonicalSpec, key: str, seed: int, arrays: Arrays
    ) -> tuple[adapter.ReadyModel, Cost, CanonicalSpec, str]:
        """_ready_model, built with None on its variable axes, or, where Keras refuses that (and answered
        before these models were built once for every length), at the lengths of these inputs: the spec and
        key of the model it is."""
        if not (_variable(spec) and self.built_per_length.get(key)):
            try:
                return (*self._ready_model(spec, key, seed, arrays), spec, key)
            except ModelRejected:
                if not _variable(spec):
                    raise
            self.built_per_length.put(key, True)
        spec = _with_input_shapes(spec, arrays, lengths=True)
        key = spec_key(spec, seed)
        return (*self._ready_model(spec, key, seed, arrays), spec, key)

    def _check_batch(
        self, found: adapter.PlannedModel | adapter.ReadyModel, arrays: Arrays, batch: int, optimizer: Optional[str]
    ) -> Cost:
        """The activation, compute and answer limits for this batch at the lengths of its inputs (a model with
        variable axes is built once, with None there), a nested model's open axes sized by the inputs; and
        what the batch costs."""
        facts, output_shapes = adapter.facts_for_inputs(
            found.model, found.facts, {name: array.shape[1:] for name, array in arrays.items()}
        )
        sized = sized_for_estimates(facts, max(prod(array.shape[1:]) for array in arrays.values()))
        limits.check_activations(sized, batch, self.settings)
        # Layers computing constants run once, when the model is made ready: counted only before it is (their
        # outputs max_constant_elements bounds; none that takes one tensor makes scratch tensors, as attention).
        once = found.outside if isinstance(found, adapter.PlannedModel) else ()
        limits.check_work(sized, batch, self.settings, once)
        limits.check_answer(output_shapes, batch, self.settings)
        return explain.cost(facts, batch, optimizer)

    def predict(self, request: PredictRequest) -> PredictResponse:
        """Build (or reuse) the model, check it fits the limits, run the inputs through it."""
        prediction, fields, _ = self._predicted(request)
        # Made from this engine's own parts, each valid already (rows and cost are models; the outputs are
        # finite, ready.predict checked): validating them again, a walk over every prediction, checks nothing.
        return PredictResponse.model_construct(**prediction, **fields())

    def _predicted(self, request: PredictRequest) -> tuple[dict[str, Any], Callable[[], dict[str, Any]], Optional[str]]:
        """The prediction's fields (output_shape, predictions); how to make the answer's other fields; and the
        key of those other fields where they are the same for every request of this model at these input
        shapes (None where the request changes them: a memory budget, summary options)."""
        reading = _reading_key(request)
        spec, arrays, key = self._predict_spec(request, reading)
        ready, cost, spec, key = self._ready_model_at_some_length(spec, key, request.seed, arrays)
        if reading and not spec.weights:  # weights given in the request are kept by no cache
            self.readings.put(reading, (spec, key))
        inputs = ready.arrays(arrays)
        self.phase(f"predicting with {_model_name(spec)} on inputs of shape {[list(a.shape) for a in inputs]}")
        outputs = ready.predict(inputs)
        one = len(outputs) == 1
        keys = spec.output_keys  # keyed as Keras's predict answers a model made with outputs={...}
        prediction = {
            "output_shape": (
                {key: list(o.shape) for key, o in zip(keys, outputs)}
                if keys
                else list(outputs[0].shape)
                if one
                else [list(o.shape) for o in outputs]
            ),
            "predictions": (
                {key: o.tolist() for key, o in zip(keys, outputs)}
                if keys
                else outputs[0].tolist()
                if one
                else [o.tolist() for o in outputs]
            ),
        }
        batch = len(inputs[0])

        def fields() -> dict[str, Any]:
            made = explain.answer_fields(ready.facts, self._rows(key, ready), ready.report, batch, cost)
            if request.expand_nested or request.show_trainable:
                made["summary"] = adapter.summary_text(ready.model, request.expand_nested, request.show_trainable)
            if request.memory_budget is not None:
                made["cost"] = _within_budget_cost(cost, batch, request.memory_budget)
            return made

        changed = request.expand_nested or request.show_trainable or request.memory_budget is not None
        return prediction, fields, None if changed else f"{key} {[a.shape for a in inputs]}"

    def _predict_answer(self, request: PredictRequest) -> bytes:
        """/v1/predict's answer bytes: the prediction, then the rest of the answer, which every request of the
        model at the same input shapes shares, made and serialized once (rows, params, cost and summary are
        most of an answer's bytes and of its serializing) and kept beside the model."""
        prediction, fields, shared = self._predicted(request)
        tail = self.answer_tails.get(shared) if shared else None
        if tail is None:
            made = fields()
            whole = PredictResponse.model_construct(output_shape=[], predictions=[], **made)
            serialized = whole.model_dump_json(exclude_none=True).encode()
            if not serialized.startswith(_NO_PREDICTION):  # the response model's first fields moved: no splicing
                answer = PredictResponse.model_construct(**prediction, **made)
                return answer.model_dump_json(exclude_none=True).encode()
            tail = serialized[len(_NO_PREDICTION) :]
            if shared:
                self.answer_tails.put(shared, tail)
        # The prediction's fields hold lists of numbers (Any in the response model): pydantic's serializer writes
        # them as it would within the whole answer.
        return to_json(prediction)[:-1] + tail

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
            return _answered_as_spec(self.predict if isinstance(body, PredictRequest) else self.summarize, body)
        except ServiceError as error:
            raise error.within(name) from error


def _answered_as_spec(operation: Callable[[Any], Answer], request: BaseModel) -> Answer:
    """An operation's answer to a request; one that carries code is answered as the spec the code reads as
    (the operations know specs only), and its answer carries that spec as `model`."""
    if not isinstance(request, SummaryRequest) or request.code is None:  # only summary and predict carry code
        return operation(request)
    spec_form, read_model = spec_request(request, adapter.positional_arguments)
    return operation(spec_form).model_copy(update={"model": read_model})


def _reading_key(request: PredictRequest) -> Optional[str]:
    """What makes a request's spec and model key: its model and seed as sent, hashed (not canonical: the same
    model sent with its keys in another order is read again), and its inputs' shapes. None for a request that
    gives weights."""
    if request.weights is not None or request.weights_file is not None:
        return None
    if request.model is None:
        sent = pickle.dumps((request.model, request.seed), protocol=pickle.HIGHEST_PROTOCOL)
        return f"{hashlib.sha256(sent).hexdigest()} {request.inputs_shapes}"
    # The spec's digest, made once per spec this executor holds (it came as a digest and pickle: wire.py).
    return f"{SPEC_PICKLES.of(request.model)[0]} {request.seed} {request.inputs_shapes}"


def _from_file(request: BaseModel) -> bool:
    return getattr(request, "weights_file", None) is not None


def _summary(planned: adapter.PlannedModel) -> SummaryResponse:
    """A planned model's answer to /v1/summary: its explained rows and their cost for a batch of one."""
    rows = explain.layer_rows(planned.facts)
    return SummaryResponse(
        **explain.answer_fields(planned.facts, rows, planned.report, batch=1, optimizer=planned.spec.optimizer)
    )


def _within_budget_cost(cost: Cost, batch: int, budget: Optional[int]) -> Cost:
    """The cost with the largest batch that trains within the budget, where one was given."""
    if budget is None:
        return cost
    return cost.model_copy(update={"max_batch": explain.largest_batch(cost, batch, budget)})


def _within_budget(summary: SummaryResponse, batch: int, budget: Optional[int]) -> SummaryResponse:
    """A (cached) answer with its cost's max_batch for this request's budget; the cached one is left as it is."""
    if budget is None:
        return summary
    return summary.model_copy(update={"cost": _within_budget_cost(summary.cost, batch, budget)})


# A constant's number as a spec keeps it, a Python float in JSON's lists (24 bytes and an 8-byte pointer), and as
# the model's tensor holds it (at most 8): a million in a spec is 40 MB kept by the cache that holds the spec.
_CONSTANT_NUMBER_BYTES = 40


def _constant_bytes(spec: CanonicalSpec) -> int:
    """What a spec's constants keep in memory, counted against the byte bound of a cache holding the spec."""
    return _CONSTANT_NUMBER_BYTES * sum(constant.elements() for constant in spec.constants())


def _layers_before_building(spec: CanonicalSpec) -> int:
    """Layers a spec will have, known before it is built: a named network's from the table (its top, which
    the arguments change, not counted), any other's from the spec itself, those computing its constants too."""
    if spec.application is not None:
        return APPLICATION_LAYERS[spec.application.name] - 2
    # Layers computing constants (__layer_output__) are made and built as the model's are, one per name: three
    # thousand in one operation's argument took seconds to build before Keras refused the call.
    computing = {constant.layer.name for constant in spec.constants() if constant.layer is not None}
    return spec.layer_count() + len(computing)


def _model_name(spec: CanonicalSpec) -> str:
    return f"the model '{spec.name}'" + (f" ({spec.layer_count()} layers)" if spec.layers else "")


def _check_input_shape(model_input: CanonicalInput) -> None:
    """An input's axes: whole numbers from 1 to MAX_AXIS, or None for a variable one."""
    shape = model_input.shape
    if shape is not None and not all(
        axis is None or (isinstance(axis, int) and not isinstance(axis, bool) and 0 < axis <= MAX_AXIS)
        for axis in shape
    ):
        raise ModelRejected(
            f"every input axis must be a whole number from 1 to {MAX_AXIS:,} or null, got {list(shape)}"[:300],
            loc=list(model_input.loc) + ["input_shape"],
            error_type="input_shape",
        )


def _arrays(spec: CanonicalSpec, request: PredictRequest) -> Arrays:
    """The request's inputs matched to the model's, by name: one array for one input, an object for several."""
    names, named = [i.name for i in spec.inputs], request.inputs_by_name
    if named is None:
        if len(names) > 1:
            raise InvalidInputs(
                f"the model has {len(names)} inputs, {names}: give inputs as an object keyed by those names",
                loc=["inputs"],
                error_type="input_names",
            )
        arrays: Arrays = {None: np.asarray(request.inputs, dtype=np.float64)}
    elif set(named) != set(names):
        raise InvalidInputs(
            f"inputs are named {sorted(named)}"[:300] + f"; the model's inputs are {names}"[:300],
            loc=["inputs"],
            error_type="input_names",
        )
    else:
        arrays = {name: np.asarray(named[name], dtype=np.float64) for name in names}
    batches = {array.shape[0] if array.ndim else None for array in arrays.values()}
    if None in batches or len(batches) > 1:
        raise InvalidInputs(
            "inputs must be batch first, every input with the same number of examples",
            loc=["inputs"],
            error_type="input_shape",
        )
    return arrays


def _variable(spec: CanonicalSpec) -> bool:
    """Whether an input of the spec has a variable axis (None)."""
    return any(model_input.shape is not None and None in model_input.shape for model_input in spec.inputs)


def _with_input_shapes(spec: CanonicalSpec, arrays: Arrays, lengths: bool = False) -> CanonicalSpec:
    """The spec with every input's shape taken from its array where the model gives none (and, with
    `lengths`, on its variable axes too); an array that contradicts a declared axis is refused. Variable axes
    (null) stay None otherwise: the model is built once, with None there, and called with every length (its
    estimates are sized per request: Engine._check_batch)."""
    inputs = []
    for model_input in spec.inputs:
        array = arrays[model_input.name] if model_input.name in arrays else arrays[None]
        given, declared = tuple(array.shape[1:]), model_input.shape
        if declared is not None and (
            len(declared) != len(given) or any(k is not None and k != g for k, g in zip(declared, given))
        ):
            shown = ", ".join("None" if axis is None else str(axis) for axis in declared)
            raise InvalidInputs(
                f"inputs have shape {list(array.shape)}; the model takes [batch, {shown}]"
                + ("" if model_input.name == "input_layer" else f" for input '{model_input.name}'"),
                loc=["inputs"],
                error_type="input_shape",
                cause=_misfit(array, declared, model_input.name in arrays),
            )
        shape = given if declared is None or lengths else declared
        inputs.append(
            CanonicalInput(model_input.name, shape, model_input.dtype, model_input.batch_size, model_input.loc)
        )
    return spec.replace(inputs=tuple(inputs))


def _misfit(array: np.ndarray, known: tuple, named: bool) -> InputsMisfit:
    """Inputs whose examples do not have the model's input shape; where the array is shaped like one example,
    the batch of one it may have meant."""
    given = tuple(array.shape)
    one_example = not named and len(given) == len(known) and all(k is None or k == g for k, g in zip(known, given))
    as_batch = [array.tolist()] if one_example and array.size <= AS_BATCH_NUMBERS else None
    return InputsMisfit(given, tuple(known), named, as_batch, one_example)
