"""Every private Keras and TensorFlow name the service uses, each with its reason; checked on import.

Keras and TensorFlow are pinned to a minor version in requirements.txt for these. A newer release that renames
one fails here, on import, with the name and the versions, rather than deep inside a request.
"""
import collections
from typing import Any

import keras
import tensorflow as tf
from keras.src.backend.common import global_state
from tensorflow.python import pywrap_tfe

PINNED = "keras==3.15.* and tensorflow-cpu==2.21.* (see requirements.txt)"


def _require(owner: Any, name: str) -> None:
    if not hasattr(owner, name):
        raise ImportError(f"keras-shape-service needs {PINNED}: {getattr(owner, '__name__', owner)}.{name} is "
                          f"missing in keras {keras.__version__} / tensorflow {tf.__version__}")


for _owner, _name in ((global_state, "set_global_attribute"), (global_state, "get_global_attribute"),
                      (keras.Variable, "_deferred_initialize"), (keras.layers.Layer, "_flatten_layers"),
                      (pywrap_tfe, "TFE_ContextOptionsSetRunEagerOpAsFunction")):
    _require(_owner, _name)


def reset_layer_names() -> None:
    """Keras names layers from a process-wide counter; each model starts it afresh ("dense", "dense_1")."""
    global_state.set_global_attribute("object_name_uids", collections.defaultdict(int))


def take_deferred_variables() -> list:
    """The variables a StatelessScope created without memory, handed over once (Keras keeps a global list)."""
    pending = global_state.get_global_attribute("uninitialized_variables") or []
    global_state.set_global_attribute("uninitialized_variables", [])
    return list(pending)


def initialize_deferred(variable: Any) -> None:
    """Allocate and initialize a variable created in a StatelessScope (Keras's public path initializes all)."""
    variable._deferred_initialize()


def sublayers(layer: Any) -> list:
    """The layer and every layer inside it (wrappers, RNN cells, nested models), as Keras tracks them."""
    return list(layer._flatten_layers(include_self=True, recursive=True))


def run_eager_ops_as_kernels() -> None:
    """TensorFlow's Python hard-codes "run eager ops as one-op functions" when it creates its context (see
    runtime.py for why not); the setter it calls is wrapped to ask for kernels instead."""
    set_option = pywrap_tfe.TFE_ContextOptionsSetRunEagerOpAsFunction

    def as_kernels(options: Any, _requested: bool) -> None:
        set_option(options, False)
    pywrap_tfe.TFE_ContextOptionsSetRunEagerOpAsFunction = as_kernels
