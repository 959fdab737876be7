"""The app against its own /openapi.json: schemathesis 4 generates requests from the document and sends them
through WSGI to an app with small limits.

Three tests, each one item per operation (schemathesis leaves out the path the document came from):

- test_coverage_cases, every operation but two whose sets repeat others (named below): schemathesis's
  coverage phase, a fixed set of cases derived from the document's constraints. Positive ones take boundary
  values, every enum member, each form of a union;
  negative ones break one constraint at a time (wrong types, values past a bound, missing required
  properties) or send what no operation declares (other methods, other media types, no body). The whole set
  runs under any profile (max_examples does not apply to it), the `ci` profile holding the layers inside nested
  models and wrappers to one (below).
- test_bodies_the_document_allows_are_accepted_or_refused_on_meaning, POST: the document's examples, then
  positive fuzzing.
- test_bodies_the_document_forbids_are_refused, POST: negative fuzzing (the GET operations take nothing to
  negate, and the coverage phase already sends them what they do not declare).

The stateful phase does not run: no operation links to another.

Checks: not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
negative_data_rejection and positive_data_acceptance. What JSON Schema cannot say is handled in two marked
places, and nowhere else:

- "rectangular": no JSON Schema names it, so `inputs` and `weights` (a layer's, or the request's by layer
  name) are documented as arrays whose items are
  open, and schemathesis fills them with any JSON at all. In positive cases of every phase, an `inputs` or a
  layer's `weights` entry that is not a rectangular array of finite numbers is replaced by one shaped after
  it (`map_case`); negative cases stay as generated, so they stay negative.
- "rectangular" again: a constant tensor (an operation node's `__tensor__` argument) documents its `value` as
  a number or an array of open items; in positive cases it is made rectangular the same way, its numbers whole
  and not negative where its dtype is an integer one (`map_case`).
- meaning: a body the document allows can still describe a model Keras refuses, a nested object outside
  the allow-list of keras_shape_service/guards/safety.py, inputs that do not fit the model, or a request past a
  configured limit or budget; the service answers those with the documented 422 (400 for nesting depth, 413
  for size). positive_data_acceptance counts exactly these as accepted (`positive_data_acceptance_but_meaning`);
  every other refusal of a positive case, a validation refusal above all, still fails it.

A failure prints each distinct problem once with a curl command; its -d body is the request to keep (the
host is schemathesis's placeholder: the request went through WSGI). A fuzzed failure is shrunk first, so that
body is a small one. The coverage cases are fixed and the `ci` profile is derandomized, so the same command
replays the same requests:
    .venv/bin/python -m pytest 'tests/property/test_schemathesis.py::test_coverage_cases[POST /v1/predict]'
HYPOTHESIS_PROFILE=thorough fuzzes with fresh examples, more of them; the coverage cases stay the same.
"""

import copy
import json
import math
import os
from typing import Any, Optional

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
import schemathesis  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,  # noqa: E402
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.errors import FailureGroup  # noqa: E402

from keras_shape_service.errors import (
    BudgetExceeded,
    InvalidInputs,
    LimitExceeded,
    ModelRejected,  # noqa: E402
    RefusedFile,
    RefusedObject,
)
from keras_shape_service.http.app import create_app  # noqa: E402
from keras_shape_service.schemas.examples import SEED_PREDICT
from keras_shape_service.schemas.numbers import FLOAT32_MAX  # noqa: E402
from keras_shape_service.settings import Settings  # noqa: E402
from keras_shape_service.specs.code.reader import CodeRejected  # noqa: E402
from tests.property.profiles import PROFILE_VARIABLE, share  # noqa: E402

pytestmark = [pytest.mark.property, pytest.mark.slow]

# Small limits keep Keras builds and bodies small; the limits themselves are answered like any other refusal.
SMALL_LIMITS = Settings(
    max_body_bytes=100_000,
    max_layers=8,
    max_input_elements=1_000,
    max_batch=8,
    max_params=100_000,
    max_summary_params=1_000_000,
    max_activation_elements=100_000,
)
# One app for the three tests: schemathesis parametrizes at collection, from the document the app serves.
APP = create_app(SMALL_LIMITS)

