"""The `keras-shape-service` command: `serve` runs the service; `summary`, `predict`, `diagram` and `compare`
answer a file offline, with the engine in this process (no server), validated and advised as the HTTP edge
validates and advises a body.

Exit status: 0 answered; 2 refused for the request's sake (a 4xx problem: fix the file); 1 anything else.
"""

import argparse
import json
import os
import re
import shutil
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from pydantic import BaseModel

from keras_shape_service.facts import shape_text
from keras_shape_service.schemas import (
    CompareResponse,
    PredictResponse,
    Problem,
    SummaryResponse,
)
from keras_shape_service.schemas.api import operation
from keras_shape_service.schemas.keras_names import APPLICATIONS

GUNICORN_CONF = Path(__file__).resolve().parent / "gunicorn_conf.py"
REFUSED, FAILED = 2, 1
# A file of model weights is read once the model-files issue lands; until then it is refused by name.
MODEL_FILE_SUFFIXES = (".keras", ".h5")
# Read before Keras loads: the adapter sets COLUMNS wide, so that Keras's summary never depends on a terminal.
TERMINAL_COLUMNS = shutil.get_terminal_size((100, 24)).columns
_APPLICATION_CALL = re.compile(r"\b(" + "|".join(map(re.escape, APPLICATIONS)) + r")\s*\(")


class Refused(Exception):
    """A request the CLI answers with a problem, as the HTTP service would."""

    def __init__(self, problem: Problem):
        super().__init__(problem.detail)
        self.problem = problem


def _progress(quiet: bool, text: str) -> None:
    if not quiet:
        print(text, file=sys.stderr, flush=True)


# -- reading the request -----------------------------------------------------------------------------------------


def _read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    if path.suffix in MODEL_FILE_SUFFIXES:
        raise Refused(
            Problem(
                title="Unsupported file",
                status=415,
                detail=f"{name}: model files ({', '.join(MODEL_FILE_SUFFIXES)}) are not read yet; "
                "send a JSON spec or the Python code that builds the model",
            )
        )
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Refused(Problem(title="Unreadable file", status=400, detail=f"{name}: {error}")) from None


def _is_code(name: str, text: str) -> bool:
    """Python where the file says so by its name; from standard input, whatever is not a JSON document."""
    if name.endswith(".py"):
        return True
    return name == "-" and not text.lstrip().startswith(("{", "["))


def _body(name: str, settings: Any) -> Any:
    """The request body a file stands for: {"code": ...} for Python; a JSON document with `model` or `code` is
    a body as sent over HTTP; any other JSON document is a model spec, the body's `model`."""
    from keras_shape_service.http.body import parse

    text = _read_text(name)
    if _is_code(name, text):
        return {"code": text}
    document = parse(text.encode("utf-8"), settings)
    if isinstance(document, dict) and ("model" in document or "code" in document):
        return document
    return {"model": document}


def _applications(body: Any) -> list[str]:
    """The keras.applications networks a body builds (the slow requests: seconds each)."""
    if not isinstance(body, dict):
        return []
    if "a" in body and "b" in body:
        return _applications(body["a"]) + _applications(body["b"])
    model = body.get("model")
    if isinstance(model, dict) and isinstance(model.get("application"), str):
        return [model["application"]]
    code = body.get("code")
    return _APPLICATION_CALL.findall(code) if isinstance(code, str) else []


# -- answering ---------------------------------------------------------------------------------------------------


def answer(operation_id: str, body: Any, settings: Any = None, quiet: bool = True) -> bytes:
    """The answer's bytes for a parsed body, from an engine in this process; Refused with the problem the HTTP
    service would answer (the same validation, the same advice)."""
    from keras_shape_service.errors import ServiceError
    from keras_shape_service.settings import Settings

    settings = settings or Settings()
    started = time.monotonic()
    _progress(quiet, "loading Keras...")
    from keras_shape_service.executors.local import LocalEngine
    from keras_shape_service.http.body import validate

    engine = LocalEngine(settings)
    _progress(quiet, f"Keras loaded in {time.monotonic() - started:.1f} s")
    for name in _applications(body):
        _progress(quiet, f"building {name}...")
    asked = time.monotonic()
    try:
        request_model = operation(operation_id).request
        assert request_model is not None, operation_id  # the four operations the command answers take a body
        typed = validate(request_model, body, None, engine.plans)
        answered = engine.answer(operation_id, typed)
    except ServiceError as error:
        raise Refused(error.problem()) from None
    finally:
        now = time.monotonic()
        _progress(quiet, f"{operation_id}: {now - asked:.2f} s ({now - started:.1f} s in all)")
    return answered


