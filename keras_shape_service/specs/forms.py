"""The spec forms a client may send, brought to the one CanonicalSpec.

Every layer gets its name here, the client's or Keras's default (naming.py), so that the answer and every
refusal name it alike; every graph call says which outputs feed it, by name.
"""

import dataclasses
import json
from typing import Any, Optional, Union

from keras_shape_service.errors import ModelRejected
from keras_shape_service.schemas import NativeLayer, PredictRequest
from keras_shape_service.schemas.constants import is_constant
from keras_shape_service.schemas.inference import RepositoryModel
from keras_shape_service.schemas.keras_names import SEPARATE_INPUT_LAYER_TYPES
from keras_shape_service.schemas.numbers import shape_of
from keras_shape_service.schemas.spec import (
    ApplicationLayerNode,
    ApplicationSpec,
    EmbeddingLayer,
    FunctionalDocument,
    FunctionalLayer,
    GraphModelSpec,
    InputSpec,
    OperationNode,
    SequentialDocument,
    SequentialLayer,
    SourceRef,
    WrapperLayer,
)

from .canonical import (
    Application,
    Call,
    CanonicalInput,
    CanonicalLayer,
    CanonicalSpec,
    Constant,
    GivenWeights,
    Shape,
    TensorRef,
)
from .naming import keras_default_names

Document = Union[SequentialDocument, FunctionalDocument]
_INPUT_HINT_KEYS = ("input_shape", "batch_input_shape", "batch_shape", "input_dim")  # say what the input is
_GRAPH_KEYS = ("inbound", "calls")
_KEYWORD_TENSORS = ("initial_state", "mask")  # a concise layer's call arguments that carry tensors


def _axes(value: Any, loc: tuple) -> Shape:
    """A shape from an unvalidated config: a list of axis sizes (checked later), else a 422."""
    if not isinstance(value, (list, tuple)):
        raise ModelRejected(
            f"a shape must be a list of axis sizes, got {value!r}"[:300], loc=list(loc), error_type="input_shape"
        )
    return tuple(value)


def _input_shape_from(hints: dict[str, Any], loc: tuple) -> Optional[Shape]:
    """The non-batch input shape named by a layer's input hints, if any."""
    if hints.get("input_shape") is not None:
        return _axes(hints["input_shape"], loc + ("input_shape",))
    for key in ("batch_input_shape", "batch_shape"):
        if hints.get(key) is not None:
            return _axes(hints[key], loc + (key,))[1:]
    if hints.get("input_dim") is not None:
        return (hints["input_dim"],)
    return None


