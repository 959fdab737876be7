"""Validated model specs, pickled once each: their pickle and its digest, kept beside the spec object.

A new input to a known model pickled its unchanged spec three times a request (the HTTP worker's killer key and
its Job, the executor's reading key) and rebuilt it from its pickle once (the executor's Job). With this, the
HTTP worker pickles a spec the first time it sends it (the body reader hands it the same validated object for
the same model: http/body.py), and the executor unpickles a spec the first time it receives it: a Job carries
the spec's digest and pickle, and an executor that holds a spec of exactly those bytes takes it as it is.

A spec is found by the object it is (`of`), or by its digest and exact pickle (`known`): never by anything an
equal-looking spec could share. A kept spec is shared by the requests that send it: nothing changes a validated
spec in place (a changed one is a model_copy).
"""

import hashlib
import pickle
import threading
from collections import OrderedDict
from typing import Optional

from pydantic import BaseModel

SPECS_KEPT = 256  # specs kept per process, the least recently used forgotten first
# A larger pickle is made each time it is sent, as before: what the cache holds stays within ~16 MB (a spec
# read from an uploaded file's config can be hundreds of kilobytes; the new-input hot path's are a few).
LARGEST_KEPT_BYTES = 65_536


class SpecPickles:
    """At most `size` specs with their pickle and its sha256 digest, each pickle at most `largest` bytes."""

    def __init__(self, size: int = SPECS_KEPT, largest: int = LARGEST_KEPT_BYTES):
        self.size, self.largest = size, largest
        self._by_digest: OrderedDict[str, tuple[BaseModel, bytes]] = OrderedDict()
        self._digest_of: dict[int, str] = {}  # by id(spec): valid while _by_digest holds the spec (so its id)
        self._lock = threading.Lock()

    def of(self, spec: BaseModel) -> tuple[str, bytes]:
        """The spec's digest and pickle: made the first time this spec object is asked for, kept after."""
        with self._lock:
            digest = self._digest_of.get(id(spec))
            entry = None if digest is None else self._by_digest.get(digest)
            if digest is not None and entry is not None and entry[0] is spec:
                self._by_digest.move_to_end(digest)
                return digest, entry[1]
        pickled = pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
        digest = hashlib.sha256(pickled).hexdigest()
        self.keep(digest, spec, pickled)
        return digest, pickled

    def known(self, digest: str, pickled: bytes) -> Optional[BaseModel]:
        """The spec kept under this digest, where it was made from exactly these bytes; else None."""
        with self._lock:
            entry = self._by_digest.get(digest)
            if entry is None or entry[1] != pickled:
                return None
            self._by_digest.move_to_end(digest)
            return entry[0]

    def keep(self, digest: str, spec: BaseModel, pickled: bytes) -> None:
        """Keep `spec`, made from (or pickled as) `pickled`, whose sha256 is `digest` (unless it is too large)."""
        if len(pickled) > self.largest:
            return
        with self._lock:
            replaced = self._by_digest.pop(digest, None)
            if replaced is not None and self._digest_of.get(id(replaced[0])) == digest:
                del self._digest_of[id(replaced[0])]
            self._by_digest[digest] = (spec, pickled)
            self._digest_of[id(spec)] = digest
            while len(self._by_digest) > self.size:
                forgotten, (old, _) = self._by_digest.popitem(last=False)
                if self._digest_of.get(id(old)) == forgotten:
                    del self._digest_of[id(old)]

    def clear(self) -> None:
        with self._lock:
            self._by_digest.clear()
            self._digest_of.clear()


SPEC_PICKLES = SpecPickles()  # one per process: an HTTP worker's, an executor's