# -- printing ----------------------------------------------------------------------------------------------------

HEADER = ("Layer", "Type", "Input shape", "Output shape", "Params", "Why")


def _rows(layers: Sequence[Any], depth: int = 0) -> list[tuple[str, ...]]:
    """One row per layer, a nested model's rows after its own, indented."""
    found: list[tuple[str, ...]] = []
    for row in layers:
        why = f"{row.why.shape}; {row.why.params}"
        found.append(
            (
                "  " * depth + row.name,
                row.type,
                shape_text(row.input_shape),
                shape_text(row.output_shape),
                f"{row.params:,}",
                why,
            )
        )
        found += _rows(row.layers or [], depth + 1)
    return found


def terminal_table(layers: Sequence[Any], width: Optional[int] = None) -> str:
    """The layer table in fixed-width columns; the why wrapped to what the terminal leaves it."""
    rows = _rows(layers)
    width = width or TERMINAL_COLUMNS
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER) - 1)]
    why_width = max(30, width - sum(widths) - 2 * len(widths))
    lines = []
    for cells in [HEADER, *rows]:
        why_lines = textwrap.wrap(cells[-1], why_width) or [""]
        fixed = [cell.rjust(w) if i == 4 else cell.ljust(w) for i, (cell, w) in enumerate(zip(cells, widths))]
        lines.append("  ".join([*fixed, why_lines[0]]).rstrip())
        pad = " " * (sum(widths) + 2 * len(widths))
        lines += [pad + more for more in why_lines[1:]]
        if cells is HEADER:
            lines.append("  ".join("-" * w for w in [*widths, min(why_width, max(len(r[-1]) for r in rows))]))
    return "\n".join(lines)


def markdown_table(layers: Sequence[Any]) -> str:
    """The layer table as Markdown, `|` in a cell escaped."""
    escape = lambda cell: cell.replace("|", "\\|")
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join(["---"] * 4 + ["---:", "---"]) + "|"]
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in _rows(layers)]
    return "\n".join(lines)


def totals(answer: SummaryResponse) -> str:
    params, cost = answer.params, answer.cost
    return (
        f"Total params: {params.total:,} (trainable {params.trainable:,}, non-trainable {params.non_trainable:,})\n"
        f"Multiply-adds: {cost.macs:,} per example; memory: {cost.params_bytes:,} B of weights + "
        f"{cost.activation_bytes:,} B of activations = {cost.total_bytes:,} B"
    )


def render_summary(answer: SummaryResponse, markdown: bool = False) -> str:
    """The answer as a person reads it: the prediction's shape, the table, the totals, notes, Keras's summary."""
    parts = []
    if isinstance(answer, PredictResponse):
        parts.append(f"Output shape: {shape_text(answer.output_shape)}")
    parts.append(markdown_table(answer.layers) if markdown else terminal_table(answer.layers))
    parts.append(totals(answer))
    parts += [f"Note: {note}" for note in answer.notes]
    if not markdown:
        parts.append(answer.summary.rstrip())
    if isinstance(answer, PredictResponse):
        parts.append("Predictions: " + json.dumps(answer.predictions))
    return "\n\n".join(parts)


def render_compare(answer: CompareResponse, markdown: bool = False) -> str:
    parts = []
    for side in ("a", "b"):
        one = getattr(answer, side)
        table = markdown_table(one.layers) if markdown else terminal_table(one.layers)
        parts += [f"{'## ' if markdown else ''}Model {side}", table, totals(one)]
    parts.append(f"{'## ' if markdown else ''}Differences")
    lines = [f"- {d.a_layer or '(none)'} / {d.b_layer or '(none)'}: {d.what}" for d in answer.differences]
    parts.append("\n".join(lines) or "(none)")
    return "\n\n".join(parts)


