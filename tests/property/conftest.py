"""The property suite's Hypothesis profiles (see profiles.py), the service as the properties call it, and
the command that replays a failure."""

import pytest
from hypothesis import settings

from tests.property.api import Service
from tests.property.profiles import PROFILE_VARIABLE


@pytest.fixture(scope="session")
def service(client):
    """The app through Flask's test client (session-scoped: Hypothesis runs fixtures once per test)."""

    def post(path: str, data: bytes):
        # Keras's UserWarnings (softmax over an axis of size 1) stay warnings: see pyproject's filterwarnings.
        response = client.post(path, data=data, content_type="application/json")
        return response.status_code, response.mimetype, response.data

    return Service(post)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Say, under a failed property, the command that replays it."""
    report = yield
    if report.failed and call.when == "call" and item.get_closest_marker("property"):
        report.sections.append(
            (
                "how to reproduce",
                (
                    f"{PROFILE_VARIABLE}={settings.get_current_profile_name()} .venv/bin/python -m pytest "
                    f"'{item.nodeid}'\nThe 'ci' profile is derandomized, so this replays the same examples. The "
                    "falsifying example's requests are printed above (POST ...), and @reproduce_failure pins it."
                ),
            )
        )
    return report
