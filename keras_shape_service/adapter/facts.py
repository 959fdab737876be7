"""A built model's facts (keras_shape_service/facts.py): what the guards, the explanations and the layer table need,
read off Keras once, as plain data."""

import dataclasses
from typing import Any, Optional

import keras

from keras_shape_service.facts import LayerFacts, Shape, WeightFacts
from keras_shape_service.schemas.keras_names import MODEL_CLASSES, OPERATIONS

from . import private

Resized = dict[int, Shape]  # a graph's tensors' shapes for inputs of other sizes, by id of the graph's tensor
_AS_BUILT: Resized = {}
_WRAPPERS = {"TimeDistributed", "Bidirectional"}  # whose inner layers' facts are made from the wrapper's shapes


def _shapes(tensors: Any, resized: Resized = _AS_BUILT) -> tuple[Shape, ...]:
    return tuple(resized.get(id(t)) or tuple(t.shape) for t in tensors)


def _dtypes(tensors: Any) -> tuple[str, ...]:
    return tuple(str(t.dtype) for t in tensors)


def _listed(tensors: Any) -> list:
    return list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]


def _first_shape(shape: Any) -> Shape:
    """compute_output_shape's answer, the first one where a layer returns several (states)."""
    if shape and isinstance(shape[0], (list, tuple)):
        return tuple(shape[0])
    return tuple(shape)


def _inner(layer: Any, input_shape: Shape, output_shape: Shape) -> tuple[LayerFacts, ...]:
    """The layers a wrapper holds, each with the shapes it sees; a nested model's own layers."""
    name = type(layer).__name__
    if name in MODEL_CLASSES:
        return model_facts(layer)
    if name == "TimeDistributed":
        return (layer_facts(layer.layer, ((None,) + input_shape[2:],), ((None,) + output_shape[2:],)),)
    if name == "Bidirectional":
        inner_output = _first_shape(layer.forward_layer.compute_output_shape(input_shape))
        return tuple(
            layer_facts(part, (input_shape,), (inner_output,)) for part in (layer.forward_layer, layer.backward_layer)
        )
    return ()


def _config(layer: Any) -> dict[str, Any]:
    """A layer's config; a model's is its layers (their facts are its `inner`); an operation's, with the
    operands of its (first) call: a number as given, None for a tensor."""
    if type(layer).__name__ in MODEL_CLASSES:
        return {"name": layer.name}
    config = layer.get_config()
    if _operation(layer):
        nodes = private.layer_nodes(layer)
        args = nodes[0].arguments.args if nodes else ()
        config["operands"] = [None if isinstance(a, keras.KerasTensor) else _plain(a) for a in args]
    return config


def _plain(value: Any) -> Any:
    if keras.ops.is_tensor(value):  # a constant operand (to_json's __tensor__): its shape, not its numbers
        return {"constant": list(value.shape)}
    return value if isinstance(value, (bool, int, float, str, type(None))) else repr(value)[:40]


def _operation(layer: Any) -> str:
    """The shape family of a keras.ops operation node, "" for a layer."""
    if isinstance(layer, keras.layers.Layer):
        return ""
    return OPERATIONS.get(type(layer).__name__, ("", "operation"))[1]


def layer_facts(
    layer: Any,
    input_shapes: tuple[Shape, ...],
    output_shapes: tuple[Shape, ...],
    inbound: tuple[str, ...] = (),
    output_dtypes: tuple[str, ...] = (),
) -> LayerFacts:
    # A keras.ops operation node (x + y, a mask) is no Layer: no weights, nothing to train.
    variables = getattr(layer, "weights", ())
    weights = tuple(WeightFacts(v.name, tuple(v.shape), bool(v.trainable), str(v.dtype)) for v in variables)
    return LayerFacts(
        name=layer.name,
        class_name=type(layer).__name__,
        config=_config(layer),
        input_shapes=input_shapes,
        output_shapes=output_shapes,
        weights=weights,
        inner=_inner(layer, input_shapes[0], output_shapes[0]),
        inbound=inbound,
        output_dtypes=output_dtypes,
        trainable=bool(getattr(layer, "trainable", True)),
        operation=_operation(layer),
    )


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _node_shapes(node: Any, resized: Resized = _AS_BUILT) -> tuple[tuple[Shape, ...], tuple[Shape, ...]]:
    outputs = _shapes(node.output_tensors, resized)
    return _shapes(private.call_inputs(node), resized) or outputs, outputs  # an InputLayer's input is its output


