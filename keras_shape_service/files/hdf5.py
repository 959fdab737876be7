"""HDF5 read along named paths only: every step a hard link, every dataset's shape and dtype checked against
the variable it is read into before a byte of its data is, and nothing read that may reach outside the file
(external links, soft links, external storage, virtual datasets) or run a filter (compression, shuffle...),
which Keras never writes.

The file is opened from memory (h5py on a BytesIO), so it names no path on this machine.
"""

import contextlib
import hashlib
import io
import pickle
from dataclasses import dataclass
from typing import Any, Iterator, Literal, Optional

import h5py
import numpy as np

from keras_shape_service.errors import RefusedFile

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_NAMES = 4096  # weight names one layer of a legacy .h5 file may list
MAX_NAME_CHARACTERS = 512


class WeightsFile:
    """A model's weights file (model.weights.h5 of a .keras archive, or a whole legacy .h5 file) and where it
    came from. Not a dataclass: a model's cache key is made of its spec's fields, and this one is keyed by its
    digest, not by its bytes."""

    def __init__(self, data: Any, layout: Literal["keras", "h5"], filename: str, digest: Optional[str] = None):
        # From the executors' wire `data` is a view of the frame it came in (held as bytes from here on), and
        # the digest the HTTP worker made; both checked, as the wire checks every field it reads.
        if layout not in ("keras", "h5") or not isinstance(filename, str):
            raise TypeError(f"a weights file of layout {layout!r} named {filename!r}")
        self.data: bytes = data if isinstance(data, bytes) else bytes(data)
        self.layout, self.filename = layout, filename
        self.digest = digest if isinstance(digest, str) else hashlib.sha256(self.data).hexdigest()

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # Pickled for the executors' wire, the bytes go out of band (protocol 5): the wire sends them as they
        # are, where an in-band pickle would copy a 100 MB file into the frame (and a frame into a bigger one).
        data = pickle.PickleBuffer(self.data) if protocol >= 5 else self.data
        return (WeightsFile, (data, self.layout, self.filename, self.digest))

    def __repr__(self) -> str:
        return f"WeightsFile({self.layout}, {self.filename!r}, sha256={self.digest})"


@dataclass(frozen=True)
class Expected:
    """A variable the planned model holds, and where its file keeps it."""

    path: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: str
    owner: str  # the layer it belongs to, for the refusal


def _refused(detail: str) -> RefusedFile:
    return RefusedFile(detail, "model_weights")


@contextlib.contextmanager
def opened(data: bytes, filename: str) -> Iterator[h5py.File]:
    """The file, read from memory; a 422 for bytes HDF5 cannot read."""
    try:
        file = h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as error:
        raise _refused(f"the weights file of '{filename}' is no readable HDF5 file: {error}") from None
    with file:
        yield file


def _step(group: Any, name: str, where: str) -> Any:
    """One step along a path: the member `name` of `group`, reached by a hard link only."""
    if not isinstance(group, h5py.Group):
        raise _refused(f"{where}: a dataset stands where a group is expected")
    link = group.get(name, getlink=True)
    if link is None:
        raise _refused(f"{where} is not in the file")
    if not isinstance(link, h5py.HardLink):
        raise _refused(f"{where} is a {type(link).__name__}; only the file's own members are read (no links)")
    return group[name]


def member(file: h5py.File, path: tuple[str, ...], filename: str) -> Any:
    node: Any = file
    for depth in range(len(path)):
        node = _step(node, path[depth], f"'{'/'.join(path[: depth + 1])}' in the weights of '{filename}'")
    return node


def _checked(dataset: Any, expected: Expected, filename: str) -> h5py.Dataset:
    """The dataset, once its layout, shape and dtype say it holds this variable and nothing else."""
    where = f"'{'/'.join(expected.path)}' in the weights of '{filename}' (layer '{expected.owner}')"
    if not isinstance(dataset, h5py.Dataset):
        raise _refused(f"{where} is a group; a variable is a dataset")
    if dataset.is_virtual:
        raise _refused(f"{where} is a virtual dataset, which reads other files; refused")
    if dataset.external:
        raise _refused(f"{where} keeps its data in external files; refused")
    filters = dataset.id.get_create_plist().get_nfilters()
    if filters:
        raise _refused(f"{where} is stored through {filters} filter(s) (compression, ...); Keras writes none")
    if tuple(dataset.shape or ()) != expected.shape:
        raise _refused(
            f"{where} has shape {list(dataset.shape or ())}; the model's config makes that variable "
            f"{list(expected.shape)}: the weights file does not belong to this config"
        )
    if dataset.dtype != np.dtype(expected.dtype):
        raise _refused(f"{where} holds {dataset.dtype}; the model keeps that variable as {expected.dtype}")
    return dataset


def check(file: h5py.File, expected: list[Expected], filename: str) -> list[h5py.Dataset]:
    """Every expected variable's dataset, checked; no data read."""
    return [_checked(member(file, item.path, filename), item, filename) for item in expected]


def read(datasets: list[h5py.Dataset]) -> list[np.ndarray]:
    """The checked datasets' values."""
    values = []
    for dataset in datasets:
        try:
            values.append(dataset[()])
        except (OSError, ValueError) as error:  # its data lies past the end of the file, or is corrupt
            raise _refused(f"'{dataset.name}' could not be read: {error}") from None
    return values


def names(file: h5py.File, path: tuple[str, ...], attribute: str, filename: str) -> list[tuple[str, ...]]:
    """A legacy .h5 group's list of member paths (its `weight_names`), each checked to stay inside the
    group."""
    group = member(file, path, filename)
    where = f"'{'/'.join(path)}' in '{filename}'"
    if not isinstance(group, h5py.Group):
        raise _refused(f"{where} is a dataset; a layer's weights are a group")
    value = group.attrs.get(attribute)
    if value is None:
        return []
    listed = np.asarray(value).reshape(-1)
    if listed.size > MAX_NAMES:
        raise _refused(f"{where} lists {listed.size:,} {attribute}, more than {MAX_NAMES}")
    paths = []
    for item in listed.tolist():
        text = item.decode("utf-8", "replace") if isinstance(item, bytes) else item
        if not isinstance(text, str) or not text or len(text) > MAX_NAME_CHARACTERS:
            raise _refused(f"{where} lists a {attribute} entry {str(text)[:80]!r}; names are non-empty text")
        parts = tuple(text.split("/"))
        if text.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise _refused(f"{where} lists {text[:80]!r}, a path out of its group")
        paths.append(parts)
    return paths


def model_config(data: bytes, filename: str, max_config_bytes: int) -> bytes:
    """A legacy .h5 file's config (its root's `model_config` attribute) as JSON bytes."""
    with opened(data, filename) as file:
        value: Optional[Any] = file.attrs.get("model_config")
        if value is None:
            raise RefusedFile(
                f"the .h5 file '{filename}' has no model_config attribute: it holds weights only "
                "(model.save_weights); send the file model.save('m.h5') writes, or a .keras file",
                "model_file",
            )
        text = value if isinstance(value, bytes) else str(value).encode("utf-8")
        if len(text) > max_config_bytes:
            raise RefusedFile(
                f"the config of '{filename}' is {len(text):,} bytes, more than max_body_bytes={max_config_bytes:,}",
                "model_file",
            )
        member(file, ("model_weights",), filename)  # a hard-linked group, or refused now
    return text
