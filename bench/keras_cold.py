"""Keras itself, in this process, as a contender of the cold phase: what a user pays who builds the model with
Keras rather than asking the service. For each body the cold phase sends: read it, build the keras.Sequential,
call it once on the body's inputs and render its summary, the three things a cold /v1/predict answers.

It takes its turn in the cold phase's blocks like the HTTP contenders (`load.alternating`), through the same
`post` a connection has, so that it meets the machine's noise of the same seconds. TensorFlow is imported only
when the contender is made (the bench's other phases run without it).
"""

import json
from typing import Any

SUMMARY_WIDTH = 88  # the line width the service and the naive peer render the summary at


def sequential(model_spec: dict) -> Any:
    """The keras.Sequential of a concise-form spec the bench sends (its first layer carries input_shape),
    compiled as the spec asks, as the service compiles it; Keras's own default layer names."""
    import keras

    layers = [keras.Input(shape=tuple(model_spec["layers"][0]["input_shape"]))]
    for spec in model_spec["layers"]:
        arguments = {key: value for key, value in spec.items() if key not in ("type", "input_shape")}
        layers.append(getattr(keras.layers, spec["type"])(**arguments))
    model = keras.Sequential(layers)
    if "compile" in model_spec:
        model.compile(**model_spec["compile"])
    return model


class KerasInProcess:
    """A cold-phase contender with the `post` of `load.Connection`: Keras builds, calls and summarizes the body's
    model here. Its answer is the prediction's shape and the summary, as JSON, for the bench's check."""

    def __init__(self) -> None:
        import keras  # noqa: F401  (the import's seconds are not the first model's)
        import numpy

        self._numpy = numpy

    def post(self, path: str, body: bytes) -> tuple[int, bytes, bool]:
        request = json.loads(body)
        model = sequential(request["model"])
        predictions = self._numpy.asarray(model(self._numpy.asarray(request["inputs"], dtype="float32")))
        lines: list[str] = []
        model.summary(line_length=SUMMARY_WIDTH, print_fn=lambda line, **_: lines.append(line))
        answer = {
            "output_shape": list(predictions.shape),
            "predictions": predictions.tolist(),
            "summary": "".join(lines),
        }
        return 200, json.dumps(answer).encode(), False

    def close(self) -> None:
        pass
