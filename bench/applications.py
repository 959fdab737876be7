"""`/v1/summary` of ResNet50 by name, cold, against Keras's own time to build it (weights=None, in a
StatelessScope, no weight allocated) and render its summary in this process."""

import json
import statistics
import time

from bench import load

RUNS = 5  # each with another `classes`, so that no cache of the service's answers it


def _body(index: int) -> bytes:
    return json.dumps(
        {"model": {"application": "ResNet50", "input_shape": [224, 224, 3], "classes": 1000 + index}}
    ).encode()


def service_seconds(port: int) -> float:
    """Median seconds of a cold `/v1/summary` of ResNet50 by name, over one keep-alive connection."""
    connection, times = load.Connection(port), []
    try:
        for index in range(RUNS):
            started = time.perf_counter()
            status, answer, _ = connection.post("/v1/summary", _body(index))
            times.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"/v1/summary of ResNet50 answered {status}: {answer[:300]!r}")
    finally:
        connection.close()
    return statistics.median(times)


def keras_seconds() -> float:
    """Median seconds for Keras itself, in this process, to build ResNet50 and render its summary."""
    import keras  # only here: the rest of the bench runs without TensorFlow

    times = []
    for index in range(RUNS):
        started = time.perf_counter()
        with keras.StatelessScope():
            model = keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3), classes=1000 + index)
            model.summary(print_fn=lambda *args, **kwargs: None)
        times.append(time.perf_counter() - started)
    return statistics.median(times)
