"""What a layer's refusal of its input means, and the small changes to the request that may make it valid.

The candidates are patches of the request body: an axis added to the model's input shape, a Reshape or a Flatten
inserted before the layer, return_sequences set on the recurrent layer before it, a Reshape's axis left to
Keras, padding that fits a kernel. The engine offers one only once the patched model plans.
"""

import math
import re
from dataclasses import dataclass
from typing import Any, Optional

from keras_shape_service.errors import Received
from keras_shape_service.facts import known, shape_text
from keras_shape_service.specs.canonical import CanonicalLayer, CanonicalSpec

from .hints import RECURRENT, Advice, at, pointer

_SPATIAL = {
    "1": "(batch, steps, channels)",
    "2": "(batch, height, width, channels)",
    "3": "(batch, depth, height, width, channels)",
}
_INPUT_KEYS = (("input_shape", False), ("batch_input_shape", True), ("batch_shape", True), ("shape", False))


def expected_text(class_name: str, rank: Optional[int], exact: bool) -> Optional[str]:
    """What a layer reads, in Keras's shape notation with its axes named."""
    spatial = re.search(r"([123])D$", class_name)
    if class_name in RECURRENT:
        return "(batch, timesteps, features)"
    if spatial:
        return _SPATIAL[spatial.group(1)]
    if class_name == "Dense":
        return "(batch, ..., features)"
    if class_name in ("RepeatVector", "Flatten"):
        return "(batch, features)" if class_name == "RepeatVector" else "(batch, ...)"
    if rank is None:
        return None
    return "(" + ", ".join(["batch"] + [f"axis_{i}" for i in range(1, rank)] + ([] if exact else ["..."])) + ")"


@dataclass
class _Site:
    """Where the refusing layer sits: the layer, what feeds it, and where the model's input shape is given."""

    layer: CanonicalLayer
    gives: str  # what feeds it, for the hint: "'dense' gives", or "the input is" for the model's input
    previous: Optional[CanonicalLayer]
    input_at: Optional[tuple[tuple, bool, list]]  # (location, has a batch axis, value) of the input shape
    insertable: bool


def _input_shape_at(document: Any, spec: CanonicalSpec, model_input: Any) -> Optional[tuple[tuple, bool, list]]:
    """Where the model's input shape is written: a graph input's shape, the model's or its first layer's."""
    if spec.kind == "functional":
        places = [(model_input.loc + ("shape",), False)]
    else:
        first = spec.loc + ("layers", 0)
        places = [(spec.loc + ("input_shape",), False)] + [
            (base + (key,), batch) for base in (first, first + ("config",)) for key, batch in _INPUT_KEYS
        ]
    for loc, batch in places:
        value = at(document, loc)
        if isinstance(value, list):
            return loc, batch, value
    return None


def _site(received: Received, spec: CanonicalSpec, document: Any) -> Optional[_Site]:
    """The refusing layer in the top-level model, or None (a nested model's layer, or a layer of several inputs)."""
    names = [layer.name for layer in spec.layers]
    if received.layer not in names:
        return None
    index = names.index(received.layer)
    layer = spec.layers[index]
    if spec.kind == "sequential":
        previous = spec.layers[index - 1] if index else None
        input_at = None if index else _input_shape_at(document, spec, spec.inputs[0])
        return _Site(
            layer,
            f"'{previous.name}' gives" if previous else "the input is",
            previous,
            input_at,
            isinstance(layer.loc[-1], int),
        )
    refs = [ref for call in layer.calls for ref in call.refs()]
    if len(refs) != 1:
        return None
    inputs = {i.name: i for i in spec.inputs}
    previous = None if refs[0].layer in inputs else spec.layers[names.index(refs[0].layer)]
    input_at = _input_shape_at(document, spec, inputs[refs[0].layer]) if previous is None else None
    entry = at(document, layer.loc)
    insertable = isinstance(layer.loc[-1], int) and isinstance(entry, dict) and not {"inbound", "calls"} & set(entry)
    return _Site(layer, f"'{previous.name}' gives" if previous else "the input is", previous, input_at, insertable)


def _insert(site: _Site, class_name: str, **config: Any) -> list[dict[str, Any]]:
    """A patch inserting a layer before the refusing one, in the form its neighbours are written in."""
    concise = site.layer.loc == site.layer.config_loc
    value = {"type": class_name, **config} if concise else {"class_name": class_name, "config": config}
    return [{"op": "add", "path": pointer(site.layer.loc), "value": value}]


def _new_input(input_at: tuple[tuple, bool, list], axes: list) -> list[dict[str, Any]]:
    loc, batch, value = input_at
    return [{"op": "replace", "path": pointer(loc), "value": value[:1] + axes if batch else axes}]


