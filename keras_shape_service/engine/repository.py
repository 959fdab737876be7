"""The model repository: a directory of `<name>.json` model files, read once at start and checked as requests
are, each file on its own, so that a bad one is refused by name and the others are served.

A file holds a model spec in any form /v1/summary takes as its `model`, or {"model": ..., "seed": ...,
"weights": ...} (the body of /v1/predict without its inputs). Files whose names start with a dot are skipped:
the kubelet keeps a mounted ConfigMap's files in a hidden `..data` folder and links them from the top.
"""

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Union

from pydantic import ValidationError

from keras_shape_service.errors import InvalidRequest, ServiceError
from keras_shape_service.schemas.inference import RepositoryIndex, RepositoryModel, ServedModel
from keras_shape_service.schemas.messages import RefusedModel

log = logging.getLogger("kss.repository")
MODEL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")  # what a URL path segment carries as is
Files = dict[str, Union[bytes, str]]  # by file name: its bytes, or why it could not be read


def read_files(directory: Optional[str], max_bytes: int) -> Files:
    """Every `*.json` file of the directory (none if unset); a file over `max_bytes` is not read."""
    if not directory:
        return {}
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith(".json") and name[0] != ".")
    except OSError as error:
        return {directory: f"the model repository {directory} cannot be read: {error.strerror}"}
    files: Files = {}
    for name in names:
        path = Path(directory, name)
        try:
            size = path.stat().st_size
            files[name] = (
                path.read_bytes()
                if size <= max_bytes
                else f"{size:,} bytes, over the limit max_body_bytes={max_bytes:,}"
            )
        except OSError as error:
            files[name] = f"cannot be read: {error.strerror}"
    return files


def parse(content: bytes) -> RepositoryModel:
    """A file's model, seed and weights; a spec alone stands for {"model": spec}."""
    try:
        document = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise ServiceError(f"not valid JSON: {error}") from None
    if not (isinstance(document, dict) and "model" in document):
        document = {"model": document}
    try:
        return RepositoryModel.model_validate(document)
    except ValidationError as error:
        raise InvalidRequest(error, document) from None


@dataclass
class Repository:
    """The models served, by name (their files as validated), and the index every process answers from."""

    models: dict[str, RepositoryModel] = field(default_factory=dict)
    index: RepositoryIndex = field(default_factory=RepositoryIndex)


def load(files: Files, check: Callable[[str, RepositoryModel], ServedModel]) -> Repository:
    """Each file validated and checked by `check` (which plans it); a file that fails is refused, with why."""
    repository = Repository()
    for file, content in files.items():
        name = file.removesuffix(".json")
        try:
            if isinstance(content, str):
                raise ServiceError(content)
            if not MODEL_NAME.fullmatch(name):
                raise ServiceError("a model's file name is <name>.json, the name of letters, digits, '_', '.', '-'")
            model = parse(content)
            repository.index.models[name] = check(name, model)
            repository.models[name] = model
        except ServiceError as error:
            repository.index.refused.append(RefusedModel(file=file, error=error.detail))
        except Exception as error:  # whatever a file does, the service starts and serves the others
            log.exception("model repository file %s failed to load", file)
            repository.index.refused.append(RefusedModel(file=file, error=f"{type(error).__name__}: {error}"))
    return repository


def log_index(index: RepositoryIndex) -> None:
    """One line for the models served, one per file refused."""
    log.info("model repository: serving %s", sorted(index.models) or "no model")
    for refused in index.refused:
        log.error("model repository: %s refused: %s", refused.file, refused.error)
