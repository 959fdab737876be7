"""`keras-shape-service summary|predict|diagram|compare FILE`: the answer of the engine in a process of its own,
as a person runs it (python -m keras_shape_service.cli, which the console script calls), with its exit status."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from keras_shape_service import cli
from keras_shape_service.schemas import PredictResponse, SummaryResponse
from keras_shape_service.schemas.examples import SEED_CODE, SEED_COMPARE

pytestmark = pytest.mark.slow  # each test starts a Python that imports TensorFlow
ROOT = Path(__file__).resolve().parents[2]
# A Dense layer gives an LSTM (None, 32), which has no time axis: Keras refuses it, the service advises a Reshape.
DENSE_INTO_LSTM = {"layers": [{"type": "Dense", "units": 32, "input_shape": [10]}, {"type": "LSTM", "units": 8}]}


def _run(*arguments: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="250", TF_CPP_MIN_LOG_LEVEL="3")  # wide: no why wrapped
    return subprocess.run(
        [sys.executable, "-m", "keras_shape_service.cli", *arguments],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def seed_file(tmp_path):
    path = tmp_path / "seed.py"
    path.write_text(SEED_CODE)
    return path


def _keras_seed():
    """The seed model built by Keras itself, as its code builds it."""
    return keras.Sequential(
        [
            keras.Input((3, 2)),
            keras.layers.Dense(16),
            keras.layers.Activation("relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(4),
        ]
    )


def test_the_seed_code_prints_its_table_with_244_params(seed_file):
    done = _run("summary", str(seed_file))
    assert done.returncode == 0, done.stderr
    model = _keras_seed()
    assert model.count_params() == 244
    assert f"Total params: {model.count_params()} (trainable 244, non-trainable 0)" in done.stdout
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["Layer", "Type", "Input", "shape", "Output", "shape", "Params", "Why"]
    # Each layer's row: its name, Keras's output shape and params, and the why.
    for layer, name in zip(model.layers, ["dense", "activation", "flatten", "dense_1"]):
        row = next(line for line in lines if line.startswith(name + " "))
        assert str(layer.output.shape) in row and f" {layer.count_params()} " in row
    assert "Flatten keeps the batch axis and multiplies the rest, 3 x 16 = 48" in done.stdout
    assert "Trainable params: 244 (976.00 B)" in done.stdout  # Keras's own summary follows
    assert "loading Keras..." in done.stderr and "summary: " in done.stderr  # progress and timing, not on stdout


def test_a_refused_model_exits_2_with_the_problem_and_its_hint(tmp_path):
    spec = tmp_path / "model.json"
    spec.write_text(json.dumps(DENSE_INTO_LSTM))
    done = _run("summary", str(spec))
    assert done.returncode == 2 and done.stdout == ""
    assert "Keras rejected the model (422): Input 0 with name 'None' of layer 'lstm' is incompatible" in done.stderr
    assert '- at ["model", "layers", 1]:' in done.stderr
    assert "hint: LSTM reads (batch, timesteps, features) but 'dense' gives (None, 32)" in done.stderr
    assert '"op": "add", "path": "/model/layers/1"' in done.stderr  # the checked fix, as a JSON Patch


def test_json_from_standard_input_is_the_answer_the_api_sends():
    body = {"model": {"layers": [{"type": "Dense", "units": 4, "input_shape": [6]}]}, "inputs": [[0.0] * 6] * 2}
    done = _run("predict", "-", "--json", "-q", stdin=json.dumps(body))
    assert done.returncode == 0, done.stderr
    answer = PredictResponse.model_validate_json(done.stdout)
    assert answer.output_shape == [2, 4] and answer.params.total == 6 * 4 + 4
    assert done.stderr == ""  # --quiet: no progress lines


def test_markdown_table_of_a_model_spec(tmp_path):
    spec = tmp_path / "model.json"
    spec.write_text(json.dumps(SEED_COMPARE["b"]["model"]))  # a bare spec, not a body: read as the body's model
    done = _run("summary", str(spec), "--markdown", "-q")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "| Layer | Type | Input shape | Output shape | Params | Why |"
    assert lines[1] == "|---|---|---|---|---:|---|"
    assert lines[4].startswith(
        "| dense_1 | Dense | (None, 3, 16) | (None, 3, 4) | 68 | Dense acts on the last axis only"
    )
    assert "Total params: 116" in done.stdout


def test_json_of_a_summary_and_compare_of_code_with_a_spec(tmp_path, seed_file):
    other = tmp_path / "without_flatten.json"
    other.write_text(json.dumps(SEED_COMPARE["b"]))
    summary = _run("summary", str(seed_file), "--json", "-q")
    answer = SummaryResponse.model_validate_json(summary.stdout)
    assert answer.params.total == 244
    # In a terminal of 100 columns the why wraps within them, every word kept.
    narrow = cli.terminal_table(answer.layers, width=100).splitlines()
    assert max(map(len, narrow)) <= 100 and len(narrow) > 2 + len(answer.layers)
    assert answer.layers[0].why.shape in " ".join(line[62:] for line in narrow)
    done = _run("compare", str(seed_file), str(other), "-q")
    assert done.returncode == 0, done.stderr
    assert "- dense_1 / dense_1: dense_1 (Dense) gets (None, 3, 16) in b instead of (None, 48) in a" in done.stdout
    assert "- (none) / (none): params in all: 244 in a, 116 in b" in done.stdout


def test_diagram_writes_the_svg(tmp_path, seed_file):
    out = tmp_path / "seed.svg"
    done = _run("diagram", str(seed_file), "-o", str(out), "-q")
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')
    assert 'aria-label="4 layers, 244 params"' in out.read_text()


@pytest.mark.parametrize(
    "name, text, said",
    [
        ("broken.json", '{"layers": [', "Malformed request body (400): the body is not valid JSON"),
        ("model.keras", "", "model files (.keras, .h5) are not read yet"),
        ("missing.json", None, "Unreadable file (400)"),
    ],
)
def test_files_it_cannot_read_exit_2_before_loading_keras(tmp_path, name, text, said):
    if text is not None:
        (tmp_path / name).write_text(text)
    done = _run("summary", str(tmp_path / name))
    assert done.returncode == 2 and said in done.stderr
    assert "loading Keras" not in done.stderr


def test_a_reader_that_stops_early_gets_no_traceback(seed_file):
    """`keras-shape-service summary seed.py | head -3`: head closes the pipe before the table is written; the
    command ends as Unix tools do, quietly, with the status of a failure (1), not a BrokenPipeError traceback."""
    reader, writer = os.pipe()
    os.close(reader)  # the reader gone before the first byte is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "keras_shape_service.cli", "summary", str(seed_file), "-q"],
            cwd=ROOT,
            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(writer)
    assert (done.returncode, done.stderr) == (1, "")