def _split_hints(config: dict[str, Any], keep_input_dim: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate input-shape hints from the layer's own arguments (Embedding's input_dim is its own)."""
    hint_keys = [k for k in _INPUT_HINT_KEYS if not (keep_input_dim and k == "input_dim")]
    hints = {k: config[k] for k in hint_keys if k in config}
    return {k: v for k, v in config.items() if k not in hints}, hints


def _serialized(layer: Any, loc: tuple) -> dict[str, Any]:
    """A layer given inside another (a wrapper's), as Keras deserializes it."""
    if isinstance(layer, NativeLayer):
        return {
            "module": "keras.layers",
            "class_name": layer.class_name,
            "config": layer.config,
            "registered_name": None,
        }
    if isinstance(layer, (OperationNode, ApplicationLayerNode)):  # nodes of a graph, never a wrapper's layer
        raise ModelRejected(
            f"'{layer.class_name}' of {layer.module} cannot be wrapped (Bidirectional and TimeDistributed wrap a "
            "keras.layers layer); send the model's own to_json document",
            loc=list(loc),
            error_type="unsupported",
        )
    if isinstance(layer, (SequentialDocument, FunctionalDocument, SequentialLayer, FunctionalLayer)):
        raise ModelRejected(
            "a model inside a wrapper is not supported; nest it as a layer of its own",
            loc=list(loc),
            error_type="unsupported",
        )
    if any(getattr(layer, key) is not None for key in ("weights", *_GRAPH_KEYS, *_KEYWORD_TENSORS)):
        raise ModelRejected(
            "a wrapped layer takes no weights, inbound, calls, initial_state or mask of its own (give them to the "
            "wrapper)",
            loc=list(loc),
            error_type="unsupported",
        )
    config = _concise_config(layer, loc)[0]
    config.setdefault("name", layer.name or keras_default_names([layer.type])[0])  # not Keras's counter's
    return {"module": "keras.layers", "class_name": layer.type, "config": config, "registered_name": None}


def _concise_config(layer: Any, loc: tuple) -> tuple[dict[str, Any], dict[str, Any]]:
    """A concise layer's Keras arguments and its input hints: every field the client set but the service's."""
    arguments = layer.model_dump(
        exclude_unset=True,
        exclude={"type", "weights", "name", *_GRAPH_KEYS, *_KEYWORD_TENSORS, "layer", "backward_layer"},
    )
    if isinstance(layer, WrapperLayer):
        arguments["layer"] = _serialized(layer.layer, loc + ("layer",))
        if layer.backward_layer is not None:
            arguments["backward_layer"] = _serialized(layer.backward_layer, loc + ("backward_layer",))
    return _split_hints(arguments, keep_input_dim=isinstance(layer, EmbeddingLayer))


class _Layers:
    """The layers of one model as they are read, named at the end (the client's names first, then Keras's)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.weights: dict[str, GivenWeights] = {}

    def add(
        self,
        class_name: str,
        config: dict,
        name: Optional[str],
        loc: tuple,
        config_loc: tuple,
        model: Optional[CanonicalSpec] = None,
        weights: Optional[list] = None,
        graph: Any = None,
        graph_kind: Optional[str] = None,
        module: str = "keras.layers",
        keywords: Optional[dict[str, Any]] = None,
    ) -> None:
        """`graph` says what feeds the layer: Keras's inbound nodes ("nodes"), or a concise layer's sources
        ("inbound": one call, "calls": several); `keywords` a concise layer's keyword tensors (initial_state...)."""
        self.entries.append(
            dict(
                class_name=class_name,
                config=config,
                name=name,
                loc=loc,
                config_loc=config_loc,
                model=model,
                weights=weights,
                graph=graph,
                graph_kind=graph_kind,
                module=module,
                keywords=keywords or {},
            )
        )

    def named(self, taken: set[str]) -> list[dict[str, Any]]:
        """Every entry with its name; a name given twice is refused at the second."""
        seen = set(taken)
        for entry in self.entries:
            if entry["name"] is not None:
                if entry["name"] in seen:
                    raise ModelRejected(
                        f"the name '{entry['name']}' is given to two layers or inputs; names must "
                        "be unique within a model",
                        loc=list(entry["loc"]),
                        error_type="name",
                    )
                seen.add(entry["name"])
        unnamed = [entry for entry in self.entries if entry["name"] is None]
        for entry, name in zip(unnamed, keras_default_names([e["class_name"] for e in unnamed], seen)):
            entry["name"] = name
        for entry in self.entries:
            if entry["weights"] is not None:
                self.weights[entry["name"]] = GivenWeights(tuple(entry["weights"]), entry["loc"] + ("weights",))
        return self.entries


def _read_layer(layers: _Layers, entry: Any, loc: tuple) -> dict[str, Any]:
    """One entry of any form into `layers`; answers its input hints."""
    if isinstance(entry, (SequentialDocument, FunctionalDocument)):
        nested = _document(entry, loc)
        layers.add(
            entry.class_name,
            {},
            entry.name or nested.name,
            loc,
            loc,
            model=nested,
            graph=entry.inbound_nodes,
            graph_kind="nodes",
        )
        return {}
    if isinstance(entry, (OperationNode, ApplicationLayerNode)):
        config = dict(entry.config)
        name = entry.name or config.pop("name", None)
        config.pop("name", None)
        layers.add(
            entry.class_name,
            config,
            name,
            loc,
            loc + ("config",),
            weights=getattr(entry, "weights", None),
            graph=entry.inbound_nodes,
            graph_kind="nodes",
            module=entry.module,
        )
        return {}
    if isinstance(entry, NativeLayer):
        config, hints = _split_hints(dict(entry.config), keep_input_dim=entry.class_name == "Embedding")
        name = entry.name or config.pop("name", None)
        config.pop("name", None)
        if entry.class_name != "InputLayer":
            layers.add(
                entry.class_name,
                config,
                name,
                loc,
                loc + ("config",),
                weights=entry.weights,
                graph=entry.inbound_nodes,
                graph_kind="nodes",
            )
        else:
            hints = {k: entry.config[k] for k in ("batch_shape", "batch_input_shape", "shape") if k in entry.config}
            hints = {"input_shape": hints["shape"]} if "shape" in hints else hints
        return hints
    graph, kind = (
        (entry.calls, "calls")
        if entry.calls is not None
        else ([entry.inbound], "inbound")
        if entry.inbound is not None
        else (None, None)
    )
    keywords = {key: getattr(entry, key) for key in _KEYWORD_TENSORS if getattr(entry, key) is not None}
    if isinstance(entry, (SequentialLayer, FunctionalLayer)):
        layers.add(
            entry.type,
            {},
            entry.name,
            loc,
            loc,
            model=_nested(entry, loc),
            weights=entry.weights,
            graph=graph,
            graph_kind=kind,
            keywords=keywords,
        )
        return {}
    config, hints = _concise_config(entry, loc)
    layers.add(
        entry.type, config, entry.name, loc, loc, weights=entry.weights, graph=graph, graph_kind=kind, keywords=keywords
    )
    return hints


def _nested(entry: Union[SequentialLayer, FunctionalLayer], loc: tuple) -> CanonicalSpec:
    """A concise model used as a layer: a Sequential list or a graph of its own, named by its parent."""
    hints = _split_hints(
        entry.model_dump(exclude_unset=True, include={"input_shape", "batch_input_shape", "input_dim"}), False
    )[1]
    if isinstance(entry, FunctionalLayer):
        if hints:
            raise ModelRejected(
                "a nested Functional model's inputs are its 'inputs'; give it no input_shape",
                loc=list(loc + (next(iter(hints)),)),
                error_type="input_shape",
            )
        return _graph(entry, loc)
    return _sequential(entry.layers, loc + ("layers",), None, _input_shape_from(hints, loc), loc + ("layers",))


def _sequential(
    entries: list, base_loc: tuple, name: Optional[str], input_shape: Optional[Shape], layers_loc: tuple
) -> CanonicalSpec:
    """A Sequential model: its layers in order, its input from the model, else from its first entries."""
    layers, hint = _Layers(), None
    for index, entry in enumerate(entries):
        loc = base_loc + (index,)
        if isinstance(entry, OperationNode):
            raise ModelRejected(
                f"the operation '{entry.class_name}' is a node of a Functional graph, which Keras never writes in "
                "a Sequential model; send the Functional model's to_json document",
                loc=list(loc),
                error_type="unsupported",
            )
        hints = _read_layer(layers, entry, loc)
        last = layers.entries[-1] if layers.entries and layers.entries[-1]["loc"] == loc else None
        if last is not None and (last["graph_kind"] in _GRAPH_KEYS or last["keywords"]):
            raise ModelRejected(
                "'inbound', 'calls', 'initial_state' and 'mask' belong to a graph model: give the model its "
                "'inputs' and its layers' sources",
                loc=list(loc),
                error_type="unsupported",
            )
        if hint is None and len(layers.entries) <= 1:
            hint = _input_shape_from(hints, loc)
    if not layers.entries:
        raise ModelRejected(
            "the model has no layer besides its InputLayer", loc=list(layers_loc), error_type="no_layers"
        )
    named = layers.named(set())
    shape = input_shape if input_shape is not None else hint
    first = layers.entries[0]["model"]
    if shape is None and first is not None and len(first.inputs) == 1:
        # a nested model first: Keras builds the Sequential from its input shape (Sequential._maybe_rebuild)
        shape = first.inputs[0].shape
    canonical = tuple(
        CanonicalLayer(
            e["class_name"], e["config"], e["name"], e["loc"], e["config_loc"], model=e["model"], module=e["module"]
        )
        for e in named
    )
    return CanonicalSpec(
        "sequential",
        name or "sequential",
        (CanonicalInput("input_layer", shape),),
        canonical,
        weights=layers.weights,
        loc=base_loc[:-1] if base_loc[-1] == "layers" else base_loc,
    )


def _source(source: Any) -> TensorRef:
    """A concise source ("name", "name#k", or {"layer", "node", "tensor"}) as a reference."""
    if isinstance(source, SourceRef):
        return TensorRef(source.layer, source.node, source.tensor)
    name, _, node = source.partition("#")
    return TensorRef(name, int(node or 0))


def _concise_call(class_name: str, sources: list, loc: tuple) -> Call:
    """Several sources feed a merge layer as one list, an attention layer as separate arguments."""
    refs = [_source(source) for source in sources]
    if len(refs) == 1:
        return Call((refs[0],), loc=loc)
    return Call(tuple(refs) if class_name in SEPARATE_INPUT_LAYER_TYPES else (refs,), loc=loc)


def _graph(spec: Union[GraphModelSpec, FunctionalLayer], loc: tuple = ("model",)) -> CanonicalSpec:
    """The concise graph form: named inputs, layers fed by name (default: the previous entry), outputs; at `loc`
    (a nested one's is its place in its parent)."""
    # a dict of inputs (keras.Model(inputs={...}), as code reads it) in Keras's order: its flattening sorts the keys
    placed: list[tuple[Union[str, int], InputSpec]] = (
        sorted(spec.inputs.items()) if isinstance(spec.inputs, dict) else list(enumerate(spec.inputs))
    )
    input_keys = tuple(str(key) for key, _ in placed) if isinstance(spec.inputs, dict) else ()
    inputs = tuple(
        CanonicalInput(i.name, tuple(i.shape), i.dtype, i.batch_size, loc + ("inputs", at)) for at, i in placed
    )
    for index, model_input in enumerate(inputs):
        if any(model_input.name == earlier.name for earlier in inputs[:index]):  # Keras refuses it as it builds
            raise ModelRejected(
                f"the name '{model_input.name}' is given to two inputs; each input has a name of its own",
                loc=list(model_input.loc) + ["name"],
                error_type="name",
            )
    layers = _Layers()
    for index, entry in enumerate(spec.layers):
        hints = _read_layer(layers, entry, loc + ("layers", index))
        if any(value is not None for value in hints.values()):
            raise ModelRejected(
                "a graph model's inputs are its 'inputs'; give no input_shape to its layers",
                loc=list(loc + ("layers", index)),
                error_type="input_shape",
            )
    named = layers.named({i.name for i in inputs})
    canonical, previous = [], TensorRef(inputs[0].name)
    for layer in named:
        calls = _entry_calls(layer, previous)
        canonical.append(
            CanonicalLayer(
                layer["class_name"],
                layer["config"],
                layer["name"],
                layer["loc"],
                layer["config_loc"],
                calls,
                layer["model"],
                module=layer["module"],  # an operation node among a concise graph's layers (code reads `x + 1.0`)
            )
        )
        previous = TensorRef(layer["name"], len(calls) - 1)
    # a dict of outputs in Keras's order: its flattening sorts a dict's keys
    output_keys = tuple(sorted(spec.outputs)) if isinstance(spec.outputs, dict) else ()
    if isinstance(spec.outputs, dict):
        outputs = tuple(_source(spec.outputs[key]) for key in output_keys)
    else:
        outputs = tuple(_source(s) for s in spec.outputs) if spec.outputs else (previous,)
    return CanonicalSpec(
        "functional",
        spec.name or "functional",
        inputs,
        tuple(canonical),
        outputs,
        weights=layers.weights,
        loc=loc,
        input_keys=input_keys,
        output_keys=output_keys,
    )


def _entry_calls(entry: dict[str, Any], previous: TensorRef) -> tuple[Call, ...]:
    """What feeds one layer of a concise graph: its own sources, its Keras nodes, else the previous entry."""
    graph, kind, loc, class_name = entry["graph"], entry["graph_kind"], entry["loc"], entry["class_name"]
    keywords = {
        key: [_source(source) for source in value] if isinstance(value, list) else _source(value)
        for key, value in entry["keywords"].items()
    }
    if keywords and kind == "calls":
        raise ModelRejected(
            "'initial_state' and 'mask' go with a layer called once ('inbound'); for a layer called several "
            "times with them, send the model's model.to_json(), which gives each call its own",
            loc=list(loc + (next(iter(keywords)),)),
            error_type="unsupported",
        )
    if not graph:
        return (Call((previous,), keywords, loc=loc),)
    if kind == "nodes":
        return _document_calls(class_name, graph, loc, constants=_reads_constants(entry))
    calls = tuple(
        _concise_call(class_name, sources, loc + ((kind, number) if kind == "calls" else (kind,)))
        for number, sources in enumerate(graph)
    )
    return (dataclasses.replace(calls[0], kwargs=keywords),) if keywords else calls


def _reads_constants(entry: dict[str, Any]) -> bool:
    """Only an operation node's arguments may hold constant tensors (OperationNode validated them); a layer's
    stay as written, for guards/safety.py to refuse."""
    return bool(entry["module"].startswith("keras.src.ops."))


def _document_calls(class_name: str, nodes: Optional[list], loc: tuple, constants: bool = False) -> tuple[Call, ...]:
    """A Functional document's inbound nodes as calls: Keras 3's {"args", "kwargs"}, or Keras 2's lists."""
    calls = []
    for index, node in enumerate(nodes or []):
        where = loc + ("inbound_nodes", index)
        if (
            isinstance(node, dict)
            and isinstance(node.get("args"), list)
            and isinstance(node.get("kwargs", {}), (dict, type(None)))
        ):
            args = _tensors(node["args"], where + ("args",), constants)
            calls.append(Call(tuple(args), _tensors(node.get("kwargs") or {}, where + ("kwargs",), constants), where))
        elif isinstance(node, list) and node and all(isinstance(item, list) and len(item) >= 3 for item in node):
            refs = [_reference(item[:3], where) for item in node]
            calls.append(_legacy_call(class_name, refs, node[0][3] if len(node[0]) > 3 else {}, where))
        else:
            raise ModelRejected(
                'an inbound node must be Keras\'s {"args": [...], "kwargs": {...}} (or Keras 2\'s '
                "list of [layer, node, tensor])",
                loc=list(where),
                error_type="inbound",
            )
    return tuple(calls)


def _reference(value: Any, loc: tuple) -> TensorRef:
    """[layer, node, tensor] as Keras writes it (a name, then two whole numbers), else a 422 at `loc`."""
    if not (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in value[1:])
    ):
        raise ModelRejected(
            f"a tensor is named by [layer, node, tensor]: a layer name and two whole numbers, got {value!r}"[:300],
            loc=list(loc),
            error_type="inbound",
        )
    return TensorRef(*value)


