"""Every setting of the service, read once from the environment (prefix KSS_)."""

import ipaddress
import os
from typing import Optional

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CORES = os.cpu_count() or 2


class Settings(BaseSettings):
    """Limits, budgets and switches; each field is overridden by the environment variable KSS_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="KSS_", extra="ignore")

    max_body_bytes: int = Field(8_000_000, gt=0)
    """Largest request body accepted, in bytes (413 above it, chunked bodies too)."""
    max_file_bytes: int = Field(128 * 2**20, gt=0)
    """Largest model file uploaded as multipart/form-data (its part `model`), in bytes: a 25M-parameter float32
    model's weights are 100 MB. The upload's other parts are bounded by max_body_bytes, as a JSON body is."""
    body_timeout_s: float = Field(30, gt=0)
    """Seconds a client may take to send its whole body (408 past it)."""
    max_json_depth: int = Field(32, gt=0, le=64)
    """Deepest nesting of arrays and objects in a request body; at most 64, the most axes a numpy array has
    (inputs nested deeper could not be an array)."""
    max_layers: int = Field(1_200, gt=0)
    """Most layers a model may have, nested ones included (NASNetLarge has 1,041)."""
    max_graph_size: int = Field(2_500, gt=0)
    """Most inputs, outputs and layer calls plus the tensors they read, a nested model's once per call of it and
    once for building it: what building a graph costs (NASNetLarge's to_json: 2,298)."""
    max_input_elements: int = Field(1_000_000, gt=0)
    """Most numbers `inputs` may hold, batch included."""
    max_constant_elements: int = Field(1_000_000, gt=0)
    """Most numbers a model's constant tensors may hold, all of them (to_json's __tensor__ arguments, which Keras
    writes for what it computed outside the graph: a position embedding's table), the outputs layers compute
    from them (__layer_output__) included."""
    max_config_values: int = Field(10_000, gt=0)
    """Most JSON values one layer's arguments may hold (its config, a wrapped layer's included; weights travel in
    `weights`): Keras's layers take a few numbers and names. A list of 1,000,000 numbers as an argument took Keras
    6 s to refuse (its error prints it) or to answer (Rescaling's scale), echoing 5 MB."""
    max_batch: int = Field(1024, gt=0)
    """Largest batch (first axis of `inputs`)."""
    max_params: int = Field(64_000_000, gt=0)
    """Most parameters a model may have for /v1/predict, where its weights are allocated."""
    max_summary_params: int = Field(10_000_000_000, gt=0)
    """Most parameters a model may have for /v1/summary, which allocates no weights."""
    max_activation_elements: int = Field(5_000_000, gt=0)
    """Most numbers any one layer may output for the whole batch."""
    max_answer_bytes: int = Field(64 * 2**20, gt=0)
    """Largest answer a prediction may make, in bytes, estimated from its output shapes and batch before it runs
    (at most 24 bytes a number as JSON): an answer is held whole in memory until the client has read it."""
    send_timeout_s: float = Field(60, gt=0)
    """Seconds an answer may take to be sent, from its first byte; past it the connection is closed and the
    answer's memory freed (an answer is held whole until the client has read it, and a client that never
    reads would hold it for as long as its socket stays open). The largest answer, max_answer_bytes, needs a
    client reading over 1.1 MB/s at the default."""
    max_multiply_adds: int = Field(20_000_000_000, gt=0)
    """Most multiply-adds a prediction may cost, estimated from shapes (ResNet50 on one image: about 4.5e9)."""
    compute_budget_s: float = Field(10, gt=0)
    """Wall-clock seconds one request may keep an executor busy; past it the executor is killed (SIGKILL) and
    replaced, and the request answered 422."""
    memory_budget_mb: int = Field(2048, gt=0)
    """Memory one request may add to its executor's address space (RLIMIT_AS, enforced by the kernel)."""
    known_killers: int = Field(256, ge=0)
    """Requests that ran past a budget (their executor stopped) remembered per HTTP worker, by operation, model
    and input shapes, the least recently sent forgotten first; sent again, they are refused at once (422)
    without running. 0 turns it off."""
    max_kills_per_client: int = Field(5, gt=0)
    """Requests of one client (by remote address) that may run past a budget, each stopping an executor, within
    kill_window_s; past it the client's requests are answered 429 with Retry-After until the oldest ages out."""
    trusted_proxies: str = ""
    """Comma-separated addresses or networks (CIDR) of proxies in front of the service, e.g. "127.0.0.1" for a
    sidecar. A request from one of them is taken as from the right-most address of its X-Forwarded-For that is
    no trusted proxy (what max_kills_per_client counts by); from any other peer X-Forwarded-For is ignored,
    since a client may write anything there. Empty (the default): the peer's address, always."""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for entry in filter(None, (part.strip() for part in value.split(","))):
            ipaddress.ip_network(entry, strict=False)  # a ValueError names the entry
        return value

    kill_window_s: float = Field(60, gt=0)
    """The window, in seconds, over which max_kills_per_client counts."""
    known_good: int = Field(4096, ge=0)
    """Requests answered within half their compute budget remembered per HTTP worker, by operation, model and
    input shapes (as known_killers), the least recently sent forgotten first: sent again, they may go to the
    reserved executors (reserved_executors)."""
    reserved_executors: int = Field(1, ge=0)
    """Executors, of the `executors` kept running, that take only known-good requests (known_good; the seed
    model is known from the start), so that never-seen requests, however many run past their budgets, cannot
    take all the capacity; at most executors - 1 (one executor reserves nothing). 0 turns it off."""
    request_deadline_ms: int = Field(5_000, gt=0)
    """How long a request may wait for an executor to take it before a 503 with Retry-After."""
    executors: int = Field(CORES, gt=0)
    """Executor processes kept running: the processes where Keras runs, one per core."""
    max_executors: int = Field(CORES + 2, gt=0)
    """Most executor processes at once: while every executor is busy a spare is forked, up to this many, so
    that a short request never waits behind long ones."""
    executor_recycle_mb: int = Field(256, gt=0)
    """An executor whose resident memory grew past this over its start is replaced after its answer."""
    executor_socket: Optional[str] = None
    """The executors' Unix socket; keras_shape_service/gunicorn_conf.py sets it. Unset, Keras runs in the HTTP process
    (tests, embedding), where nothing but the estimates bounds a request."""
    model_cache_entries: int = Field(64, ge=0)
    """Built models kept per executor for specs seen again (0 turns the cache off)."""
    model_cache_bytes: int = Field(64 * 2**20, gt=0)
    """Most bytes of weights the model cache of one executor may hold."""
    response_cache_bytes: int = Field(16 * 2**20, ge=0)
    """Bytes of answers kept per HTTP worker for bodies sent again byte for byte (0 turns it off)."""
    tf_threads: int = Field(1, gt=0)
    """TensorFlow intra-op threads per executor."""
    model_repository: Optional[str] = None
    """A directory of `<name>.json` model files (a model spec, or {"model", "seed", "weights"}) served over the
    Open Inference Protocol v2 under /v2; read and checked once at start, a bad file refused by name (in the
    log and /readyz) while the others are served. Unset: no repository."""
