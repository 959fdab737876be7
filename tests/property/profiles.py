"""Hypothesis profiles of the property suite, loaded on import (by tests/property/conftest.py, and by the live
sample in tests/integration, which runs on its own too).

`ci`, the default and what `make test` runs, is derandomized and bounded: every run tries the same examples,
so a failure replays with the same command, and the database is not used. `thorough` draws fresh examples,
about thirteen times as many, and keeps failures in .hypothesis/ (not committed) to try first next time:
    HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/property
"""

import os

from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"
# TensorFlow builds take tens of milliseconds and the drawn models vary in size: no deadline.
_COMMON = dict(deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=150, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get(PROFILE_VARIABLE, "ci"))


def share(fraction: float, at_least: int = 5) -> settings:
    """The loaded profile with `fraction` of its examples, for properties that cost several requests each."""
    return settings(max_examples=max(at_least, round(settings.default.max_examples * fraction)))
