"""The app against its own /openapi.json: schemathesis generates requests from the document, through WSGI.

Checks: not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
negative_data_rejection and positive_data_acceptance. What JSON Schema cannot say is handled in two marked
places, and nowhere else:

- "rectangular": no JSON Schema names it, and schemathesis 3.39 cannot generate from a recursive or deeply
  nested number-array schema in bounded time, so `inputs` and `weights` are documented as arrays whose items
  are open. Positive cases get hand-made rectangular number arrays there instead (`rectangular_numbers`).
- meaning: a body the document allows can still describe a model Keras refuses, a nested object outside
  the allow-list of service/safety.py, inputs that do not fit the model, or a request past a configured
  limit; the service answers those with the documented 422 (400 for nesting depth, 413 for size). positive_data_acceptance counts exactly these as accepted; every other refusal of
  a positive case, a validation refusal above all, still fails it.
"""
import copy
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import hypothesis  # noqa: E402
import pytest  # noqa: E402
import schemathesis  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.internal.conjecture.utils import many  # noqa: E402
from schemathesis import DataGenerationMethod  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,  # noqa: E402
                                               positive_data_acceptance, response_schema_conformance,
                                               status_code_conformance)
from schemathesis.transports.responses import get_json  # noqa: E402

from service.errors import InvalidInputs, LimitExceeded, ModelRejected, RefusedObject  # noqa: E402
from service.http.app import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402

pytestmark = [pytest.mark.property, pytest.mark.slow]

# Our document is OpenAPI 3.1, which schemathesis 3.x reads only with this switch on.
schemathesis.experimental.OPEN_API_3_1.enable()

# Small limits keep Keras builds and bodies small; the limits themselves are answered like any other refusal.
SMALL_LIMITS = Settings(max_body_bytes=100_000, max_layers=8, max_input_elements=1_000, max_batch=8,
                        max_params=100_000, max_summary_params=1_000_000, max_activation_elements=100_000)
SEMANTIC_REFUSALS = {ModelRejected.title, RefusedObject.title, InvalidInputs.title, LimitExceeded.title}


def positive_data_acceptance_but_meaning(ctx, response, case):
    """positive_data_acceptance, where a refusal on meaning (Keras, the allow-list, inputs vs model, a limit)
    counts as accepted."""
    if response.headers.get("Content-Type") == "application/problem+json" \
            and get_json(response).get("title") in SEMANTIC_REFUSALS:
        return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection, positive_data_acceptance_but_meaning)


@st.composite
def rectangular_numbers(draw, min_axes: int = 0, max_axes: int = 4):
    """A number, or a rectangular nested list of finite numbers with 1-3 items per axis (small on purpose)."""
    shape = draw(st.lists(st.integers(1, 3), min_size=min_axes, max_size=max_axes))
    size = 1
    for side in shape:
        size *= side
    flat = draw(st.lists(st.floats(-100, 100, allow_nan=False, width=32), min_size=size, max_size=size))
    for side in reversed(shape):
        flat = [flat[i:i + side] for i in range(0, len(flat), side)]
    return flat[0]


def _layer_entries(model) -> list:
    """The layer objects of a concise, native or to_json model, wherever the body holds them."""
    if not isinstance(model, dict):
        return []
    config = model.get("config")
    layers = (model.get("layers") or []) + ((config.get("layers") or []) if isinstance(config, dict) else [])
    return [layer for layer in layers if isinstance(layer, dict)]


@st.composite
def with_rectangular_arrays(draw, body: dict):
    """The same body, its `inputs` and every layer's `weights` replaced by rectangular number arrays."""
    body = copy.deepcopy(body)
    if "inputs" in body:
        body["inputs"] = draw(rectangular_numbers(min_axes=1))
    for layer in _layer_entries(body.get("model")):
        if isinstance(layer.get("weights"), list):
            layer["weights"] = [draw(rectangular_numbers()) for _ in layer["weights"]]
    return body


def _generator_works() -> bool:
    """hypothesis-jsonschema 0.23.1, its last release, calls many.more(), which Hypothesis 6.170.10 removed."""
    return hasattr(many, "more")


@pytest.fixture(scope="module")
def app_schema():
    """The document as the app serves it, read over WSGI."""
    if not _generator_works():
        pytest.fail(f"Hypothesis {hypothesis.__version__} cannot drive hypothesis-jsonschema (schemathesis's "
                    "generator): install requirements-test.txt, which pins hypothesis<6.170.10")
    app = create_app(SMALL_LIMITS)
    return schemathesis.from_wsgi("/openapi.json", app)


schema = schemathesis.from_pytest_fixture("app_schema")


@schema.hook
def flatmap_case(context, case):
    """Positive bodies get rectangular arrays; negative ones stay as generated, so they stay negative."""
    if case.data_generation_method is not DataGenerationMethod.positive or not isinstance(case.body, dict):
        return st.just(case)

    def with_body(body):
        changed = case.partial_deepcopy()
        changed.body = body
        return changed
    return with_rectangular_arrays(case.body).map(with_body)


# 15 generated bodies per operation and test, plus the document's example: about a minute in all here.
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                          HealthCheck.data_too_large])


@schema.parametrize(data_generation_methods=[DataGenerationMethod.positive])
@settings(SETTINGS, max_examples=15)
def test_bodies_the_document_allows_are_accepted_or_refused_on_meaning(case):
    case.validate_response(case.call(), checks=CHECKS)


# Only request bodies can be made invalid: the GET operations take nothing to negate.
@schema.include(method="POST").parametrize(data_generation_methods=[DataGenerationMethod.negative])
@settings(SETTINGS, max_examples=15)
def test_bodies_the_document_forbids_are_refused(case):
    case.validate_response(case.call(), checks=CHECKS)