def _more_axes(received: Received, rank: int, site: _Site, advice: Advice) -> None:
    """Too few axes: a channels axis, a time axis, or ones; return_sequences where an RNN feeds an RNN."""
    cls, layer, axes = received.class_name, received.layer, list(received.got[1:])
    missing = rank - len(received.got)
    new = axes + [1] * missing
    square = math.isqrt(axes[0]) if len(axes) == 1 and axes[0] else 0
    if missing == 2 and cls.endswith("2D") and square * square == axes[0]:
        new = [square, square, 1]
    what = "has no channels axis" if missing == 1 and re.search(r"[123]D$", cls) else f"has {len(received.got)} axes"
    if cls in RECURRENT and site.previous is not None and site.previous.class_name in RECURRENT:
        advice.candidates.append(
            (
                f"{cls} reads {advice.expected} but '{site.previous.name}' returns only its last "
                f"step, {advice.got}: set return_sequences=True on '{site.previous.name}'.",
                [{"op": "add", "path": pointer(site.previous.config_loc + ("return_sequences",)), "value": True}],
            )
        )
    if site.input_at is not None:
        advice.candidates.append(
            (
                f"{cls} reads {advice.expected} but the input {advice.got} {what}: give the input shape as {new}.",
                _new_input(site.input_at, new),
            )
        )
    if site.insertable and None not in axes:
        advice.candidates.append(
            (
                f"{cls} reads {advice.expected} but {site.gives} {advice.got}, which "
                f"{what}: insert a Reshape to {shape_text(new)} before '{layer}'.",
                _insert(site, "Reshape", target_shape=new),
            )
        )


def _fewer_axes(received: Received, rank: int, site: _Site, advice: Advice) -> None:
    """Too many axes: a Flatten before a layer that reads vectors, else a Reshape merging the last axes."""
    cls, layer, axes = received.class_name, received.layer, list(received.got[1:])
    if not site.insertable:
        return
    if rank == 2:
        advice.candidates.append(
            (
                f"{cls} reads {advice.expected} but {site.gives} {advice.got}: insert a "
                f"Flatten before '{layer}' to make one vector per example.",
                _insert(site, "Flatten"),
            )
        )
        return
    kept, merged = axes[: rank - 2], axes[rank - 2 :]
    if known(merged):
        new = kept + [math.prod(merged)]
        advice.candidates.append(
            (
                f"{cls} reads {advice.expected} but {site.gives} {advice.got}: insert a "
                f"Reshape to {shape_text(new)} before '{layer}' to merge its last axes.",
                _insert(site, "Reshape", target_shape=new),
            )
        )


def _reshape(received: Received, site: _Site, advice: Advice) -> None:
    """A Reshape that cannot keep its input's size: one axis left to Keras (-1), where that divides evenly."""
    target = list(site.layer.config.get("target_shape") or [])
    example = received.got[1:]
    size = math.prod(example) if known(example) else None
    if not target or size is None or -1 in target:
        return
    advice.expected = f"a target_shape of {size} values"
    advice.hint = (
        f"Reshape must keep the {size} values of each example {advice.got}, but target_shape {target} "
        f"holds {math.prod(target)}: give sizes that multiply to {size}, or -1 for one of them."
    )
    for axis in range(len(target) - 1, -1, -1):
        others = math.prod(target[:axis] + target[axis + 1 :])
        if size % others == 0:
            new = target[:axis] + [-1] + target[axis + 1 :]
            advice.candidates.append(
                (
                    f"Reshape must keep the {size} values of each example {advice.got}, but "
                    f"target_shape {target} holds {math.prod(target)}: let Keras size one axis, "
                    f"{new}.",
                    [{"op": "replace", "path": pointer(site.layer.config_loc + ("target_shape",)), "value": new}],
                )
            )


def shape_advice(received: Received, spec: CanonicalSpec, document: Any) -> Advice:
    """Expected, got, a hint, and the candidate fixes of a layer's refusal of its input."""
    cls, rank, got = received.class_name, received.rank, received.got
    advice = Advice(expected=expected_text(cls, rank, received.exact), got=shape_text(got))
    site = _site(received, spec, document)
    mismatch = rank is not None and (len(got) < rank or (received.exact and len(got) != rank))
    if mismatch:
        advice.hint = f"{cls} reads {advice.expected}, {rank} axes, but got {advice.got}, {len(got)} axes."
    if site is None:
        return advice
    if cls == "Reshape":
        _reshape(received, site, advice)
    elif "zero or negative" in received.message and re.search(r"Conv[123]D$", cls):
        advice.hint = (
            f"{cls}'s kernel does not fit in its input {advice.got}: use a smaller kernel_size, or padding 'same'."
        )
        advice.candidates.append(
            (
                f"{cls}'s kernel does not fit in its input {advice.got}: set padding to 'same' to "
                "pad the input to fit.",
                [{"op": "add", "path": pointer(site.layer.config_loc + ("padding",)), "value": "same"}],
            )
        )
    elif mismatch and rank is not None:  # a mismatch has a rank: the second test is for type checkers
        (_more_axes if len(got) < rank else _fewer_axes)(received, rank, site, advice)
    return advice
