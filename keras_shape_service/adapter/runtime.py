"""How TensorFlow runs in this process: the environment it reads on import, set before it is imported.

Two choices, both for never-seen models, both keeping a model's eager first answer byte for byte equal to
the answers of its traced function later (tests/unit/test_model_cache.py):
- eager ops run as kernels: TensorFlow 2.21 wraps each eager op in a one-op function and instantiates it,
  through graph optimization passes (XLA's clustering pass among them), for every op, dtype and attribute
  combination it has not seen, and a never-seen model meets dozens (a variable's shape is an attribute).
  A context already created keeps what it has.
- oneDNN's custom ops off: with them on, eager kernels and the traced graph's oneDNN rewrites round
  differently (pooling and softmax stacks answered other last digits), and eager oneDNN pooling even varied
  between two models of the same spec. Off, both paths run the same Eigen kernels.
Keras narrows its summary table to the terminal (COLUMNS - 4) and rich crops to it; answers must not depend on
the terminal: a wide one lets Keras choose its own widths (88 columns, 108 for a graph's "Connected to").
bench/README.md has the measurements behind these choices.
"""

import os
import sys
import warnings

_TERMINAL_COLUMNS = 200  # wider than any table Keras draws

if "tensorflow" in sys.modules:  # then oneDNN's setting, and maybe the eager context, are already fixed
    warnings.warn(
        "TensorFlow was imported before keras_shape_service.adapter: eager and traced answers may differ in "
        "their last digits; import keras_shape_service.adapter first",
        RuntimeWarning,
        stacklevel=2,
    )
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # read when TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ["COLUMNS"] = str(_TERMINAL_COLUMNS)


def allow_chains_of(layers: int) -> None:
    """Let Keras walk a chain of `layers` layers: its graph walk (keras.src.ops.function._build_map_helper)
    recurses once per layer of the longest chain, so Python's default limit of 1,000 frames refused, as a
    RecursionError, chains the layer limit allows. Python 3.11 calls Python functions without C stack."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 2 * layers + 1_000))


def configure_tensorflow(intra_op: int, inter_op: int) -> None:
    """Size TensorFlow's thread pools (possible only before its first op) and keep graphs plain.

    Grappler's rewrites (op fusion, constant folding) change float rounding, so a traced call would not
    answer byte for byte what the eager call answered; without them the graph runs the eager kernels.
    """
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op)
        tf.config.threading.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError:  # already initialized: a second engine in the same process keeps the first's pools
        pass
