"""Model files uploaded to the real gunicorn (HTTP workers in front, Keras in the executors): the file's
weights cross the executors' wire, the answers are Keras's own, and the same upload sent again is answered
from the HTTP worker's answer cache."""

import io

import keras
import numpy as np
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    model = keras.Sequential(
        [keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3), keras.layers.Flatten(), keras.layers.Dense(4)]
    )
    folder = tmp_path_factory.mktemp("uploads")
    paths = {suffix: folder / f"small.{suffix}" for suffix in ("keras", "h5")}
    for path in paths.values():
        model.save(path)
    return paths


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _answers_from_cache(url: str, operation: str) -> float:
    text = requests.get(f"{url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = {"operation": operation, "form": "upload", "source": "cache"}
            if sample.name == "kss_answers_total" and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_an_upload_is_answered_by_the_executors_then_from_the_cache(server, saved):
    x = np.random.default_rng(3).normal(size=(2, 6, 6, 2)).astype(np.float32)
    expected = keras.saving.load_model(saved["keras"]).predict(x, verbose=0)
    files = {"model": ("small.keras", saved["keras"].read_bytes()), "inputs": ("x.npy", _npy(x))}
    before = _answers_from_cache(server, "predict")
    with requests.Session() as session:  # one kept connection: one HTTP worker, whose cache answers again
        first = session.post(f"{server}/v1/predict", files=files, timeout=60)
        assert first.status_code == 200, first.text
        np.testing.assert_allclose(np.array(first.json()["predictions"]), expected, atol=1e-5, rtol=0)
        again = session.post(f"{server}/v1/predict", files=files, timeout=60)
    assert again.status_code == 200 and again.content == first.content
    assert _answers_from_cache(server, "predict") == before + 1


def test_compare_two_files_through_the_executors(server, saved):
    x = np.ones((1, 6, 6, 2), np.float32)
    files = {
        "a": ("small.keras", saved["keras"].read_bytes()),
        "b": ("small.h5", saved["h5"].read_bytes()),
        "a.inputs": ("x.npy", _npy(x)),
        "b.inputs": ("x.npy", _npy(x)),
    }
    response = requests.post(f"{server}/v1/compare", files=files, timeout=60)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["differences"] == []
    np.testing.assert_allclose(answer["a"]["predictions"], answer["b"]["predictions"], atol=1e-6, rtol=0)
    expected = keras.saving.load_model(saved["h5"]).predict(x, verbose=0)
    np.testing.assert_allclose(np.array(answer["b"]["predictions"]), expected, atol=1e-5, rtol=0)
