"""The packages of keras_shape_service import one way, from the edge down:

    wsgi, gunicorn_conf -> http -> executors -> engine -> advice -> explain, adapter -> guards -> specs
                        -> files (uploaded model files, read without Keras)
                        -> shared modules (errors, facts, settings, metrics) -> schemas

Read from the source (every import statement of every module), so a new module is checked as soon as it
exists. Only the adapter imports Keras or TensorFlow; only http (and the process entry points) import Flask,
werkzeug, gunicorn or gevent.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "keras_shape_service"
ORDER = ["http", "executors", "engine", "advice", "explain", "adapter", "guards", "specs", "files", "shared", "schemas"]
# A layer may import the layers after it in ORDER, except where this says otherwise (siblings that must stay
# apart: the explanations know nothing of Keras, and the adapter nothing of how a shape is explained).
APART = {("explain", "adapter"), ("adapter", "explain")}
SHARED_MODULES = {"errors", "facts", "settings", "metrics"}
# The process entry points, which wire the layers together (the command line answers offline with the engine
# and http's validation, as wsgi does). The client, testing and the pytest plugin are no entry points: they talk
# to the service over HTTP, so they fall in the shared layer and may import no more than the schemas.
TOP_LEVEL = {"gunicorn_conf", "wsgi", "cli", "__init__"}
KERAS = {"keras", "tensorflow", "tf_keras"}
FLASK = {"flask", "werkzeug", "gunicorn", "gevent"}


def _layer_of_parts(parts: tuple[str, ...]) -> str:
    if len(parts) == 1 and not (PACKAGE / parts[0]).is_dir():
        return "top" if parts[0] in TOP_LEVEL else "shared"
    return parts[0]


def _layer_of(path: Path) -> str:
    return _layer_of_parts(path.relative_to(PACKAGE).with_suffix("").parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """(absolute module, line) of every import in a module of the package."""
    package = ["keras_shape_service", *path.relative_to(PACKAGE).parts[:-1]]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found += (
                [(module, node.lineno)] if node.module else [(f"{module}.{a.name}", node.lineno) for a in node.names]
            )
    return found


def _allowed(layer: str, target: str) -> bool:
    if target == layer:
        return True
    if (layer, target) in APART:
        return False
    return ORDER.index(target) > ORDER.index(layer)


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_point_one_way(path):
    layer = _layer_of(path)
    for module, line in _imports(path):
        parts = module.split(".")
        where = f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        if parts[0] in KERAS:
            assert layer == "adapter", f"only keras_shape_service/adapter imports Keras or TensorFlow: {where}"
        if parts[0] in FLASK:
            assert layer in ("http", "top"), f"only keras_shape_service/http imports Flask, gunicorn: {where}"
        if parts[0] == "keras_shape_service" and len(parts) > 1 and layer != "top":
            target = _layer_of_parts(tuple(parts[1:]))
            assert _allowed(layer, target), f"{layer} may not import {target}: {where}"


def test_every_module_is_in_a_known_layer():
    assert {_layer_of(p) for p in MODULES} <= set(ORDER) | {"top"}


def test_the_rule_catches_an_upward_import():
    """The check above is not vacuous: an import from a lower layer to a higher one is seen as such."""
    assert not _allowed("guards", "engine") and not _allowed("schemas", "shared") and _allowed("http", "engine")
