"""The Keras adapter: the only package that imports Keras or TensorFlow.

Importing it settles how TensorFlow runs in this process (runtime.py sets the environment TensorFlow reads on
import; private.py holds every private name used), then offers the two halves: planner.py builds a model's
shapes without allocating weights (builder.py makes it from the canonical spec, layers.py each layer), and
ready.py gives a planned model its weights and calls it.
"""

# isort: off
from . import runtime  # noqa: F401  (first: the environment TensorFlow reads when imported)

# isort: on
from . import private
from .facts import facts_for_inputs
from .layers import OUT_OF_MEMORY, keras_message, positional_arguments
from .planner import PlannedModel, plan
from .ready import ReadyModel, materialize
from .runtime import allow_chains_of, configure_tensorflow
from .signature import signature
from .summary import summary_text

private.run_eager_ops_as_kernels()

__all__ = [
    "OUT_OF_MEMORY",
    "PlannedModel",
    "ReadyModel",
    "allow_chains_of",
    "configure_tensorflow",
    "facts_for_inputs",
    "keras_message",
    "materialize",
    "plan",
    "positional_arguments",
    "signature",
    "summary_text",
]
