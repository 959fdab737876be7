"""Properties 1-3: the layer table and the output shape follow Keras's documented rules, for any model."""

import re

import numpy as np
import pytest
from hypothesis import given

from tests.property.oracles import expected_rows
from tests.property.strategies import model_cases

pytestmark = pytest.mark.property


def _summary_count(summary: str, label: str) -> int:
    """A count the summary text states, e.g. 'Total params: 1,234 (4.82 KB)' -> 1234."""
    match = re.search(rf"^\s*{label}: ([\d,]+) ", summary, re.M)
    assert match, f"no '{label}' line in the summary:\n{summary}"
    return int(match.group(1).replace(",", ""))


@given(case=model_cases())
def test_shapes_chain_from_the_input_to_the_predictions(service, case):
    """1. output_shape == shape of predictions == [batch] + the last layer's shape; each layer takes what
    the previous one gave; the first takes [null] + the input shape."""
    answer = service.predict(case.body(), case.may_overflow())
    table = answer.layers
    assert len(table) == len(case.layers)
    assert answer.output_shape == [case.batch] + table[-1].output_shape[1:]
    assert list(np.shape(answer.predictions)) == answer.output_shape
    assert table[0].input_shape == [None, *case.input_shape]
    for before, after in zip(table, table[1:]):
        assert after.input_shape == before.output_shape
    assert all(row.output_shape[0] is None for row in table)


@given(case=model_cases())
def test_every_layer_shape_agrees_with_the_shape_oracle(service, case):
    """2. Dense: last axis; Flatten: product; conv/pool: valid/same arithmetic; RNN: return_sequences; ..."""
    answer = service.predict(case.body(), case.may_overflow())
    expected = expected_rows(case.layers, case.input_shape)
    assert [(row.type, row.input_shape, row.output_shape) for row in answer.layers] == [
        (layer["type"], [None, *rows.input_shape], [None, *rows.output_shape])
        for layer, rows in zip(case.layers, expected)
    ]


@given(case=model_cases())
def test_every_layer_params_agree_with_the_parameter_oracle(service, case):
    """3. Per-layer params from the formulas; their sums are the totals, which the summary text states."""
    answer = service.predict(case.body(), case.may_overflow())
    expected = expected_rows(case.layers, case.input_shape)
    assert [row.params for row in answer.layers] == [rows.params.total for rows in expected]
    trainable = sum(rows.params.trainable for rows in expected)
    non_trainable = sum(rows.params.non_trainable for rows in expected)
    assert (answer.params.trainable, answer.params.non_trainable) == (trainable, non_trainable)
    assert answer.params.total == sum(row.params for row in answer.layers) == trainable + non_trainable
    assert _summary_count(answer.summary, "Total params") == answer.params.total
    assert _summary_count(answer.summary, "Trainable params") == trainable
    assert _summary_count(answer.summary, "Non-trainable params") == non_trainable
