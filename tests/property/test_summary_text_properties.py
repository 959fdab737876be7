"""The summary text the service draws without rich is Keras's own print_summary output, for any model the
service plans: the suite's generated Sequential models, some layers renamed (names as long as the service takes
them, as a single word longer than the cell Keras cuts with an ellipsis), drawn both ways and compared character
for character. Names with spaces and other characters, which the service refuses, are in test_summary_text.py."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_shape_service.adapter import plan, summary
from keras_shape_service.schemas.messages import SummaryRequest
from keras_shape_service.specs.forms import canonical_spec
from tests.property.strategies import model_cases

pytestmark = pytest.mark.property

# The service's layer names (schemas/spec.py NAME_PATTERN), up to twice the width of the name's cell.
names = st.text(st.sampled_from("abcxyzABC0189_.-"), min_size=1, max_size=70)


@st.composite
def named_cases(draw):
    """A generated model, each layer kept under Keras's name or given a drawn one (made unique by a suffix)."""
    case = draw(model_cases())
    layers = []
    for number, layer in enumerate(case.layers):
        name = draw(st.none() | names)
        layers.append(layer if name is None else dict(layer, name=f"{name}{number}"))
    return layers


@given(layers=named_cases())
def test_the_drawn_summary_is_keras_own(layers):
    spec = canonical_spec(SummaryRequest.model_validate({"model": {"layers": layers}}).model)
    model = plan(spec, seed=0, max_build_elements=10**9).model
    assert summary._draw(model) == summary.keras_summary_text(model)
