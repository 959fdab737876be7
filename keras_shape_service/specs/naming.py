"""Keras's default layer names, computed before Keras builds anything: the answer, error messages and the code
reader all name a layer as Keras would (`dense`, `dense_1`), whatever process-wide counter Keras keeps."""

import re
from typing import Collection, Sequence


def to_snake_case(class_name: str) -> str:
    """Keras's snake_case of a class name: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def keras_default_names(class_names: Sequence[str], taken: Collection[str] = frozenset()) -> list[str]:
    """Keras's default names for unnamed layers of these classes, in construction order, skipping `taken`."""
    used, names = set(taken), []
    counters: dict[str, int] = {}
    for class_name in class_names:
        base = to_snake_case(class_name)
        while True:
            count = counters.get(base, 0)
            counters[base] = count + 1
            name = f"{base}_{count}" if count else base
            if name not in used:
                break
        used.add(name)
        names.append(name)
    return names
