"""Typed requests and answers of keras-shape-service; imports without TensorFlow, Flask or the service."""

from .keras_names import ALLOWED_LAYER_TYPES
from .messages import (
    CompareRequest,
    CompareResponse,
    Cost,
    Difference,
    Health,
    LayerRow,
    ParamCounts,
    PatchOperation,
    PredictRequest,
    PredictResponse,
    Problem,
    ProblemItem,
    SummaryRequest,
    SummaryResponse,
)
from .spec import CompileSpec, LayersModelSpec, NativeLayer, SequentialDocument

__all__ = [
    "ALLOWED_LAYER_TYPES",
    "CompareRequest",
    "CompareResponse",
    "CompileSpec",
    "Cost",
    "Difference",
    "Health",
    "LayerRow",
    "LayersModelSpec",
    "NativeLayer",
    "ParamCounts",
    "PatchOperation",
    "PredictRequest",
    "PredictResponse",
    "Problem",
    "ProblemItem",
    "SequentialDocument",
    "SummaryRequest",
    "SummaryResponse",
]
