"""How TensorFlow runs in a worker, settled before anything creates its eager context (on import).

Two choices, both for never-seen models, both keeping a model's eager first answer byte for byte equal to
the answers of its traced function later (tests/unit/test_model_cache.py):
- eager ops run as kernels: TensorFlow 2.21 wraps each eager op in a one-op function and instantiates it,
  through graph optimization passes (XLA's clustering pass among them), for every op, dtype and attribute
  combination it has not seen, ~1 ms each, and a never-seen model meets dozens (a variable's shape is an
  attribute): 18% of a cold request in a worker's profile. TensorFlow's Python hard-codes the option when it
  creates the context, so its setter is wrapped here; a context already created keeps what it has.
- oneDNN's custom ops off: with them on, eager kernels and the traced graph's oneDNN rewrites round
  differently (pooling and softmax stacks answered other last digits), and eager oneDNN pooling even varied
  between two models of the same spec. Off, both paths run the same Eigen kernels, no slower here.
"""
import os
import sys
import warnings
from typing import Any

if "tensorflow" in sys.modules:  # then oneDNN's setting, and maybe the eager context, are already fixed
    warnings.warn("TensorFlow was imported before service.tf_runtime: eager and traced answers may differ in "
                  "their last digits; import service modules first", RuntimeWarning, stacklevel=2)
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # read when TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from tensorflow.python import pywrap_tfe  # noqa: E402  (pinned minor: see requirements.txt)

_set_run_eager_op_as_function = pywrap_tfe.TFE_ContextOptionsSetRunEagerOpAsFunction


def _eager_ops_as_kernels(options: Any, _requested: bool) -> None:
    """TensorFlow's context asks for True, always."""
    _set_run_eager_op_as_function(options, False)


pywrap_tfe.TFE_ContextOptionsSetRunEagerOpAsFunction = _eager_ops_as_kernels


def configure_tensorflow(intra_op: int, inter_op: int) -> None:
    """Size TensorFlow's thread pools to the worker (possible only before its first op) and keep graphs plain.

    Grappler's rewrites (op fusion, constant folding) change float rounding, so a traced call would not
    answer byte for byte what the eager call answered; without them the graph runs the eager kernels.
    """
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op)
        tf.config.threading.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError:  # already initialized: a second app in the same process keeps the first's pools
        pass
