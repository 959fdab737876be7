"""Ten models as Keras's own pages write them (tests/examples/), each sent in every form that can say it (the code
as written, the model's to_json document, a concise spec written by hand) and compared with the same code run by
Keras here: every row's name, type, output shape and params, the total, Keras's summary text byte for byte, and
the predictions with the Keras model's own weights, within 1e-6. The service only reads the code; `exec` runs it in
the test, to have Keras's answer."""

import json
from types import ModuleType

import numpy as np
import pytest

from keras_shape_service.adapter import private
from tests.as_keras import assert_answers_as_keras, example_inputs, keras_built
from tests.examples import EXAMPLES

FORMS = ("code", "to_json", "concise")
# What the service cannot yet answer as Keras does, found by this suite: (example, form) -> the exact reason.
KNOWN_DISAGREEMENTS: dict[tuple[str, str], str] = {}


def _cases():
    for name, example in EXAMPLES.items():
        for form in FORMS:
            if form == "concise" and example.CONCISE is None:
                continue  # each example module says why its concise form is not written
            reason = KNOWN_DISAGREEMENTS.get((name, form))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(example, form, id=f"{name}-{form}", marks=marks)


def _built(example: ModuleType):
    """The model the example's code builds when Python runs it (its lines the test cannot run left out)."""
    runnable = "\n".join(line for line in example.CODE.splitlines() if line.strip() not in example.NOT_RUN)
    return keras_built(example.RUN_PRELUDE + runnable, example.MODEL)


def _body(example: ModuleType, form: str, built) -> dict:
    if form == "code":
        return {"code": example.CODE}
    if form == "to_json":
        return {"model": json.loads(built.to_json())}
    return {"model": example.CONCISE}


@pytest.mark.slow
@pytest.mark.parametrize("example, form", list(_cases()))
def test_an_example_from_kerass_pages_answers_as_keras(client, example, form):
    built = _built(example)
    inputs = example_inputs(built, seed=22, steps=6, integers_below=getattr(example, "INTEGERS_BELOW", None))
    constant_layers = {}
    if form == "code":  # a layer the code calls on a constant: its weights are the constant Keras computed
        for name, (operation, argument) in getattr(example, "CONSTANT_LAYERS", {}).items():
            node = private.layer_nodes(next(o for o in private.model_operations(built) if o.name == operation))[0]
            constant_layers[name] = [np.asarray(node.arguments.args[argument]).tolist()]
    assert_answers_as_keras(client, _body(example, form, built), built, inputs, constant_layers)


def test_there_are_ten_examples_and_each_known_disagreement_names_one_of_their_cases():
    assert len(EXAMPLES) >= 10
    cases = {(name, form) for name, example in EXAMPLES.items() for form in FORMS}
    assert set(KNOWN_DISAGREEMENTS) <= cases
    for name, example in EXAMPLES.items():
        assert isinstance(example.CODE, str) and f"{example.MODEL} = " in example.CODE, name
