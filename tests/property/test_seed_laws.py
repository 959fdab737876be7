"""Properties 4 and 5: the seed question's answers as laws. Dense acts on the last axis only, so rows never
mix until Flatten; Flatten is Reshape to the product of the axes."""

from math import prod

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.property.profiles import share
from tests.property.strategies import dense_row_cases, flatten_cases, json_copy, row_changes

pytestmark = pytest.mark.property
HALF = share(0.5)  # two requests per example


def _change_one_row(draw, case):
    """The case's inputs with one row of one example changed; which example and which row."""
    example = draw(st.integers(0, case.batch - 1))
    row = draw(st.integers(0, case.input_shape[0] - 1))
    inputs = json_copy(case.inputs)
    inputs[example][row] = [value + draw(row_changes) for value in inputs[example][row]]
    return inputs, example, row


def _outputs_changed(service, case, inputs) -> np.ndarray:
    """Which predictions differ between the case's own inputs and these."""
    before = np.array(service.predict(case.body()).predictions)
    after = np.array(service.predict(case.body(inputs=inputs)).predictions)
    return before != after


@HALF
@given(case=dense_row_cases(flatten=False), data=st.data())
def test_dense_changes_only_the_row_it_is_given(service, case, data):
    """4a. Without Flatten, changing row i of an example changes row i of its output and nothing else."""
    inputs, example, row = _change_one_row(data.draw, case)
    changed = _outputs_changed(service, case, inputs)
    assert changed[example, row].any(), "the changed row's output did not change"
    changed[example, row] = False
    assert not changed.any(), f"outputs changed outside row {row} of example {example}"


@HALF
@given(case=dense_row_cases(flatten=True), data=st.data())
def test_after_flatten_one_row_changes_every_output(service, case, data):
    """4b. Once Flatten precedes the last Dense, changing one row changes every output of that example."""
    inputs, example, row = _change_one_row(data.draw, case)
    changed = _outputs_changed(service, case, inputs)
    assert changed[example].all(), f"some outputs of example {example} did not change"
    changed[example] = False
    assert not changed.any(), "another example's outputs changed"


@HALF
@given(case=flatten_cases(), target=st.sampled_from(["product", -1]))
def test_flatten_and_reshape_to_the_product_predict_the_same(service, case, target):
    """5. Reshape([product]) (or [-1]) in place of Flatten: same shapes, params and predictions, since the
    layers after it draw the same weights from the same seed."""
    index = next(i for i, layer in enumerate(case.layers) if layer["type"] == "Flatten")
    reshape = {"type": "Reshape", "target_shape": [prod(case.shapes[index]) if target == "product" else -1]}
    layers = [dict(layer) for layer in case.layers]
    layers[index] = dict(reshape, **{k: v for k, v in layers[index].items() if k == "input_shape"})
    flat = service.predict(case.body(), case.may_overflow())
    reshaped = service.predict(case.body({"layers": layers}), case.may_overflow())
    assert reshaped.predictions == flat.predictions
    assert reshaped.params == flat.params
    strip = [(row.input_shape, row.output_shape, row.params) for row in flat.layers]
    assert [(row.input_shape, row.output_shape, row.params) for row in reshaped.layers] == strip
    assert reshaped.layers[index].type == "Reshape" and flat.layers[index].type == "Flatten"