def _legacy_call(class_name: str, refs: list[TensorRef], kwargs: Any, loc: tuple) -> Call:
    kwargs = kwargs if isinstance(kwargs, dict) else {}
    if len(refs) == 1 or class_name in SEPARATE_INPUT_LAYER_TYPES:
        return Call(tuple(refs), kwargs, loc)
    return Call((refs,), kwargs, loc)


def _tensors(value: Any, loc: tuple, constants: bool = False) -> Any:
    """Keras's serialized call arguments with every `__keras_tensor__` replaced by a reference and, where
    `constants`, every `__tensor__` (validated by the schema) by a Constant; located where each sits."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            config = value.get("config")
            return _reference(config.get("keras_history") if isinstance(config, dict) else None, _call_loc(loc))
        if constants and is_constant(value):
            return _constant(value, loc)
        return {key: _tensors(item, loc + (key,), constants) for key, item in value.items()}
    if isinstance(value, list):
        return [_tensors(item, loc + (index,), constants) for index, item in enumerate(value)]
    return value


def _constant(value: dict, loc: tuple) -> Constant:
    """A __tensor__, or a __layer_output__: its inputs' numbers with the layer that computes the operand from them."""
    if value["class_name"] != "__layer_output__":
        numbers = value["config"]["value"]
        return Constant(numbers, value["config"]["dtype"], shape_of(numbers), loc)
    written, inputs = value["config"]["layer"], value["config"]["inputs"]["config"]
    config = dict(written["config"])
    name = config.pop("name")
    layer_loc = loc + ("config", "layer")
    layer = CanonicalLayer(written["class_name"], config, name, layer_loc, layer_loc + ("config",))
    return Constant(inputs["value"], inputs["dtype"], shape_of(inputs["value"]), loc + ("config", "inputs"), layer)