def _other_call(layer: Any, node: Any, first: LayerFacts) -> LayerFacts:
    """A shared layer's later call, with the shapes it sees; a nested model's layers are those of its first."""
    inputs, outputs = _node_shapes(node)
    if first.class_name in MODEL_CLASSES:
        return dataclasses.replace(first, input_shapes=inputs, output_shapes=outputs, inbound=())
    return layer_facts(layer, inputs, outputs)


def _graph_facts(model: Any) -> tuple[LayerFacts, ...]:
    """A graph's layers: shapes of each layer's first call in this model, every layer that feeds it, and (for
    the estimates) each later call with its own shapes."""
    ours, facts = private.model_nodes(model), []
    for layer in private.model_operations(model):
        nodes = [node for node in private.layer_nodes(layer) if node in ours]
        feeders = [private.tensor_source(t) for node in nodes for t in private.call_inputs(node)]
        first = layer_facts(layer, *_node_shapes(nodes[0]), _unique(feeders), _dtypes(nodes[0].output_tensors))
        facts.append(dataclasses.replace(first, calls=tuple(_other_call(layer, node, first) for node in nodes[1:])))
    return tuple(facts)


def _sequential_facts(model: Any) -> tuple[LayerFacts, ...]:
    """A Sequential model's layers, each fed by the one before (the first by the model's input)."""
    facts = []
    previous: tuple[str, ...] = ()
    for layer in model.layers:
        outputs = _listed(layer.output)
        inputs = private.call_inputs(private.layer_nodes(layer)[0])  # layer.input's node, without its mask
        facts.append(layer_facts(layer, _shapes(inputs), _shapes(outputs), previous, _dtypes(outputs)))
        previous = (layer.name,)
    return tuple(facts)


def model_facts(model: Any) -> tuple[LayerFacts, ...]:
    """Every layer of the model, in model.layers order (a Functional model's InputLayers included); in a graph,
    its keras.ops operation nodes too, where Keras's summary lists them."""
    return _sequential_facts(model) if isinstance(model, keras.Sequential) else _graph_facts(model)


def _resized(layer: Any, built: LayerFacts, inputs: tuple[Shape, ...], outputs: tuple[Shape, ...]) -> LayerFacts:
    """One call's facts at other shapes: its config and weights are those read when it was built (reading a
    config again costs more than the call); only a wrapper's inner layers see the shapes."""
    inner = _inner(layer, inputs[0], outputs[0]) if built.class_name in _WRAPPERS else built.inner
    return dataclasses.replace(built, input_shapes=inputs, output_shapes=outputs, inner=inner)


def _resized_facts(model: Any, facts: tuple[LayerFacts, ...], resized: Resized) -> tuple[LayerFacts, ...]:
    """model_facts' walk again, each layer's (and each later call's) facts given the resized shapes."""
    if isinstance(model, keras.Sequential):
        return tuple(
            _resized(
                layer,
                built,
                _shapes(private.call_inputs(private.layer_nodes(layer)[0]), resized),
                _shapes(_listed(layer.output), resized),
            )
            for layer, built in zip(model.layers, facts)
        )
    ours, sized = private.model_nodes(model), []
    for layer, built in zip(private.model_operations(model), facts):
        nodes = [node for node in private.layer_nodes(layer) if node in ours]
        calls = tuple(_resized(layer, call, *_node_shapes(node, resized)) for node, call in zip(nodes[1:], built.calls))
        sized.append(dataclasses.replace(_resized(layer, built, *_node_shapes(nodes[0], resized)), calls=calls))
    return tuple(sized)


def facts_for_inputs(
    model: Any, facts: tuple[LayerFacts, ...], given: dict[Optional[str], tuple[int, ...]]
) -> tuple[tuple[LayerFacts, ...], tuple[Shape, ...]]:
    """The model's facts and output shapes for inputs of these shapes (by input name, None: the one input of a
    one-input model; batch axis left out): what a prediction on them costs. A model with variable axes (None)
    is built once and called with every length, and its estimates must still see each request's lengths: its
    graph is run again on symbolic inputs of those shapes (Keras's compute_output_spec, no node added, no
    weight read). A model whose inputs are all sized is returned as it is."""
    outputs = tuple(tuple(t.shape) for t in model.outputs)
    if all(None not in tuple(t.shape)[1:] for t in model.inputs):
        return facts, outputs
    inputs = [
        keras.KerasTensor((None,) + tuple(given[t.name] if t.name in given else given[None]), dtype=t.dtype)
        for t in model.inputs
    ]
    resized = {key: tuple(spec.shape) for key, spec in private.specs_for_inputs(model, inputs).items()}
    return _resized_facts(model, facts, resized), _shapes(model.outputs, resized)