# ---- What JSON Schema cannot say, 1 of 2: rectangular number arrays ---------------------------------------

SIDE, AXES = 3, 4  # what a made array may have, per axis and in axes: small on purpose
NUMBER_BOUND = 100.0  # numbers a made array takes from the generated value are clamped here


def _shape(value: Any) -> Optional[tuple[int, ...]]:
    """The shape of a number or a rectangular array of finite float32 numbers; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        # abs() first: JSON integers may be far past any float, where math.isfinite would overflow.
        return () if abs(value) <= FLOAT32_MAX else None
    if not isinstance(value, list) or not value:
        return None
    shapes = {_shape(item) for item in value}
    if len(shapes) != 1 or None in shapes:
        return None
    return (len(value),) + shapes.pop()


def _numbers_in(value: Any) -> list[float]:
    """The finite numbers anywhere in a JSON value, clamped, in document order."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [float(max(-NUMBER_BOUND, min(NUMBER_BOUND, value)))]
    if isinstance(value, float):
        return [max(-NUMBER_BOUND, min(NUMBER_BOUND, value))] if math.isfinite(value) else []
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [number for item in items for number in _numbers_in(item)]


def rectangular_numbers(value: Any, min_axes: int = 0) -> Any:
    """`value` when it is already a rectangular array of finite numbers with at least `min_axes` axes; else one
    made after it: its axes follow the generated nesting (first items down, capped), its numbers are the
    generated ones in order, repeated as needed (0.5 when there are none). A map rather than a draw, so that
    coverage cases, which are fixed, get it too, and fuzzing keeps shrinking the generated value."""
    shape = _shape(value)
    if shape is not None and len(shape) >= min_axes:
        return value
    axes = []
    probe = value
    while isinstance(probe, list) and probe and len(axes) < AXES:
        axes.append(min(len(probe), SIDE))
        probe = probe[0]
    axes += [1] * (min_axes - len(axes))
    numbers = _numbers_in(value) or [0.5]
    size = math.prod(axes)
    flat = [numbers[i % len(numbers)] for i in range(size)]
    for side in reversed(axes):
        flat = [flat[i : i + side] for i in range(0, len(flat), side)]
    return flat[0]


def _layer_entries(model: Any) -> list[dict]:
    """Every object inside a model that may hold a layer's `weights`: its layers, models nested as layers and
    the layers inside wrappers, at any depth."""
    found, stack = [], [model]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            found.append(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def map_case(context, case):
    """Positive bodies get rectangular `inputs` and `weights` entries where they were not; negative ones stay as
    generated. Registered on each schema below: schemathesis applies it to coverage and fuzzed cases alike."""
    if case.meta is None or not case.meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return case
    for body in [case.body] + [case.body[side] for side in ("a", "b") if isinstance(case.body.get(side), dict)]:
        _make_rectangular(body)  # /v1/compare holds two bodies
    case.body = case.body
    return case


def _make_rectangular(body: dict) -> None:
    """One summary or predict body's `inputs` and `weights` made rectangular, in place."""
    if isinstance(body.get("inputs"), dict):  # a graph model's inputs, by name
        body["inputs"] = {name: rectangular_numbers(array, min_axes=1) for name, array in body["inputs"].items()}
    elif "inputs" in body:
        body["inputs"] = rectangular_numbers(body["inputs"], min_axes=1)
    if isinstance(body.get("weights"), dict):  # the request's weights, by layer name
        body["weights"] = {
            name: [rectangular_numbers(entry) for entry in arrays] if isinstance(arrays, list) else arrays
            for name, arrays in body["weights"].items()
        }
    for layer in _layer_entries(body.get("model")):
        if isinstance(layer.get("weights"), list):
            layer["weights"] = [rectangular_numbers(entry) for entry in layer["weights"]]
        if layer.get("class_name") == "__tensor__" and isinstance(layer.get("config"), dict):
            _make_constant(layer["config"])


def _whole(value: Any) -> Any:
    return [_whole(item) for item in value] if isinstance(value, list) else abs(round(value))


def _make_constant(config: dict) -> None:
    """A constant tensor's numbers rectangular, in place; whole and not negative for an integer dtype."""
    if "value" in config:
        config["value"] = rectangular_numbers(config["value"])
        if str(config.get("dtype", "")).startswith(("int", "uint")):
            config["value"] = _whole(config["value"])


# ---- What JSON Schema cannot say, 2 of 2: refusals on meaning ---------------------------------------------

# CodeRejected: `code` is documented as a string; which strings are Keras code the reader reads, no schema says.
SEMANTIC_REFUSALS = {
    ModelRejected.title,
    RefusedObject.title,
    InvalidInputs.title,
    LimitExceeded.title,
    BudgetExceeded.title,
    CodeRejected.title,
    RefusedFile.title,  # a `model` part of any bytes: which bytes are a model file, no schema says
}


def positive_data_acceptance_but_meaning(ctx, response, case):
    """positive_data_acceptance, where a refusal on meaning (Keras, the allow-list, inputs vs model, a limit or a
    budget) counts as accepted."""
    if (
        400 <= response.status_code < 500
        and _media_type(response) == "application/problem+json"
        and response.json().get("title") in SEMANTIC_REFUSALS
    ):
        return None
    return positive_data_acceptance(ctx, response, case)


def _media_type(response) -> str:
    values = response.headers.get("content-type") or [""]
    return values[0].split(";")[0].strip()


# -----------------------------------------------------------------------------------------------------------

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance_but_meaning,
]


