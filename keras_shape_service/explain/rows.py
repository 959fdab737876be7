"""The answer's layer table and cost, from a planned model's facts: each row's shapes, weights, multiply-adds
and why; the whole model's multiply-adds and bytes for a batch."""

from math import prod
from typing import Any, Optional

from keras_shape_service.facts import LayerFacts, WeightFacts
from keras_shape_service.guards.cost import elements, macs
from keras_shape_service.schemas import Cost, LayerRow
from keras_shape_service.schemas.keras_names import MODEL_CLASSES
from keras_shape_service.schemas.messages import WeightShape

from .why import why

MAX_BATCH_ANSWER = 2**53  # where nothing grows with the batch: any batch fits (JSON's largest exact integer)
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


def _trainable(facts: tuple[LayerFacts, ...], frozen: bool = False) -> list[WeightFacts]:
    """model.trainable_variables: the trainable weights of the layers not frozen (a frozen nested model freezes
    its layers; a layer's own non-trainable weights, e.g. moving statistics, are never trained)."""
    found = []
    for f in facts:
        if f.class_name in MODEL_CLASSES:
            found += _trainable(f.inner, frozen or not f.trainable)
        elif f.trainable and not frozen:
            found += [w for w in f.weights if w.trainable]
    return found


# What Keras's optimizers build with their defaults (keras/src/optimizers): slots per trainable variable, each
# of its shape and dtype (SGD's momentum is 0 by default: no slot; RMSprop is neither centered nor with
# momentum; Adam is not amsgrad); Nadam adds one float32 scalar (its u_product).
_SLOTS = {
    "sgd": 0,
    "adam": 2,
    "adamw": 2,
    "adamax": 2,
    "nadam": 2,
    "rmsprop": 1,
    "adagrad": 1,
    "adadelta": 2,
    "ftrl": 2,
    "lion": 1,
}
_EXTRA_SCALARS = {"nadam": 1}
_COUNTERS = (("iteration", 8), ("learning_rate", 4))  # every optimizer's: an int64 and a float32 scalar


def optimizer_state(optimizer: Optional[str], trainable: list[WeightFacts]) -> Optional[tuple[int, int]]:
    """The numbers and bytes of the optimizer's variables once built for these weights, as
    sum(prod(v.shape) for v in optimizer.variables) counts them; None for an optimizer not known here."""
    name = (optimizer or "").lower()
    numbers = len(_COUNTERS) + _EXTRA_SCALARS.get(name, 0)
    size = sum(nbytes for _, nbytes in _COUNTERS) + 4 * _EXTRA_SCALARS.get(name, 0)
    if name == "adafactor":
        # Per variable: its velocity, and for rank 2 and up the row and column factors, else two int32 scalars.
        for w in trainable:
            factors = prod(w.shape[:-1]) + prod(w.shape[:-2]) * w.shape[-1] if len(w.shape) >= 2 else 2
            numbers += prod(w.shape) + factors
            size += (prod(w.shape) + factors) * _BYTES.get(w.dtype, 4)
        return numbers, size
    if name not in _SLOTS:
        return None
    numbers += _SLOTS[name] * sum(prod(w.shape) for w in trainable)
    size += _SLOTS[name] * sum(prod(w.shape) * _BYTES.get(w.dtype, 4) for w in trainable)
    return numbers, size


def cost(facts: tuple[LayerFacts, ...], batch: int, optimizer: Optional[str] = None) -> Cost:
    """Multiply-adds per example and for the batch, bytes of weights and of every layer's outputs; and what a
    training step holds for the batch: weights, their gradients, the optimizer's state, the outputs kept for
    the backward pass."""
    per_example = sum(macs(f) for f in facts)
    params_bytes = sum(prod(w.shape) * _BYTES.get(w.dtype, 4) for f in facts for w in f.weights)
    activation_bytes = _rows_outputs(facts) * batch
    trainable = _trainable(facts)
    gradient_bytes = sum(prod(w.shape) * _BYTES.get(w.dtype, 4) for w in trainable)
    state = optimizer_state(optimizer or "SGD", trainable)
    optimizer_params, optimizer_bytes = state if state else (None, None)
    return Cost(
        macs=per_example,
        batch_macs=per_example * batch,
        params_bytes=params_bytes,
        activation_bytes=activation_bytes,
        total_bytes=params_bytes + activation_bytes,
        optimizer=optimizer or "SGD",
        gradient_bytes=gradient_bytes,
        optimizer_params=optimizer_params,
        optimizer_bytes=optimizer_bytes,
        training_bytes=params_bytes + gradient_bytes + (optimizer_bytes or 0) + activation_bytes,
    )


def largest_batch(batch_cost: Cost, batch: int, budget: int) -> int:
    """The largest batch whose training step fits in `budget` bytes: what does not grow with the batch (weights,
    gradients, optimizer state), then the kept outputs per example; 0 where even the first part does not fit."""
    per_example = batch_cost.activation_bytes // batch
    fixed = batch_cost.training_bytes - batch_cost.activation_bytes
    if fixed > budget:
        return 0
    return (budget - fixed) // per_example if per_example else MAX_BATCH_ANSWER


def answer_fields(
    facts: tuple[LayerFacts, ...],
    rows: list[LayerRow],
    report: Any,
    batch: int,
    batch_cost: Optional[Cost] = None,
    optimizer: Optional[str] = None,
) -> dict[str, Any]:
    """A summary's fields: the rows, Keras's params, summary and notes, and the cost for this batch (given, or
    counted now)."""
    return {
        "layers": rows,
        "params": report.params,
        "cost": batch_cost or cost(facts, batch, optimizer),
        "summary": report.summary,
        "notes": report.notes,
    }
