"""docker-compose.yml cannot run here (no Docker engine): check it names the same command as `make serve`."""
import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVE_COMMAND = ["gunicorn", "--config", "service/gunicorn_conf.py"]


def test_compose_runs_the_serve_command_with_a_healthcheck():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["keras-shape-service"]
    assert service["command"] == SERVE_COMMAND
    assert any("/healthz" in part for part in service["healthcheck"]["test"])
    assert service["ports"] == ["8000:8000"] and service["environment"]["HOST"] == "0.0.0.0"


def test_makefile_and_dockerfile_use_the_same_command():
    makefile = (ROOT / "Makefile").read_text()
    serve_recipe = re.search(r"^serve:.*\n\t(.+)$", makefile, re.M).group(1)
    assert serve_recipe.split()[1:] == SERVE_COMMAND[1:] and serve_recipe.split()[0].endswith("gunicorn")
    cmd = re.search(r"^CMD (.+)$", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    assert ast.literal_eval(cmd) == SERVE_COMMAND


def test_gunicorn_config_names_the_wsgi_app():
    namespace: dict = {}
    exec((ROOT / "service" / "gunicorn_conf.py").read_text(), namespace)
    assert namespace["wsgi_app"] == "service.wsgi:app"
    assert namespace["worker_class"] == "service.http.worker.Worker" and namespace["bind"] == "127.0.0.1:8000"
    assert callable(namespace["on_starting"]) and callable(namespace["on_exit"])  # they start and stop the executors
