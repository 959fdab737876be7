"""A 25M-parameter `.keras` file uploaded to the service and predicted on (multipart/form-data over HTTP, as
`curl -F model=@big.keras -F inputs=@x.npy` sends it), against Keras's own `keras.saving.load_model` and
`predict` of the same file in this process; and the HTTP worker's memory while it takes the upload.

Each run uploads a file of its own (the same layers, another bias), so that neither the answer cache nor the
executors' model cache answers it: every run reads its file's 100 MB of weights, as load_model does. The
worker's memory is its RSS, read from /proc every 10 ms during each upload: the part a 100 MB file costs it
(werkzeug spools the file part to a temporary file; the weights are read from there once).

Run alone (`python -m bench.files`), it starts the service as `make serve` does; `make bench` runs it last.
"""

import http.client
import io
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from bench import servers  # noqa: E402

UNITS = 5000  # Input(5000) -> Dense(5000) -> Dense(10): 25,055,010 parameters, a 100 MB .keras file
RUNS = 3
BATCH = 2
SAMPLE_S = 0.01


@dataclass
class FileUpload:
    """What the phase measured: seconds per run (the service's, Keras's), and the HTTP workers' RSS."""

    params: int = 0
    file_mb: float = 0.0
    service_s: list[float] = field(default_factory=list)
    keras_s: list[float] = field(default_factory=list)
    worker_rss_before_mb: float = 0.0  # the serving worker's RSS just before each upload (the largest)
    worker_rss_peak_mb: float = 0.0  # its highest RSS while an upload was taken and answered
    worker_rss_after_mb: float = 0.0  # its RSS after the last answer
    largest_difference: float = 0.0  # between the service's predictions and Keras's
    problems: list[str] = field(default_factory=list)


def _model_files(folder: Path) -> tuple[list[Path], int]:
    """RUNS .keras files of the same 25M-parameter model, each with another bias, saved by Keras."""
    import keras  # only here: the rest of the bench runs without TensorFlow

    model = keras.Sequential([keras.Input((UNITS,)), keras.layers.Dense(UNITS), keras.layers.Dense(10)])
    paths = []
    for run in range(RUNS):
        model.layers[-1].bias.assign(np.full((10,), 0.01 * run, np.float32))
        path = folder / f"wide{run}.keras"
        model.save(path)
        paths.append(path)
    return paths, model.count_params()


def _multipart(path: Path, inputs: np.ndarray) -> tuple[bytes, str]:
    """The body curl -F model=@path -F inputs=@x.npy sends, and its content type."""
    boundary = uuid.uuid4().hex
    npy = io.BytesIO()
    np.save(npy, inputs, allow_pickle=False)
    parts = []
    for name, filename, data in (("model", path.name, path.read_bytes()), ("inputs", "x.npy", npy.getvalue())):
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts += [head.encode(), data, b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0) / 1024
    except OSError:
        return 0.0


def _http_workers(server: servers.Server) -> list[int]:
    return [
        pid
        for pid in servers._children(server.process.pid)
        if b"keras_shape_service.executors.process" not in servers._cmdline(pid)
    ]


class _Sampler:
    """The highest RSS of each process while the block runs."""

    def __init__(self, pids: list[int]):
        self.peaks = {pid: _rss_mb(pid) for pid in pids}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(SAMPLE_S):
            for pid in self.peaks:
                self.peaks[pid] = max(self.peaks[pid], _rss_mb(pid))

    def __enter__(self) -> "_Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def _upload(port: int, body: bytes, content_type: str) -> tuple[int, bytes, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        started = time.perf_counter()
        connection.request("POST", "/v1/predict", body, {"Content-Type": content_type})
        response = connection.getresponse()
        answer = response.read()
        return response.status, answer, time.perf_counter() - started
    finally:
        connection.close()


def measure(server: servers.Server) -> FileUpload:
    """The phase, against a running service."""
    import json

    import keras

    result = FileUpload()
    x = np.random.default_rng(0).normal(size=(BATCH, UNITS)).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        paths, result.params = _model_files(Path(folder))
        result.file_mb = paths[0].stat().st_size / 1e6
        workers = _http_workers(server)
        for path in paths:
            body, content_type = _multipart(path, x)
            before = {pid: _rss_mb(pid) for pid in workers}
            with _Sampler(workers) as sampler:
                status, answer, seconds = _upload(server.port, body, content_type)
            del body
            if status != 200:
                result.problems.append(f"upload answered {status}: {answer[:300]!r}")
                continue
            result.service_s.append(seconds)
            grown = max(workers, key=lambda pid: sampler.peaks[pid] - before[pid])  # the worker that served it
            result.worker_rss_before_mb = max(result.worker_rss_before_mb, before[grown])
            result.worker_rss_peak_mb = max(result.worker_rss_peak_mb, sampler.peaks[grown])
            result.worker_rss_after_mb = _rss_mb(grown)
            started = time.perf_counter()
            expected = keras.saving.load_model(path).predict(x, verbose=0)
            result.keras_s.append(time.perf_counter() - started)
            got = np.array(json.loads(answer)["predictions"])
            result.largest_difference = max(result.largest_difference, float(np.abs(got - expected).max()))
    return result


def render(result: FileUpload) -> str:
    """The phase's lines for the report."""
    if not result.service_s:
        return "\n## Model file upload\n\n" + "\n".join(result.problems or ["not run"]) + "\n"
    service, keras_s = statistics.median(result.service_s), statistics.median(result.keras_s)
    return (
        f"\n## Model file upload ({result.params:,} parameters, a {result.file_mb:.0f} MB .keras file, batch "
        f"{BATCH})\n\n"
        "| | median s | runs |\n|---|---:|---|\n"
        f"| service: multipart upload over HTTP, predict | {service:.2f} | "
        f"{', '.join(f'{s:.2f}' for s in result.service_s)} |\n"
        f"| Keras in-process: load_model + predict | {keras_s:.2f} | "
        f"{', '.join(f'{s:.2f}' for s in result.keras_s)} |\n\n"
        f"Ratio service / Keras: {service / keras_s:.2f}×. Predictions within {result.largest_difference:.1e} of "
        f"Keras's. The serving HTTP worker's RSS: {result.worker_rss_before_mb:.0f} MB before an upload, "
        f"{result.worker_rss_peak_mb:.0f} MB at its peak "
        f"(+{result.worker_rss_peak_mb - result.worker_rss_before_mb:.0f} MB), "
        f"{result.worker_rss_after_mb:.0f} MB after the last.\n"
        + "".join(f"\n{problem}\n" for problem in result.problems)
    )


def main() -> int:
    """The phase alone, against a service started as `make serve` starts it."""
    results = servers.ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    with servers.serve(servers.Contender("service"), results / "files-service.log") as (server, _):
        workers = servers.gunicorn_settings({"HOST": "127.0.0.1", "PORT": "0"})["workers"]
        server.settle(workers)
        text = render(measure(server))
    (results / "files.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
