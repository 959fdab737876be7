"""Property 8: the three spec forms are one model, and /v1/summary answers what /v1/predict answers."""

import pytest
from hypothesis import given

from tests.property.profiles import share
from tests.property.strategies import model_cases

pytestmark = pytest.mark.property
# Each example builds the native and document forms with real Keras (a clear_session each) and asks five times.
FIFTH = share(0.2)


@FIFTH
@given(case=model_cases())
def test_the_three_forms_get_the_same_answer_and_summary_agrees_with_predict(service, case):
    """8. Concise, Keras-native and to_json forms: same layers, params, predictions and summary; /v1/summary
    of each form: the layers, params and summary /v1/predict gave."""
    concise = service.predict(case.body(), case.may_overflow())
    for form, model in case.forms().items():
        answer = service.predict(case.body(model), case.may_overflow())
        assert answer.layers == concise.layers, form
        assert answer.params == concise.params, form
        assert answer.predictions == concise.predictions, form
        assert answer.summary == concise.summary, form
    for form in ("concise", "document"):
        summary = service.summary(case.forms()[form])
        assert (summary.layers, summary.params, summary.summary) == (concise.layers, concise.params, concise.summary), (
            form
        )
