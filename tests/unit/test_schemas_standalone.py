"""schemas is usable by another program's test harness with neither TensorFlow, Flask nor the service."""
import subprocess
import sys

import keras

from schemas import ALLOWED_LAYER_TYPES
from schemas.layer_names import NESTED_ONLY_LAYER_TYPES


def test_schemas_import_alone():
    code = ("import sys, schemas; from schemas.openapi import openapi_document; openapi_document(); "
            "heavy = {'tensorflow', 'keras', 'flask', 'service'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_allowed_name_is_a_keras_layer():
    for name in ALLOWED_LAYER_TYPES + NESTED_ONLY_LAYER_TYPES:
        assert issubclass(getattr(keras.layers, name), keras.layers.Layer), name
    assert not {"Lambda", "TFSMLayer", "JaxLayer", "FlaxLayer", "TorchModuleWrapper"} & set(ALLOWED_LAYER_TYPES)
