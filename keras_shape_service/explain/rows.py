"""The answer's layer table and cost, from a planned model's facts: each row's shapes, weights, multiply-adds
and why; the whole model's multiply-adds and bytes for a batch."""

from math import prod
from typing import Any, Optional

from keras_shape_service.facts import LayerFacts
from keras_shape_service.guards.cost import elements, macs
from keras_shape_service.schemas import Cost, LayerRow
from keras_shape_service.schemas.keras_names import MODEL_CLASSES
from keras_shape_service.schemas.messages import WeightShape

from .why import why

_BYTES = {
    "float16": 2,
    "bfloat16": 2,
    "float32": 4,
    "float64": 8,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "int32": 4,
    "uint32": 4,
    "int64": 8,
    "uint64": 8,
    "bool": 1,
}


def _one_or_list(shapes: tuple) -> list:
    return list(shapes[0]) if len(shapes) == 1 else [list(shape) for shape in shapes]


def layer_rows(facts: tuple[LayerFacts, ...]) -> list[LayerRow]:
    """Every layer's row: name, type, shapes, params, trainable, weights, multiply-adds, why, feeders; a nested
    model's own rows."""
    return [
        LayerRow(
            name=f.name,
            type=f.class_name,
            input_shape=_one_or_list(f.input_shapes),
            output_shape=_one_or_list(f.output_shapes),
            params=f.params,
            trainable=f.trainable,
            weights=[WeightShape(name=w.name, shape=list(w.shape)) for w in f.weights],
            macs=macs(f),
            why=why(f),
            inbound=list(f.inbound),
            layers=layer_rows(f.inner) if f.class_name in MODEL_CLASSES else None,
        )
        for f in facts
    ]


def _rows_outputs(facts: tuple[LayerFacts, ...]) -> int:
    """Bytes per example of every row's outputs, a nested model's rows included (a wrapper's inner layer's
    outputs are its own, inside the wrapper's)."""
    total = 0
    for f in facts:
        dtypes = f.output_dtypes or ("float32",) * len(f.output_shapes)
        total += sum(elements(shape) * _BYTES.get(dtype, 4) for shape, dtype in zip(f.output_shapes, dtypes))
        if f.class_name in MODEL_CLASSES:
            total += _rows_outputs(f.inner)
    return total


def cost(facts: tuple[LayerFacts, ...], batch: int) -> Cost:
    """Multiply-adds per example and for the batch, bytes of weights and of every layer's outputs."""
    per_example = sum(macs(f) for f in facts)
    params_bytes = sum(prod(w.shape) * _BYTES.get(w.dtype, 4) for f in facts for w in f.weights)
    activation_bytes = _rows_outputs(facts) * batch
    return Cost(
        macs=per_example,
        batch_macs=per_example * batch,
        params_bytes=params_bytes,
        activation_bytes=activation_bytes,
        total_bytes=params_bytes + activation_bytes,
    )


def answer_fields(
    facts: tuple[LayerFacts, ...], rows: list[LayerRow], report: Any, batch: int, batch_cost: Optional[Cost] = None
) -> dict[str, Any]:
    """A summary's fields: the rows, Keras's params, summary and notes, and the cost for this batch (given, or
    counted now)."""
    return {
        "layers": rows,
        "params": report.params,
        "cost": batch_cost or cost(facts, batch),
        "summary": report.summary,
        "notes": report.notes,
    }
