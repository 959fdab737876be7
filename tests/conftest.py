"""Fixtures shared by every test folder: one app per session, since TensorFlow is slow to import, and a
factory of clients with other settings."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

# The engine runs in this process: its runtime must be settled before any test module imports Keras.
import keras_shape_service.adapter  # noqa: E402,F401
from keras_shape_service.http.app import create_app  # noqa: E402
from keras_shape_service.http.context import services  # noqa: E402
from keras_shape_service.settings import Settings  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--overwrite", action="store_true", help="write tests/golden's files from the answers")


@pytest.fixture(scope="session")
def app():
    """The app as gunicorn's workers make it, with default settings."""
    return create_app(Settings())


@pytest.fixture(scope="session")
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def make_client():
    """A test client of a fresh app (its own caches) with these settings over the defaults."""

    def make(**settings):
        return create_app(Settings(**settings)).test_client()

    return make


def engine_of(client):
    """The in-process Engine behind a test client, to look at its caches."""
    return services(client.application).engine.engine


def answers_of(client):
    """The cache of answers by body of a test client's app."""
    return services(client.application).answers
