"""The one internal form of a model, whatever form it was sent in: Keras class names and constructor configs.

engine/spec_forms.py makes it from a request; the guards check it and the adapter builds it.
"""
from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class CanonicalLayer:
    """A layer as Keras builds it: class name, constructor config, optional weights, where it came from."""

    class_name: str
    config: dict[str, Any]
    weights: Optional[list[Any]]
    loc: tuple[Any, ...]
    config_loc: tuple[Any, ...]  # where the config's keys sit in the request: the layer itself, or its "config"


@dataclass(frozen=True)
class CanonicalSpec:
    """A Sequential model independent of the form it was sent in."""

    name: Optional[str]
    input_shape: Optional[tuple[int, ...]]
    layers: tuple[CanonicalLayer, ...]
    loss: Optional[str]
    optimizer: Optional[str]
    compile_loc: tuple[Any, ...] = ("model", "compile")  # where loss and optimizer were given