def call_and_validate(case) -> None:
    """Send the case and run CHECKS; failures come back as an ExceptionGroup with schemathesis's report (each
    distinct failure, a curl command). schemathesis raises a BaseExceptionGroup, which Hypothesis lets through
    at once: a fuzzed failure would not be shrunk, and the coverage cases after a failing one would not run."""
    try:
        case.call_and_validate(checks=CHECKS)
    except FailureGroup as group:
        raise ExceptionGroup(group.message, list(group.exceptions)) from None


def app_schema(phases: list[str], modes: list[GenerationMode]):
    """The document as the app serves it (nested concise models held to one level), with these phases and
    generation modes (each test its own schema: the configuration belongs to the schema)."""
    schema = schemathesis.openapi.from_dict(app_document())
    schema.app, schema.location = APP, "/openapi.json"
    schema.config.phases.update(phases=phases)
    schema.config.generation.update(modes=modes)
    schema.hook(map_case)
    return schema


def _predict_model_held_to_the_seed(document: dict) -> dict:
    """The document with /v1/predict's body taking only the seed's model: the `model` subschema is /v1/summary's
    too, and its cases (some 58,000, most of both sets) run there; predict's own cases vary what summary's do
    not (inputs, seed, weights, code). The coverage phase derives its fixed set from the document, so the set
    is trimmed here, before generation (filtering generated cases would still cost their generation)."""
    body = document["paths"]["/v1/predict"]["post"]["requestBody"]["content"]["application/json"]
    request = copy.deepcopy(document["components"]["schemas"]["PredictRequest"])
    request["properties"]["model"] = {"const": SEED_PREDICT["model"]}
    body["schema"] = request
    return document


# Models nested in the concise form (a Sequential or Functional used as a layer) hold a list of any layer, itself
# maybe such a model or a wrapper of one: schemathesis inlines that recursion through the whole layer union, and
# collecting the tests alone went from 30 s to more than 5 minutes. Inside a nested concise model and a wrapper,
# the generated layers are any layer but a model (tests/unit/test_concise_nested_and_keywords.py nests deeper,
# against Keras; a model inside a wrapper is refused on meaning).
_MODEL_LAYERS = {"SequentialLayer", "FunctionalLayer", "SequentialDocument", "FunctionalDocument"}


def _without_models(schema: Any) -> None:
    """Every oneOf inside `schema` without its options that are models, in place."""
    if isinstance(schema, dict):
        if "oneOf" in schema:
            schema["oneOf"] = [
                option for option in schema["oneOf"] if option.get("$ref", "").rsplit("/", 1)[-1] not in _MODEL_LAYERS
            ]
        for value in schema.values():
            _without_models(value)
    elif isinstance(schema, list):
        for value in schema:
            _without_models(value)


