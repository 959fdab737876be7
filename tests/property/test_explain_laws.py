"""The explanations' laws, for any generated model: the params arithmetic and the weights' shapes come to the
row's params, the shape sentence names the row's output shape, and the cost is the rows' multiply-adds summed."""

from math import prod

import pytest
from hypothesis import given

from tests.explaining import evaluate, shape_text
from tests.property.profiles import share
from tests.property.strategies import model_cases

pytestmark = pytest.mark.property


@share(0.2)
@given(case=model_cases())
def test_why_params_adds_up_to_the_rows_params(service, case):
    for row in service.predict(case.body(), case.may_overflow()).layers:
        assert evaluate(row.why.params) == row.params, (row.name, row.why.params)
        assert sum(prod(w.shape) for w in row.weights) == row.params


@share(0.2)
@given(case=model_cases())
def test_why_shape_names_the_output_and_the_cost_sums_the_rows(service, case):
    answer = service.predict(case.body(), case.may_overflow())
    for row in answer.layers:
        assert shape_text(row.output_shape) in row.why.shape, (row.type, row.why.shape)
    assert answer.cost.macs == sum(row.macs for row in answer.layers)
    assert answer.cost.batch_macs == answer.cost.macs * case.batch
    assert answer.cost.params_bytes == 4 * answer.params.total
