"""Crash loops cannot starve known work: a request that stopped an executor is refused at once when sent again,
and a client whose requests keep stopping executors is answered 429 until its kills age out."""

import pytest

from keras_shape_service.errors import StoppedBefore, TooManyKills
from keras_shape_service.executors.client import KillWindow, KnownKillers, killer_key
from keras_shape_service.schemas import PredictRequest, Problem, SummaryRequest
from keras_shape_service.settings import Settings

MODEL = {"layers": [{"type": "Dense", "units": 500, "input_shape": [2]}]}


def _predict(inputs, seed: int = 0, model: dict = MODEL) -> PredictRequest:
    return PredictRequest.model_validate({"model": model, "inputs": inputs, "seed": seed})


def test_the_key_is_the_model_and_input_shapes_not_the_numbers():
    batch_of_two = killer_key("predict", _predict([[1, 2], [3, 4]]))
    assert killer_key("predict", _predict([[9, 9], [0, 0]], seed=7)) == batch_of_two
    assert killer_key("predict", _predict([[1, 2]])) != batch_of_two, "another batch size may fit the budget"
    other_model = {"layers": [{"type": "Dense", "units": 501, "input_shape": [2]}]}
    assert killer_key("predict", _predict([[1, 2], [3, 4]], model=other_model)) != batch_of_two
    summary = SummaryRequest.model_validate({"model": MODEL})
    assert killer_key("summary", summary) != killer_key("diagram", summary)


def test_a_known_killer_is_refused_naming_the_budget_it_ran_past():
    killers = KnownKillers(size=4)
    killers.check("a")  # never seen: may run
    killers.note("a", "compute_budget_s", 10.0)
    with pytest.raises(StoppedBefore) as refused:
        killers.check("a")
    problem = Problem.model_validate(refused.value.problem().model_dump())
    assert (problem.status, problem.limit, problem.limit_value) == (422, "compute_budget_s", 10.0)
    assert "compute_budget_s=10" in problem.detail and "stopped before" in problem.detail


def test_known_killers_are_bounded_the_least_recently_sent_forgotten_first():
    killers = KnownKillers(size=2)
    killers.note("a", "memory_budget_mb", 2048)
    killers.note("b", "memory_budget_mb", 2048)
    with pytest.raises(StoppedBefore):
        killers.check("a")  # sent again: now the most recent
    killers.note("c", "memory_budget_mb", 2048)
    killers.check("b")  # forgotten: may run again
    for kept in ("a", "c"):
        with pytest.raises(StoppedBefore):
            killers.check(kept)


def test_zero_known_killers_remembers_none():
    killers = KnownKillers(size=0)
    killers.note("a", "compute_budget_s", 10.0)
    killers.check("a")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_is_slowed_after_max_kills_within_the_window_and_let_in_as_they_age_out():
    clock = Clock()
    window = KillWindow(max_kills=3, window_s=60, clock=clock)
    for second in (0, 10, 20):
        window.check("10.0.0.1")
        clock.now = 1000.0 + second
        window.note("10.0.0.1")
    window.check("10.0.0.2")  # other clients are not slowed
    with pytest.raises(TooManyKills) as refused:
        window.check("10.0.0.1")
    # The oldest kill (at 0 s) ages out at 60 s: 40 s from now (20 s).
    assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "40"}
    problem = refused.value.problem()
    assert (problem.limit, problem.limit_value) == ("max_kills_per_client", 3)
    assert "3 of this client's requests" in problem.detail and "60 s" in problem.detail
    clock.now = 1000.0 + 60.5
    window.check("10.0.0.1")  # the first kill aged out: two within the window
    window.note("10.0.0.1")
    with pytest.raises(TooManyKills):
        window.check("10.0.0.1")


def test_the_settings_have_docstrings_and_the_kss_prefix(monkeypatch):
    monkeypatch.setenv("KSS_KNOWN_KILLERS", "7")
    monkeypatch.setenv("KSS_MAX_KILLS_PER_CLIENT", "2")
    monkeypatch.setenv("KSS_KILL_WINDOW_S", "30")
    settings = Settings()
    assert (settings.known_killers, settings.max_kills_per_client, settings.kill_window_s) == (7, 2, 30.0)
