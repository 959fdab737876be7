"""A model file's config and weights file, read without running anything in it.

A `.keras` file is a zip of config.json, metadata.json and model.weights.h5: only those names are read, each
member's size and compression ratio bounded before a byte of it is inflated (and again while it is, as a
member's header may lie). A legacy `.h5` file holds its config as the root's `model_config` attribute and its
weights under `model_weights`; the whole file is the weights file.
"""

import io
import zipfile
from dataclasses import dataclass
from typing import IO, Literal

from keras_shape_service.errors import RefusedFile

from .hdf5 import HDF5_SIGNATURE, WeightsFile, model_config

ZIP_SIGNATURE = b"PK\x03\x04"
CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
METADATA_BYTES = 65_536  # a few lines Keras writes: its version and the date
# Keras stores its members uncompressed; a text config deflates about 10 to 1. A member inflating to more than
# this many times its stored size is no model file (a zip bomb inflates a thousand times or more).
MAX_COMPRESSION_RATIO = 100
Layout = Literal["keras", "h5"]


@dataclass(frozen=True)
class ModelFile:
    """What the engine needs of a model file: its config (JSON text, read as a to_json document) and its
    weights file."""

    config: bytes
    weights: WeightsFile


def _refused(detail: str) -> RefusedFile:
    return RefusedFile(detail)


def read_model_file(stream: IO[bytes], filename: str, max_config_bytes: int) -> ModelFile:
    """The config and weights of a `.keras` or `.h5` file (a seekable stream: the upload as werkzeug spooled
    it), told apart by their first bytes; a 422 saying what is wrong with any other file, or with one of these
    that is not as Keras writes it. Of a `.keras` file only its members are read into memory, each once; of a
    `.h5` file the whole file, once."""
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    head = stream.read(len(HDF5_SIGNATURE))
    stream.seek(0)
    if head.startswith(ZIP_SIGNATURE):
        return _keras_archive(stream, size, filename, max_config_bytes)
    if head.startswith(HDF5_SIGNATURE):
        data = stream.read(size)  # sized: read() after a short read joins two buffers, a second copy
        config = model_config(data, filename, max_config_bytes)
        return ModelFile(config, WeightsFile(data, "h5", filename))
    raise _refused(
        f"the file '{filename}' is neither a .keras archive (a zip) nor a legacy .h5 file (HDF5): send the file "
        "model.save('m.keras') or model.save('m.h5') writes"
    )


def is_model_file(stream: IO[bytes]) -> bool:
    """Whether a stream starts as a .keras or .h5 file does (left at its start)."""
    head = stream.read(len(HDF5_SIGNATURE))
    stream.seek(0)
    return head.startswith(ZIP_SIGNATURE) or head.startswith(HDF5_SIGNATURE)


def _keras_archive(stream: IO[bytes], size: int, filename: str, max_config_bytes: int) -> ModelFile:
    try:
        archive = zipfile.ZipFile(stream)
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _refused(f"the file '{filename}' is not a readable zip archive: {error}") from None
    limits = {CONFIG: max_config_bytes, METADATA: METADATA_BYTES, WEIGHTS: size * MAX_COMPRESSION_RATIO}
    names = [member.filename for member in members]
    for name in names:
        if name.startswith("/") or "\\" in name or ".." in name.split("/"):
            raise _refused(f"the archive '{filename}' holds a member named {name!r}, a path out of the archive")
        if name not in limits:
            raise _refused(
                f"the archive '{filename}' holds a member {name!r}; a .keras file holds only {sorted(limits)}"[:400]
            )
    if len(set(names)) != len(names):
        raise _refused(f"the archive '{filename}' holds a member twice: {sorted(names)}"[:400])
    for required in (CONFIG, WEIGHTS):
        if required not in names:
            raise _refused(f"the archive '{filename}' has no {required}; a .keras file holds {sorted(limits)}")
    read = {member.filename: _member(archive, member, limits[member.filename], filename) for member in members}
    return ModelFile(read[CONFIG], WeightsFile(read[WEIGHTS], "keras", filename))


def _member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int, filename: str) -> bytes:
    """One member's bytes, its declared size and ratio bounded before it is inflated and its real size while
    it is."""
    where = f"the member {member.filename} of '{filename}'"
    if member.flag_bits & 0x1:
        raise _refused(f"{where} is encrypted; Keras writes no encrypted archive")
    if member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
        raise _refused(
            f"{where} inflates {member.file_size:,} bytes from {member.compress_size:,}, more than "
            f"{MAX_COMPRESSION_RATIO} times: no model file compresses so (a zip bomb does)"
        )
    if member.file_size > limit:
        raise _refused(f"{where} declares {member.file_size:,} bytes, more than the {limit:,} it may hold")
    try:
        with archive.open(member) as stream:
            content = stream.read(member.file_size + 1)  # past its declared size: its header lied
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as error:
        raise _refused(f"{where} could not be read: {error}") from None
    if len(content) != member.file_size:
        raise _refused(f"{where} holds another size than its header declares ({member.file_size:,} bytes)")
    return content
