"""Properties 6 and 7: an example's prediction does not depend on its batch, and the answer depends on
nothing but the body: the same body gets the same bytes, another seed other weights."""

from typing import Optional

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_shape_service.schemas import PredictResponse
from tests.property.oracles import has_random_weights
from tests.property.profiles import share
from tests.property.strategies import SEED_LIMIT, ModelCase, model_cases

pytestmark = pytest.mark.property
THIRD = share(0.33)  # several requests per example


@THIRD
@given(case=model_cases(min_batch=2))
def test_a_batch_predicts_what_its_examples_predict_alone(service, case):
    """6. Predicting a batch equals predicting each example alone (up to float32 rounding: kernels may
    differ with the batch size)."""
    whole = service.predict(case.body(), case.may_overflow()).predictions
    alone = [
        service.predict(case.body(inputs=[example]), case.may_overflow()).predictions[0] for example in case.inputs
    ]
    np.testing.assert_allclose(np.array(whole), np.array(alone), rtol=1e-4, atol=1e-5)


def first_weights_alone(case: ModelCase) -> Optional[ModelCase]:
    """The case's first layer with seeded weights, alone, linear, on inputs that show its weights: ones
    (index 0 for an Embedding); None if no layer draws weights from the seed."""
    index = next((i for i, layer in enumerate(case.layers) if has_random_weights(layer)), None)
    if index is None:
        return None
    layer = {k: v for k, v in case.layers[index].items() if k != "input_shape"}
    if layer["type"] in ("Dense", "Conv1D", "Conv2D"):
        layer["activation"] = "linear"
    shape = case.shapes[index]
    fill = 0 if layer["type"] == "Embedding" else 1.0
    inputs = np.full((1,) + shape, fill).tolist()
    return ModelCase([dict(layer, input_shape=list(shape))], shape, inputs, case.seed)


@THIRD
@given(case=model_cases(), offset=st.integers(1, SEED_LIMIT))
def test_the_same_body_gets_the_same_bytes_and_another_seed_other_weights(service, case, offset):
    """7. Determinism: the same body, asked again after other requests, gets the same bytes, whether it is
    answered from memory (the same bytes), by the built model (the same JSON in other bytes) or by a fresh
    build (an explicit default makes it another spec); another seed draws other weights, and changes nothing
    in a model without seeded weights."""
    other_seed = (case.seed + offset) % (SEED_LIMIT + 1)
    may_overflow = case.may_overflow()
    first = service.predict_bytes(case.body(), may_overflow)
    service.summary(case.concise)
    reseeded = service.predict(case.body(seed=other_seed), may_overflow)
    assert service.predict_bytes(case.body(), may_overflow) == first, "answered from memory"
    assert service.predict_bytes(case.body(), may_overflow, indent=1) == first, "answered by the built model"
    rebuilt = {"layers": [dict(layer, trainable=True) for layer in case.layers]}
    assert service.predict_bytes(case.body(rebuilt), may_overflow) == first, "answered by a fresh build"
    probe = first_weights_alone(case)
    if probe is None:
        assert reseeded == PredictResponse.model_validate_json(first)
        return
    ours = service.predict(probe.body()).predictions
    theirs = service.predict(probe.body(seed=other_seed)).predictions
    assert ours != theirs, f"seeds {case.seed} and {other_seed} gave {probe.layers[0]['type']} the same weights"