def _call_loc(loc: tuple) -> tuple:
    """The inbound node a location inside its arguments belongs to (where a tensor's refusal points)."""
    for index in range(len(loc) - 1, 0, -1):
        if loc[index - 1] == "inbound_nodes" and isinstance(loc[index], int):
            return loc[: index + 1]
    return loc


def _layer_refs(value: Any, loc: tuple) -> tuple[TensorRef, ...]:
    """A document's input_layers / output_layers: [name, node, tensor], or a list of them."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ModelRejected(
            "input_layers and output_layers must list [layer, node, tensor]", loc=list(loc), error_type="inbound"
        )
    for index, item in enumerate(value):
        if isinstance(item, dict) or (isinstance(item, list) and item and isinstance(item[0], (list, dict))):
            raise _nested_structure(item, loc + (index,))
    return tuple(_reference(item, loc + (index,)) for index, item in enumerate(value))


def _nested_structure(item: Any, loc: tuple) -> ModelRejected:
    return ModelRejected(
        f"{json.dumps(item)[:120]} is a nested structure of tensors, which the service does not read: send the "
        "model made with a flat list or a flat dict of inputs and outputs (keras.Model(inputs, "
        '{"name": output, ...}))',
        loc=list(loc),
        error_type="inbound",
    )


def _functional(document: FunctionalDocument, loc: tuple) -> CanonicalSpec:
    """A Functional to_json document: InputLayer entries are the inputs, every other layer's nodes its calls."""
    layers_loc = loc + ("config", "layers")
    inputs, layers, taken = [], _Layers(), set()
    for index, entry in enumerate(document.config.layers):
        where = layers_loc + (index,)
        if isinstance(entry, NativeLayer) and entry.class_name == "InputLayer":
            shape = _input_shape_from(_read_layer(_Layers(), entry, where), where)
            name = entry.name or entry.config.get("name") or f"input_{index}"
            if name in taken:
                raise ModelRejected(
                    f"the name '{name}' is given to two InputLayers; names must be unique within a model",
                    loc=list(where),
                    error_type="name",
                )
            taken.add(name)
            inputs.append(
                CanonicalInput(
                    name,
                    shape,
                    entry.config.get("dtype") if isinstance(entry.config.get("dtype"), str) else None,
                    None,
                    where,
                )
            )
        else:
            _read_layer(layers, entry, where)
    by_name = {i.name: i for i in inputs}
    input_keys, order = (
        _keyed_refs(document.config.input_layers, loc + ("config", "input_layers"))
        if document.config.input_layers is not None
        else ((), tuple(TensorRef(i.name) for i in inputs))
    )
    missing = [ref.layer for ref in order if ref.layer not in by_name]
    if len({ref.layer for ref in order}) < len(order):
        raise ModelRejected(
            "input_layers names an InputLayer twice; each input is given once",
            loc=list(loc + ("config", "input_layers")),
            error_type="inbound",
        )
    if missing or not inputs:
        raise ModelRejected(
            f"input_layers names {missing[:3] or 'no input'}, which is no InputLayer of the model",
            loc=list(loc + ("config", "input_layers")),
            error_type="inbound",
        )
    named = layers.named(set(by_name))
    canonical = tuple(
        CanonicalLayer(
            e["class_name"],
            e["config"],
            e["name"],
            e["loc"],
            e["config_loc"],
            _document_calls(e["class_name"], e["graph"], e["loc"], constants=_reads_constants(e)),
            e["model"],
            e["module"],
        )
        for e in named
    )
    output_keys, outputs = _keyed_refs(document.config.output_layers, loc + ("config", "output_layers"))
    return CanonicalSpec(
        "functional",
        document.config.name or document.name or "functional",
        tuple(by_name[ref.layer] for ref in order),
        canonical,
        outputs,
        weights=layers.weights,
        loc=loc,
        input_keys=input_keys,
        output_keys=output_keys,
    )


