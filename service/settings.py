"""Every setting of the service, read once from the environment (prefix KSS_)."""
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Limits and switches; each field is overridden by the environment variable KSS_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="KSS_", extra="ignore")

    max_body_bytes: int = Field(2_000_000, gt=0)
    """Largest request body accepted, in bytes (413 above it)."""
    max_json_depth: int = Field(32, gt=0)
    """Deepest nesting of arrays and objects in a request body."""
    max_layers: int = Field(64, gt=0)
    """Most layers a model may have."""
    max_input_elements: int = Field(100_000, gt=0)
    """Most numbers `inputs` may hold, batch included."""
    max_batch: int = Field(1024, gt=0)
    """Largest batch (first axis of `inputs`)."""
    max_params: int = Field(20_000_000, gt=0)
    """Most parameters a model may have for /v1/predict, where its weights are allocated."""
    max_summary_params: int = Field(10_000_000_000, gt=0)
    """Most parameters a model may have for /v1/summary, which allocates no weights."""
    max_activation_elements: int = Field(5_000_000, gt=0)
    """Most numbers any one layer may output for the whole batch."""
    max_multiply_adds: int = Field(4_000_000_000, gt=0)
    """Most multiply-adds a prediction may cost, estimated from shapes (about a second of one core)."""
    request_deadline_ms: int = Field(5_000, gt=0)
    """How long a request may wait for its worker's Keras turn before a 503 with Retry-After."""
    hard_timeout_s: float = Field(60, gt=0)
    """A worker whose request holds Keras longer than this ends itself; gunicorn starts a fresh one."""
    watchdog: bool = False
    """Run the hard-timeout watchdog; gunicorn_conf.py turns it on for workers (never in a test process)."""
    model_cache_entries: int = Field(64, ge=0)
    """Built models kept per worker for specs seen again (0 turns the cache off)."""
    model_cache_bytes: int = Field(64 * 2**20, gt=0)
    """Most bytes of weights the model cache of one worker may hold."""
    response_cache_bytes: int = Field(16 * 2**20, ge=0)
    """Bytes of answers kept per worker for bodies sent again byte for byte (0 turns it off)."""
    tf_threads: int = Field(1, gt=0)
    """TensorFlow intra-op threads per worker; gunicorn runs one worker per core."""
