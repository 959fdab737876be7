"""An uploaded model file in the HTTP worker: from the multipart body to the frame sent to an executor, one copy
of its weights in memory. The form's file part stays where werkzeug spooled it (a temporary file past 500 kB),
the weights are read from it once, and the frame sends those bytes as they are. Before, the worker held three
copies at its peak (the file read whole, the weights member, the pickled frame and the frame joined to its
length): 301 MB of Python allocations for a 100 MB file."""

import io
import tracemalloc

import keras
import numpy as np
import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from keras_shape_service.executors import wire
from keras_shape_service.executors.client import killer_key
from keras_shape_service.http import uploads
from keras_shape_service.http.app import create_app
from keras_shape_service.schemas import PredictRequest
from keras_shape_service.settings import Settings

UNITS = 1200  # two Dense layers of 1200 x 1200: 2.9M parameters, an 11.5 MB file


@pytest.fixture(scope="module", params=["keras", "h5"])
def model_file(request, tmp_path_factory):
    model = keras.Sequential([keras.Input((UNITS,)), keras.layers.Dense(UNITS), keras.layers.Dense(UNITS)])
    path = tmp_path_factory.mktemp("memory") / f"wide.{request.param}"
    model.save(path)
    return path


def _worker_side_peak(path) -> tuple[int, PredictRequest]:
    """Peak bytes Python allocated while the HTTP worker's part of an upload ran: the form parsed and digested,
    the file read, the known-killers key made and the executor's frame made."""
    inputs = io.BytesIO()
    np.save(inputs, np.ones((1, UNITS), np.float32))
    fields = {
        "model": FileStorage(io.BytesIO(path.read_bytes()), filename=path.name),
        "inputs": FileStorage(io.BytesIO(inputs.getvalue()), filename="x.npy"),
    }
    boundary, body = encode_multipart(fields)
    settings = Settings()
    app = create_app(settings, engine=object())  # type: ignore[arg-type]  # no executor: nothing is answered
    content_type = f"multipart/form-data; boundary={boundary}"
    with app.test_request_context("/v1/predict", method="POST", data=body, content_type=content_type):
        tracemalloc.start()
        try:
            form = uploads.received(settings, "predict")
            typed = uploads.typed_request(PredictRequest, form, settings, "predict")
            killer_key("predict", typed)
            frame = wire.pieces(wire.Job("predict", typed))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert sum(len(memoryview(piece)) for piece in frame) > path.stat().st_size * 0.99  # the weights are sent
    return peak, typed


def test_an_upload_is_held_once_in_the_http_worker(model_file):
    size = model_file.stat().st_size
    peak, typed = _worker_side_peak(model_file)
    assert typed.weights_file is not None and len(typed.weights_file.data) > 0.99 * size
    assert peak < 1.3 * size, f"{peak / 1e6:.1f} MB allocated at the peak for a {size / 1e6:.1f} MB file"