def render_problem(problem: Problem) -> str:
    """The problem as the service says it: title, detail, then each error with where, what, and what to do."""
    lines = [f"{problem.title} ({problem.status}): {problem.detail}"]
    if problem.line is not None:
        lines.append(f"  at line {problem.line}" + (f", column {problem.column}" if problem.column else ""))
    if problem.limit is not None:
        lines.append(f"  limit {problem.limit} = {problem.limit_value}; the request: {problem.request_value}")
    for item in problem.errors or []:
        lines.append(f"- at {json.dumps(item.loc)}: {item.msg}")
        if item.expected is not None or item.got is not None:
            lines.append(f"  expected {item.expected}, got {item.got}")
        if item.hint:
            lines.append(f"  hint: {item.hint}")
        if item.fix:
            lines.append("  fix (JSON Patch): " + json.dumps([op.model_dump(exclude_none=True) for op in item.fix]))
    return "\n".join(lines)


# -- commands ----------------------------------------------------------------------------------------------------

_ANSWERS: dict[str, type[BaseModel]] = {
    "summary": SummaryResponse,
    "predict": PredictResponse,
    "compare": CompareResponse,
}


def _offline(args: argparse.Namespace) -> int:
    from keras_shape_service.errors import ServiceError
    from keras_shape_service.settings import Settings

    settings = Settings()
    try:
        try:
            if args.command == "compare":
                body: Any = {"a": _body(args.file, settings), "b": _body(args.other, settings)}
            else:
                body = _body(args.file, settings)
        except ServiceError as error:  # not JSON, or nested too deeply: the 400 the service would answer
            raise Refused(error.problem()) from None
        answered = answer(args.command, body, settings, quiet=args.quiet)
    except Refused as refused:
        if args.json:
            print(refused.problem.model_dump_json(exclude_none=True))
        print(render_problem(refused.problem), file=sys.stderr)
        return REFUSED if 400 <= refused.problem.status < 500 else FAILED
    except Exception as error:  # ours, not the request's: said in one line, the traceback on request
        if os.environ.get("KSS_CLI_TRACEBACK"):
            raise
        print(f"internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return FAILED
    if args.command == "diagram":
        _write(args, answered.decode("utf-8"))
        return 0
    if args.json:
        _write(args, answered.decode("utf-8"))
        return 0
    typed = _ANSWERS[args.command].model_validate_json(answered)
    render: Callable[..., str] = render_compare if args.command == "compare" else render_summary
    _write(args, render(typed, markdown=args.markdown))
    return 0


def _write(args: argparse.Namespace, text: str) -> None:
    if getattr(args, "output", None):
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


def _serve(args: argparse.Namespace) -> int:
    """Replace this process with gunicorn and the service's one configuration, as `make serve` runs it."""
    env = dict(os.environ)
    for variable, value in (("HOST", args.host), ("PORT", args.port), ("WEB_CONCURRENCY", args.workers)):
        if value is not None:
            env[variable] = str(value)
    # The package this command belongs to is the one gunicorn serves, installed or not.
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)]
    os.execve(sys.executable, command, env)
    return FAILED  # not reached: execve returns only by raising


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="keras-shape-service",
        description="What a Keras model does to the shape of your data: serve it over HTTP, or ask offline.",
    )
    commands = main_parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service under gunicorn (what `make serve` runs)")
    serve.add_argument("--host", help="address to bind (env HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (env PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="HTTP workers (env WEB_CONCURRENCY, default one per core)")
    source = "a JSON spec or request body, Python code (*.py), or - for standard input"
    helps = {
        "summary": "per-layer shapes, params and why, and Keras's summary, no weights allocated",
        "predict": "build the model and predict (inputs from the body, or from the code's predict call)",
        "diagram": "the model drawn as SVG",
        "compare": "two models' tables and where they part",
    }
    for name, text in helps.items():
        command = commands.add_parser(name, help=text, description=text + ". Settings: KSS_* variables.")
        command.add_argument("file", help=source)
        if name == "compare":
            command.add_argument("other", help="the second model: " + source)
        if name != "diagram":
            formats = command.add_mutually_exclusive_group()
            formats.add_argument("--json", action="store_true", help="print the answer's JSON, as the API sends it")
            formats.add_argument("--markdown", action="store_true", help="print the table as Markdown")
        command.add_argument("-o", "--output", help="write the answer to this file instead of standard output")
        command.add_argument("-q", "--quiet", action="store_true", help="no progress lines on standard error")
        command.set_defaults(json=False, markdown=False)
    return main_parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    try:
        return _offline(args)
    except BrokenPipeError:
        # The reader stopped early (`| head`): end quietly, as Unix tools do. Standard output goes to /dev/null
        # so that Python's own flush at exit does not meet the closed pipe again and print a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
