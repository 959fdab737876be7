"""The names schemas/keras_names.py lists (so that schemas and guards need no TensorFlow) are Keras's own."""

import keras
import pytest

from keras_shape_service.schemas.keras_names import (
    ACTIVATIONS,
    ALLOWED_LAYER_TYPES,
    APPLICATION_LAYERS,
    APPLICATION_LAYERS_KERAS_VERSION,
    CONSTRAINTS,
    INITIALIZERS,
    NESTED_ONLY_LAYER_TYPES,
    REGULARIZERS,
)


def _public_classes(module, base) -> set[str]:
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and isinstance(getattr(module, name), type)
        and issubclass(getattr(module, name), base)
        and getattr(module, name) is not base
    }


def test_every_allowed_layer_name_is_a_keras_layer():
    for name in ALLOWED_LAYER_TYPES + NESTED_ONLY_LAYER_TYPES:
        assert issubclass(getattr(keras.layers, name), keras.layers.Layer), name
    assert not {"Lambda", "TFSMLayer", "JaxLayer", "FlaxLayer", "TorchModuleWrapper"} & set(ALLOWED_LAYER_TYPES)


def test_nested_object_names_are_exactly_kerass_public_classes():
    assert set(INITIALIZERS) == _public_classes(keras.initializers, keras.initializers.Initializer)
    assert set(REGULARIZERS) == _public_classes(keras.regularizers, keras.regularizers.Regularizer)
    assert set(CONSTRAINTS) == _public_classes(keras.constraints, keras.constraints.Constraint)


def test_activation_names_are_exactly_kerass_activation_functions():
    functions = {
        name
        for name in dir(keras.activations)
        if not name.startswith("_") and name not in ("get", "serialize", "deserialize")
    }
    assert set(ACTIVATIONS) == functions


def test_the_applications_table_was_checked_against_the_installed_keras():
    """A wrong count would refuse a network that fits max_layers, or build one that does not; the table is
    checked by building every network (minutes), so it carries the Keras it was checked with."""
    assert keras.__version__ == APPLICATION_LAYERS_KERAS_VERSION, (
        f"Keras is {keras.__version__}; the applications table was checked with {APPLICATION_LAYERS_KERAS_VERSION}: "
        "run .venv/bin/python scripts/check_applications.py --write"
    )


@pytest.mark.slow
def test_a_sample_of_the_table_is_kerass():
    """The two smallest networks, built here: the table and the way it is counted agree with Keras."""
    for name in ("VGG16", "MobileNet"):
        with keras.StatelessScope(initialize_variables=False):
            assert len(getattr(keras.applications, name)(weights=None).layers) == APPLICATION_LAYERS[name], name
        keras.backend.clear_session()