def _keyed_refs(value: Any, loc: tuple) -> tuple[tuple[str, ...], tuple[TensorRef, ...]]:
    """input_layers / output_layers: [name, node, tensor], a list of them, or a dict of them by key (a model
    made with inputs={...} or outputs={...}); the keys and the references in Keras's order, sorted by key as
    Keras's flattening sorts a dict's. A nesting deeper than that is refused, saying what to send."""
    if not isinstance(value, dict):
        return (), _layer_refs(value, loc)
    if not value or not all(isinstance(key, str) for key in value):
        raise ModelRejected(
            "input_layers and output_layers, as a dict, map a name to [layer, node, tensor]",
            loc=list(loc),
            error_type="inbound",
        )
    keys = tuple(sorted(value))
    refs = []
    for key in keys:
        item = value[key]
        if isinstance(item, dict) or (isinstance(item, list) and item and isinstance(item[0], (list, dict))):
            raise _nested_structure(item, loc + (key,))
        refs.append(_reference(item, loc + (key,)))
    return keys, tuple(refs)


def _document(document: Document, loc: tuple) -> CanonicalSpec:
    """A to_json document, at any depth."""
    if isinstance(document, FunctionalDocument):
        spec = _functional(document, loc)
    else:
        build_shape = document.config.build_input_shape or (document.build_config or {}).get("input_shape")
        build_hint = _axes(build_shape, loc + ("build_config", "input_shape"))[1:] if build_shape else None
        spec = _sequential(
            document.config.layers, loc + ("config", "layers"), document.config.name, None, loc + ("config", "layers")
        )
        if spec.inputs[0].shape is None and build_hint is not None:
            spec = spec.replace(inputs=(CanonicalInput("input_layer", build_hint),))
    loss, optimizer = _compile_names(document.compile_config)
    return spec.replace(loss=loss, optimizer=optimizer, compile_loc=loc + ("compile_config",), loc=loc)


