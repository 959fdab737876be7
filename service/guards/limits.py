"""Resource bounds, checked from sizes and shapes before anything large is allocated."""
from math import prod
from typing import Any

from schemas import SummaryResponse

from ..canonical import CanonicalSpec
from ..errors import LimitExceeded
from ..settings import Settings


def json_depth(document: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON document, counted without recursion; stops once past `limit`."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (list, dict)):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return deepest


def check_depth(document: Any, settings: Settings) -> None:
    depth = json_depth(document, settings.max_json_depth)
    if depth > settings.max_json_depth:
        raise LimitExceeded("max_json_depth", settings.max_json_depth, depth, "JSON nesting depth", status=400)


def check_layer_count(count: int, settings: Settings) -> None:
    if count > settings.max_layers:
        raise LimitExceeded("max_layers", settings.max_layers, count, "number of layers")


def check_inputs(shape: tuple[int, ...], settings: Settings) -> None:
    """Bound the batch and the number of input elements."""
    if shape[0] > settings.max_batch:
        raise LimitExceeded("max_batch", settings.max_batch, shape[0], "batch size")
    if prod(shape) > settings.max_input_elements:
        raise LimitExceeded("max_input_elements", settings.max_input_elements, prod(shape), "number of inputs")


def check_params(report: SummaryResponse, limit_name: str, settings: Settings) -> None:
    limit = getattr(settings, limit_name)
    if report.params.total > limit:
        raise LimitExceeded(limit_name, limit, report.params.total, "number of parameters")


def check_activations(report: SummaryResponse, batch: int, settings: Settings) -> None:
    """The largest output any layer would produce for this batch."""
    largest = max(prod(d or 1 for d in row.output_shape[1:]) for row in report.layers) * batch
    if largest > settings.max_activation_elements:
        raise LimitExceeded("max_activation_elements", settings.max_activation_elements, largest,
                            "largest layer output (elements for the batch)")


def _pool_window(config: dict, spatial_axes: int) -> int:
    """Elements a pooling layer reads for each output, from its pool_size (an int is per spatial axis)."""
    size = config.get("pool_size")
    if isinstance(size, int) and not isinstance(size, bool):
        return size ** spatial_axes
    if isinstance(size, (list, tuple)) and all(isinstance(d, int) and not isinstance(d, bool) for d in size):
        return prod(size)
    return 1


def multiply_adds(report: SummaryResponse, spec: CanonicalSpec, batch: int) -> int:
    """Estimated compute per layer: its weights applied at each position, each input read, each output made
    (times its pooling window, where it has one)."""
    total = 0
    for row, layer in zip(report.layers, spec.layers):
        elements_in, elements_out = prod(d or 1 for d in row.input_shape[1:]), prod(d or 1 for d in row.output_shape[1:])
        positions = max(prod(d or 1 for d in row.input_shape[1:-1]), prod(d or 1 for d in row.output_shape[1:-1]))
        window = _pool_window(layer.config, len(row.output_shape) - 2)
        total += row.params * positions + elements_in + elements_out * window
    return total * batch


def check_work(report: SummaryResponse, spec: CanonicalSpec, batch: int, settings: Settings) -> None:
    work = multiply_adds(report, spec, batch)
    if work > settings.max_multiply_adds:
        raise LimitExceeded("max_multiply_adds", settings.max_multiply_adds, work,
                            "estimated multiply-adds of this prediction")
