"""Fixtures shared by every test folder: one app per session, since TensorFlow is slow to import."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

from service.app import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402


@pytest.fixture(scope="session")
def app():
    """The app as gunicorn's workers make it, with default settings."""
    return create_app(Settings())


@pytest.fixture(scope="session")
def client(app):
    return app.test_client()