def _nested_models_one_level(document: dict) -> dict:
    """The document with the layers inside a nested concise model or a wrapper taking any layer but a model."""
    for name in ("SequentialLayer", "FunctionalLayer", "WrapperLayer"):
        _without_models(document["components"]["schemas"][name])
    return document


def app_document() -> dict:
    """The app's own /openapi.json, nested concise models held to one level (above)."""
    return _nested_models_one_level(json.loads(APP.test_client().get("/openapi.json").get_data()))


# The coverage phase varies one thing at a time, so each layer of the union inside a nested concise model or a
# wrapper repeats, there, the cases its own schema already has at the top of both concise forms: 218,301 cases
# for /v1/summary, 106,000 per concise form, against 12,900 with those inner unions held to one layer, and the
# whole set was made at collection in every worker (82 s each) and kept in memory for the session, which made
# each of Keras's clear_session (a gc.collect) take seconds. The `ci` profile holds them to Dense; `thorough`
# covers every layer inside them too.
_INNER_LAYER_UNIONS = ("SequentialLayer", "FunctionalLayer", "WrapperLayer")


def _inner_layers_held_to(document: dict, kept: set[str]) -> dict:
    """The document with the layer unions inside a nested concise model and a wrapper holding only `kept`."""

    def hold(schema: Any) -> None:
        if isinstance(schema, dict):
            names = [option.get("$ref", "").rsplit("/", 1)[-1] for option in schema.get("oneOf", [])]
            if "DenseLayer" in names:  # a union of layers
                schema["oneOf"] = [option for option, name in zip(schema["oneOf"], names) if name in kept]
            for value in schema.values():
                hold(value)
        elif isinstance(schema, list):
            for value in schema:
                hold(value)

    for name in _INNER_LAYER_UNIONS:
        hold(document["components"]["schemas"][name])
    return document


def coverage_schema():
    """The coverage phase over the app's document, /v1/predict's `model` held to the seed's, and under the `ci`
    profile the layers inside nested models and wrappers held to Dense (see above)."""
    document = _predict_model_held_to_the_seed(app_document())
    if os.environ.get(PROFILE_VARIABLE, "ci") == "ci":
        document = _inner_layers_held_to(document, {"DenseLayer"})
    schema = schemathesis.openapi.from_dict(document)
    schema.app, schema.location = APP, "/openapi.json"
    schema.config.phases.update(phases=["coverage"])
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    schema.hook(map_case)
    return schema


# Coverage sets that repeat others, left out for the suite's time: /v1/compare's two sides are each a summary or
# predict body, whose cases run on their own paths (its own set, two models built per case, ran past 20
# minutes); /v1/diagram takes /v1/summary's document and a boolean (fold_repeats) and answers through the same
# engine call, then draws (tests/unit/test_diagram.py, tests/property/test_diagram_properties.py). Both are
# fuzzed below.
coverage = coverage_schema().exclude(path="/v1/compare").exclude(path="/v1/diagram")
# /v1/compare's positive fuzzing found a gap of PredictRequest's document (input names not bound by
# propertyNames), since fixed in schemas/messages.py; it stays out for the suite's time (two models a case),
# its sides being fuzzed on their own paths. Its negative fuzzing runs.
positive = (
    app_schema(["examples", "fuzzing"], [GenerationMode.POSITIVE]).include(method="POST").exclude(path="/v1/compare")
)
negative = app_schema(["fuzzing"], [GenerationMode.NEGATIVE]).include(method="POST")

# Keras builds vary in time: no deadline. Bodies are nested and filtered by schemathesis: no health checks
# about their size or filtering either.
SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
)
# The profile's examples per operation and fuzzing test: 150 under `ci`.
FUZZING = settings(SETTINGS, max_examples=share(1.0).max_examples)


@coverage.parametrize()
@SETTINGS
def test_coverage_cases(case):
    call_and_validate(case)


@positive.parametrize()
@FUZZING
def test_bodies_the_document_allows_are_accepted_or_refused_on_meaning(case):
    call_and_validate(case)


@negative.parametrize()
@FUZZING
def test_bodies_the_document_forbids_are_refused(case):
    call_and_validate(case)
