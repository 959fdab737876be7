"""Bounded LRU caches (built models, summaries, answers) and the key of what determines a model."""

import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Callable, Generic, Optional, TypeVar

from keras_shape_service.specs.canonical import CanonicalSpec

Value = TypeVar("Value")


def spec_key(spec: CanonicalSpec, seed: Optional[int]) -> str:
    """A hash of everything that shapes a model and its weights, independent of key order in the request."""
    # Each dataclass as its fields, met by json's C encoder: dataclasses.asdict deep-copied every number of a
    # constant's value, a Python step each (a 6 MB body's million one-number rows: 8 s of CPU per request).
    encoded = json.dumps([spec, seed], sort_keys=True, separators=(",", ":"), default=_fields).encode()
    return hashlib.sha256(encoded).hexdigest()


def _fields(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    return repr(value)


class LruCache(Generic[Value]):
    """Least-recently-used entries, bounded by count and by the summed size of its values; thread-safe."""

    def __init__(self, max_entries: int, max_bytes: int, size_of: Callable[[Value], int]):
        self.max_entries, self.max_bytes, self._size_of = max_entries, max_bytes, size_of
        self._entries: OrderedDict[str, Value] = OrderedDict()
        self._lock = threading.Lock()
        self.total_bytes = 0

    def get(self, key: str) -> Optional[Value]:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: Value) -> None:
        """Keep `value` unless it alone is over the bounds; evict the least recent to make room."""
        size = self._size_of(value)
        if self.max_entries == 0 or size > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self.total_bytes -= self._size_of(self._entries.pop(key))
            self._entries[key] = value
            self.total_bytes += size
            while len(self._entries) > self.max_entries or self.total_bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.total_bytes -= self._size_of(evicted)

    def __len__(self) -> int:
        return len(self._entries)
