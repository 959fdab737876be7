"""Property: a fix the service offers always works. For generated beginner mistakes (a missing channels axis,
vectors fed to a recurrent layer, an RNN's last step fed to another, sequences fed to RepeatVector, a Reshape of
the wrong size, misspelled types, arguments and activations), every refusal carries a hint, and every fix it
offers, applied to the request, answers 200."""

import jsonpatch
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.property.profiles import share

pytestmark = pytest.mark.property
RARELY = share(0.1)  # each example costs a refusal, the candidates' plans, and the fixed request
RECURRENT = ("SimpleRNN", "LSTM", "GRU")
SPATIAL = {
    "Conv1D": 1,
    "Conv2D": 2,
    "Conv3D": 3,
    "MaxPooling1D": 1,
    "MaxPooling2D": 2,
    "AveragePooling2D": 2,
    "MaxPooling3D": 3,
}
sizes = st.integers(4, 9)


@st.composite
def missing_channels(draw):
    """A convolution or pooling layer first, its input shape given without the channels axis."""
    layer_type = draw(st.sampled_from(sorted(SPATIAL)))
    layer = {
        "type": layer_type,
        "input_shape": draw(st.lists(sizes, min_size=SPATIAL[layer_type], max_size=SPATIAL[layer_type])),
    }
    if layer_type.startswith("Conv"):
        layer.update(filters=draw(st.integers(1, 4)), kernel_size=draw(st.integers(1, 3)))
    else:
        layer.update(pool_size=2)
    return [layer]


@st.composite
def vectors_into_sequences(draw):
    """A recurrent layer fed vectors: by a Dense layer, or by another recurrent layer's last step."""
    first = draw(st.sampled_from(("Dense",) + RECURRENT))
    shape = [draw(sizes)] if first == "Dense" else [draw(sizes), draw(st.integers(1, 3))]
    return [
        {"type": first, "units": draw(st.integers(1, 8)), "input_shape": shape},
        {"type": draw(st.sampled_from(RECURRENT)), "units": draw(st.integers(1, 4))},
    ]


@st.composite
def wrong_rank_for_vectors_or_sequences(draw):
    """Sequences fed to RepeatVector, or images fed to a recurrent layer."""
    if draw(st.booleans()):
        return [
            {"type": "LSTM", "units": 3, "return_sequences": True, "input_shape": [draw(sizes), 2]},
            {"type": "RepeatVector", "n": draw(st.integers(1, 4))},
        ]
    return [
        {"type": "Conv2D", "filters": 2, "kernel_size": 3, "input_shape": [draw(sizes), draw(sizes), 1]},
        {"type": draw(st.sampled_from(RECURRENT)), "units": 3},
    ]


@st.composite
def reshape_of_the_wrong_size(draw):
    """A Reshape whose target holds another number of values than its input."""
    rows, columns, wrong = draw(sizes), draw(sizes), draw(sizes)
    return (
        [{"type": "Reshape", "target_shape": [rows, wrong], "input_shape": [rows * columns]}]
        if wrong != columns
        else [{"type": "Reshape", "target_shape": [rows, wrong + 1], "input_shape": [rows * wrong]}]
    )


def _misspelled(draw, word: str) -> str:
    """One letter dropped, or the word in lower case."""
    if draw(st.booleans()):
        return word.lower() if word.lower() != word else word.upper()
    position = draw(st.integers(0, len(word) - 1))
    return word[:position] + word[position + 1 :]


@st.composite
def misspellings(draw):
    """A Dense layer with its type, its `units` or its activation misspelled (into no other name: "relu" less a
    letter is "elu")."""
    layer = {
        "type": "Dense",
        "units": 8,
        "activation": draw(st.sampled_from(("sigmoid", "softmax", "tanh"))),
        "input_shape": [draw(sizes)],
    }
    key = draw(st.sampled_from(("type", "units", "activation")))
    if key == "units":
        layer[_misspelled(draw, "units")] = layer.pop("units")
    else:
        layer[key] = _misspelled(draw, layer[key])
    return [layer]


mistakes = st.one_of(
    missing_channels(),
    vectors_into_sequences(),
    wrong_rank_for_vectors_or_sequences(),
    reshape_of_the_wrong_size(),
    misspellings(),
)


@RARELY
@given(layers=mistakes)
def test_every_fix_offered_plans(service, layers):
    body = {"model": {"layers": layers}}
    item = service.problem("/v1/summary", body).errors[0]
    assert item.hint, f"no hint for {item}"
    event("fix offered" if item.fix else "hint only")
    if item.fix:
        fixed = jsonpatch.apply_patch(body, [op.model_dump(exclude_none=True) for op in item.fix])
        service.summary(fixed["model"])