def _compile_names(compile_config: Optional[dict[str, Any]]) -> tuple[Optional[str], Optional[str]]:
    """Loss and optimizer names from a to_json compile_config (strings or serialized objects)."""
    if not compile_config:
        return None, None

    def name_of(value: Any) -> Optional[str]:
        return value.get("class_name") if isinstance(value, dict) else value

    return name_of(compile_config.get("loss")), name_of(compile_config.get("optimizer"))


def _application(spec: ApplicationSpec) -> CanonicalSpec:
    arguments = spec.model_dump(exclude_unset=True, exclude={"application", "compile", "name"})
    if spec.name is not None:
        arguments["name"] = spec.name
    shape = tuple(spec.input_shape) if spec.input_shape else None
    return CanonicalSpec(
        "application",
        spec.name or spec.application,
        (CanonicalInput("input_layer", shape),),
        application=Application(spec.application, arguments),
    )


def canonical_spec(model: Any) -> CanonicalSpec:
    """Bring any accepted spec form to the one CanonicalSpec."""
    if isinstance(model, (SequentialDocument, FunctionalDocument)):
        return _document(model, ("model",))
    if isinstance(model, ApplicationSpec):
        spec = _application(model)
    elif isinstance(model, GraphModelSpec):
        spec = _graph(model)
    else:
        shape = tuple(model.input_shape) if model.input_shape else None
        spec = _sequential(model.layers, ("model", "layers"), model.name, shape, ("model", "layers"))
    compile_spec = getattr(model, "compile", None)
    if compile_spec is not None:
        spec = spec.replace(loss=compile_spec.loss, optimizer=compile_spec.optimizer)
    return spec


def with_request_weights(spec: CanonicalSpec, request: Union[PredictRequest, RepositoryModel]) -> CanonicalSpec:
    """The spec with the request's (or a repository file's) top-level weights, by layer name, beside any a layer
    carries itself."""
    if not request.weights:
        return spec
    given = {name: GivenWeights(tuple(arrays), ("weights", name)) for name, arrays in request.weights.items()}
    twice = sorted(set(given) & set(spec.weights))
    if twice:
        raise ModelRejected(
            f"weights for {twice} are given twice, in the model and at the top level",
            loc=["weights", twice[0]],
            error_type="weights",
        )
    return spec.replace(weights=spec.weights | given)
