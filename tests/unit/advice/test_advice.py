"""keras_shape_service.advice with neither Flask nor Keras: what a refusal's cause reads as, for a user."""

import pytest
from pydantic import ValidationError

from keras_shape_service.advice import advise_body
from keras_shape_service.advice.fixes import indices_advice, misfit_advice
from keras_shape_service.advice.hints import did_you_mean, misnamed_advice, pointer
from keras_shape_service.errors import MAX_LISTED_ERRORS, InputsMisfit, InvalidRequest, Misnamed, NotIndices
from keras_shape_service.schemas import SummaryRequest


@pytest.mark.parametrize(
    "name, meant", [("dense", "Dense"), ("Dens", "Dense"), ("Conv2d", "Conv2D"), ("Transformer", None)]
)
def test_did_you_mean_takes_another_case_first_then_the_closest_spelling(name, meant):
    assert did_you_mean(name, ("Dense", "Conv2D", "Conv1D", "Flatten")) == meant


def test_a_pointer_escapes_as_rfc_6901_says():
    assert pointer(["model", "layers", 0, "a/b~c"]) == "/model/layers/0/a~1b~0c"


def test_an_unknown_argument_is_named_and_its_rename_offered():
    cause = Misnamed("argument", "unit", "unit", 4, "Dense", ("model", "layers", 0), ("units", "activation"))
    advice = misnamed_advice(cause)
    assert advice.hint == "Dense has no argument 'unit': did you mean 'units'?"
    assert advice.candidates[0][1] == [
        {"op": "remove", "path": "/model/layers/0/unit"},
        {"op": "add", "path": "/model/layers/0/units", "value": 4},
    ]


def test_one_example_sent_without_its_batch_axis_is_offered_as_a_batch_of_one():
    advice = misfit_advice(InputsMisfit((3, 2), (3, 2), named=False, as_batch=[[[1, 2], [3, 4], [5, 6]]]))
    assert (advice.expected, advice.got) == ("(batch, 3, 2)", "(3, 2)")
    assert advice.candidates == [
        (
            "inputs are batch first: this array is one example, so send it as a batch of one, [inputs].",
            [{"op": "replace", "path": "/inputs", "value": [[[1, 2], [3, 4], [5, 6]]]}],
        )
    ]


def test_one_example_too_large_to_send_back_is_told_the_batch_of_one_without_a_fix():
    advice = misfit_advice(InputsMisfit((200, 100), (200, 100), named=False, as_batch=None, one_example=True))
    assert advice.hint == "inputs are batch first: this array is one example, so send it as a batch of one, [inputs]."
    assert advice.candidates == []


def test_inputs_of_another_shape_are_told_the_example_shape():
    advice = misfit_advice(InputsMisfit((1, 5), (3, 2), named=False))
    assert advice.hint.startswith("Each example must have shape (3, 2) but yours have (5,)")
    assert advice.candidates == []


def test_a_lookup_table_asks_for_indices_within_it():
    advice = indices_advice(NotIndices("Embedding", "embedding", 100, (None, 10)))
    assert advice.expected == "(None, 10) of whole numbers from 0 to 99"
    assert "Embedding 'embedding' looks up a row of its table" in advice.hint


def _refusal(body: dict) -> InvalidRequest:
    try:
        SummaryRequest.model_validate(body)
    except ValidationError as error:
        return InvalidRequest(error, body)
    raise AssertionError("the body validated")


def test_a_misspelled_layer_type_gets_a_hint_and_a_checked_fix():
    refusal = _refusal({"model": {"layers": [{"type": "Dens", "units": 4, "input_shape": [3]}]}})
    fixes = advise_body(refusal, SummaryRequest.model_validate)
    item = refusal.errors[0]
    assert item.hint == "There is no layer type 'Dens': did you mean 'Dense'?" and item.fix is None
    assert fixes, "the patched body validates, so a fix awaits only its planning"


def test_a_body_of_many_errors_lists_a_bounded_number_and_says_how_many():
    refusal = _refusal({"model": {"layers": [{"type": "Dens"}] * 500}})
    assert len(refusal.errors) == MAX_LISTED_ERRORS
    assert refusal.detail.startswith("500 invalid field(s) (the first 20 are listed)")
    advise_body(refusal)
    assert all(item.hint and "did you mean 'Dense'" in item.hint for item in refusal.errors)
