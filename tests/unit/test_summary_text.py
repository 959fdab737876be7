"""The summary text the service draws without rich is Keras's own print_summary output, character for character.

Each model is built with real Keras (or by the service's planner, as a request builds it) and drawn both ways:
the service's drawing alone (summary._draw, no fallback) must equal what Keras prints, captured.
"""

import keras
import pytest

from keras_shape_service.adapter import plan, summary
from keras_shape_service.schemas.examples import SEED_MODEL
from keras_shape_service.schemas.messages import SummaryRequest
from keras_shape_service.specs.forms import canonical_spec


def _same_as_keras(model) -> str:
    drawn = summary._draw(model)
    assert drawn == summary.keras_summary_text(model)
    return drawn


def _planned(model_body: dict):
    spec = canonical_spec(SummaryRequest.model_validate({"model": model_body}).model)
    return plan(spec, seed=0, max_build_elements=10**9)


def test_the_seed_model_as_the_service_plans_it():
    planned = _planned(SEED_MODEL)
    drawn = _same_as_keras(planned.model)
    assert drawn == planned.report.summary
    assert drawn.startswith('Model: "sequential"\n┏')
    assert (
        " Total params: 244 (976.00 B)\n Trainable params: 244 (976.00 B)\n Non-trainable params: 0 (0.00 B)\n" in drawn
    )
    assert "│ dense (Dense)                        │ (None, 3, 16)               │              48 │" in drawn


def test_long_names_and_long_shapes_wrap_as_rich_wraps_them():
    model = keras.Sequential(
        [
            keras.layers.InputLayer(shape=(3, 4, 5, 6, 7, 8, 9)),
            keras.layers.Dense(1234567, name="a_layer_name_far_longer_than_its_column_is_wide_and_then_some"),
            keras.layers.Dense(2, name="several words that wrap  at  spaces   inside the layer column"),
            keras.layers.Activation("relu", name="x" * 36),  # exactly the column's width with " (Activation)"
            keras.layers.Activation("relu", name="y" * 35),
            keras.layers.Dense(2, name="z" * 29),  # " (Dense)" makes it one column wider than its cell
        ],
        name="long names",
    )
    drawn = _same_as_keras(model)
    assert "a_layer_name_far_longer_than_its_co… │" in drawn  # a word too long for the cell ends with "…"
    assert "│ (None, 3, 4, 5, 6, 7, 8,    │      12,345,670 │\n" in drawn  # a shape wraps after a comma
    assert "│ 1234567)                    │                 │\n" in drawn
    # The spaces a wrapped line ends with go first when it is too long, then the rest pads it.
    assert "│ several words that wrap  at  spaces  │" in drawn and "│ inside the layer column (Dense)      │" in drawn
    assert "│ " + "z" * 29 + "        │" in drawn


def test_a_graph_with_merges_several_inputs_and_outputs_and_a_shared_layer():
    left, right = keras.Input((4,), name="left"), keras.Input((4,), name="right")
    shared = keras.layers.Dense(4, name="shared")
    added = keras.layers.Add()([shared(left), shared(right)])
    joined = keras.layers.Concatenate(name="joined")([added, left, right])
    model = keras.Model([left, right], [added, keras.layers.Dense(2)(joined), joined], name="merges")
    drawn = _same_as_keras(model)
    assert "Connected to" in drawn and "│ shared (Dense)" in drawn
    assert "shared[0][0],            │" in drawn or "shared[0][0], shared[1][0]" in drawn
    assert drawn.splitlines()[1] == "┏" + "━" * 31 + "┳" + "━" * 27 + "┳" + "━" * 17 + "┳" + "━" * 28 + "┓"


def test_a_layer_with_several_outputs_shows_their_shapes_as_a_list():
    inputs = keras.Input((6, 3))
    sequences, state = keras.layers.GRU(5, return_sequences=True, return_state=True)(inputs)
    model = keras.Model(inputs, [sequences, keras.layers.Dense(2)(state)])
    drawn = _same_as_keras(model)
    assert "[(None, 6, 5), (None, 5)]" in drawn


def test_nested_models_in_a_graph_and_in_a_sequence():
    inner = keras.Sequential([keras.layers.InputLayer(shape=(4,)), keras.layers.Dense(5)], name="inner")
    inputs = keras.Input((4,))
    outputs = keras.layers.Add()([inner(inputs), inner(keras.layers.Dense(4)(inputs))])
    outer = keras.Model(inputs, outputs, name="outer")
    _same_as_keras(outer)
    _same_as_keras(keras.Sequential([keras.layers.InputLayer(shape=(4,)), outer, keras.layers.Dense(1)]))


def test_a_layer_called_twice_in_a_chain_makes_a_graph_table():
    inputs = keras.Input((3,))
    twice = keras.layers.Dense(3, name="twice")
    model = keras.Model(inputs, twice(twice(inputs)))
    drawn = _same_as_keras(model)
    assert "Connected to" in drawn and "twice[0][0]" in drawn


def test_a_chain_built_as_a_graph_is_drawn_as_a_sequence_with_its_input_layer():
    inputs = keras.Input((3,), name="only_input")
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Dense(3)(inputs)))
    drawn = _same_as_keras(model)
    assert "Connected to" not in drawn and "only_input (InputLayer)" in drawn


def test_recurrent_embedding_and_normalization_layers():
    model = keras.Sequential(
        [
            keras.layers.InputLayer(shape=(7,)),
            keras.layers.Embedding(1000, 8),
            keras.layers.LSTM(6, return_sequences=True),
            keras.layers.Bidirectional(keras.layers.GRU(3)),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.5),
        ]
    )
    drawn = _same_as_keras(model)
    assert "Non-trainable params: 12 (48.00 B)" in drawn


def test_a_variable_length_model_shows_none():
    model = keras.Sequential([keras.layers.InputLayer(shape=(None,)), keras.layers.Embedding(50, 4)])
    assert "(None, None, 4)" in _same_as_keras(model)


def test_an_unbuilt_sequential_has_unknown_shapes_and_unbuilt_layers():
    drawn = _same_as_keras(keras.Sequential([keras.layers.Dense(3), keras.layers.Dense(1)]))
    assert "0 (unbuilt)" in drawn


def test_a_compiled_and_built_optimizer_adds_its_line():
    model = keras.Sequential([keras.layers.InputLayer(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    assert " Optimizer params: " in _same_as_keras(model)


@pytest.mark.parametrize("name", ["brackets[0]", "colon:smile:", "ünïcode", "宽字符"])
def test_names_rich_reads_otherwise_are_left_to_keras(name):
    model = keras.Sequential([keras.layers.InputLayer(shape=(2,)), keras.layers.Dense(1, name=name)])
    with pytest.raises(summary._Unsupported):
        summary._draw(model)
    assert summary.summary_text(model) == summary.keras_summary_text(model)


def test_a_narrow_console_is_left_to_keras(monkeypatch):
    model = keras.Sequential([keras.layers.InputLayer(shape=(2,)), keras.layers.Dense(1)])
    monkeypatch.setenv("COLUMNS", "80")  # Keras narrows its table to 76 columns
    with pytest.raises(summary._Unsupported):
        summary._draw(model)
    assert summary.summary_text(model) == summary.keras_summary_text(model)
    assert len(summary.summary_text(model).splitlines()[1]) == 76


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ResNet50", "MobileNetV2", "DenseNet121", "EfficientNetB0"])
def test_keras_applications(name):
    _same_as_keras(getattr(keras.applications, name)(weights=None))
