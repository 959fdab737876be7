"""A built model's facts (service/facts.py): what the guards, the explanations and the layer table need,
read off Keras once, as plain data."""
from typing import Any

from ..facts import LayerFacts, Shape, WeightFacts


def _shapes(tensors: Any) -> tuple[Shape, ...]:
    """The shapes of a layer's input or output: one tensor, or a list of them (merge layers)."""
    if isinstance(tensors, (list, tuple)):
        return tuple(tuple(t.shape) for t in tensors)
    return (tuple(tensors.shape),)


def _first_shape(shape: Any) -> Shape:
    """compute_output_shape's answer, the first one where a layer returns several (states)."""
    if shape and isinstance(shape[0], (list, tuple)):
        return tuple(shape[0])
    return tuple(shape)


def _inner(layer: Any, input_shape: Shape, output_shape: Shape) -> tuple[LayerFacts, ...]:
    """The layers a wrapper holds, each with the shapes it sees."""
    name = type(layer).__name__
    if name == "TimeDistributed":
        return (layer_facts(layer.layer, ((None,) + input_shape[2:],), ((None,) + output_shape[2:],)),)
    if name == "Bidirectional":
        inner_output = _first_shape(layer.forward_layer.compute_output_shape(input_shape))
        return tuple(layer_facts(part, (input_shape,), (inner_output,))
                     for part in (layer.forward_layer, layer.backward_layer))
    return ()


def layer_facts(layer: Any, input_shapes: tuple[Shape, ...], output_shapes: tuple[Shape, ...]) -> LayerFacts:
    return LayerFacts(name=layer.name, class_name=type(layer).__name__, config=layer.get_config(),
                      input_shapes=input_shapes, output_shapes=output_shapes,
                      weights=tuple(WeightFacts(v.name, tuple(v.shape), bool(v.trainable)) for v in layer.weights),
                      inner=_inner(layer, input_shapes[0], output_shapes[0]))


def model_facts(model: Any) -> tuple[LayerFacts, ...]:
    """Every layer of the model, in model.layers order."""
    return tuple(layer_facts(layer, _shapes(layer.input), _shapes(layer.output)) for layer in model.layers)
