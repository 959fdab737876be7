"""The layers of the service import one way: http -> engine -> guards/adapter -> shared modules -> schemas.

Read from the source (every import statement of every module), so a new module is checked as soon as it
exists. Only the adapter imports Keras or TensorFlow; only http imports Flask or werkzeug.
"""
import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[2] / "service"
# What each layer may import from the service; a layer may always import its own package.
ALLOWED = {
    "http": {"engine", "guards", "shared"},
    "engine": {"guards", "adapter", "shared"},
    "guards": {"shared"},
    "adapter": {"shared"},
    "shared": {"shared"},
}
# Modules at the top of service/ are shared by every layer; its packages are the layers.
SHARED_MODULES = {path.stem for path in SERVICE.glob("*.py")} - {"__init__"}
KERAS = {"keras", "tensorflow", "tf_keras"}
FLASK = {"flask", "werkzeug", "gunicorn", "gevent"}
TOP_LEVEL = {"gunicorn_conf", "wsgi"}  # the process entry points, which wire the layers together


def _layer_of(path: Path) -> str:
    parts = path.relative_to(SERVICE).parts
    if len(parts) == 1:
        return "top" if path.stem in TOP_LEVEL else "shared"
    return parts[0]


def _imports(path: Path) -> list[tuple[str, int]]:
    """(absolute module, line) of every import in a module of the service package."""
    package = ["service", *path.relative_to(SERVICE).parts[:-1]]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found += [(module, node.lineno)] if node.module else [(f"{module}.{a.name}", node.lineno)
                                                                    for a in node.names]
    return found


def _service_layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return "shared"
    return "shared" if parts[1] in SHARED_MODULES else parts[1]


MODULES = sorted(SERVICE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(SERVICE)) for p in MODULES])
def test_imports_point_one_way(path):
    layer = _layer_of(path)
    for module, line in _imports(path):
        root = module.split(".")[0]
        where = f"{path.relative_to(SERVICE)}:{line} imports {module}"
        if root in KERAS:
            assert layer == "adapter", f"only service/adapter imports Keras or TensorFlow: {where}"
        if root in FLASK:
            assert layer in ("http", "top"), f"only service/http imports Flask, werkzeug, gunicorn: {where}"
        if root == "service" and layer != "top":
            target = _service_layer(module)
            assert target == layer or target in ALLOWED[layer], f"{layer} may not import {target}: {where}"


def test_every_module_is_in_a_known_layer():
    assert {_layer_of(p) for p in MODULES} <= set(ALLOWED) | {"top"}
