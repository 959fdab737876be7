"""bench/attacks.py's verdicts and table (the numbers are measured by `make bench-attacks`, not here), and the
bodies it sends: each the size and the form the issue's finding names."""

import json
import math

from bench import attacks
from keras_shape_service.settings import Settings


def test_a_bound_is_met_at_or_below_it_and_never_by_nothing_measured():
    assert attacks.at_most(4.99, 5) and attacks.at_most(5, 5)
    assert not attacks.at_most(5.01, 5)
    assert not attacks.at_most(float("nan"), 5)


def test_percentiles_by_nearest_rank():
    values = [float(v) for v in range(1, 101)]  # 1..100, shuffled order does not matter
    assert attacks.percentile(list(reversed(values)), 0.5) == 50
    assert attacks.percentile(values, 0.99) == 99
    assert attacks.percentile(values, 1.0) == 100
    assert attacks.percentile([7.0], 0.99) == 7
    assert math.isnan(attacks.percentile([], 0.5))


def test_probes_pass_only_if_every_one_was_answered_within_the_bound():
    assert attacks.Probes(latencies=[0.1, 0.9]).within(1.0)
    assert not attacks.Probes(latencies=[0.1, 1.2]).within(1.0)
    assert not attacks.Probes(latencies=[0.1], failures=["503"]).within(1.0)
    assert not attacks.Probes().within(1.0)  # nothing answered is no pass
    assert attacks.Probes(latencies=[0.25, 0.5], failures=["timeout"]).summary() == (
        "max 500 ms, p99 500 ms, 1/3 failed"
    )


def test_the_table_marks_each_row_and_counts_the_targets_missed():
    rows = [
        attacks.Row("1 refusals", "2 MB: time", "< 5 s", "0.40 s", True),
        attacks.Row("4 connection slots", "seed", "< 1 s", "21 s", False),
    ]
    lines = attacks.render(rows).splitlines()
    assert lines[0] == "| finding | measure | target | result | verdict |"
    assert lines[2] == "| 1 refusals | 2 MB: time | < 5 s | 0.40 s | pass |"
    assert lines[3] == "| 4 connection slots | seed | < 1 s | 21 s | FAIL |"
    assert lines[-1] == "1 of 2 targets met; missed: 1"
    assert attacks.render(rows[:1]).splitlines()[-1] == "1 of 1 targets met"


def test_the_refusal_bodies_are_the_issues():
    ones = attacks.layers_of_ones(2_000_000)
    assert len(ones) == 2_000_000
    layers = json.loads(ones)["model"]["layers"]
    assert set(layers) == {1} and len(layers) > 900_000
    misspelled = json.loads(attacks.misspelled_types(4_000, "Dens"))["model"]["layers"]
    assert misspelled == [{"type": "Dens"}] * 4_000


def test_the_unread_answer_is_the_largest_the_answer_limit_lets_through():
    settings = Settings()
    body, units = attacks.largest_answer_body(settings)
    numbers = units * len(json.loads(body)["inputs"])
    assert numbers * 24 <= settings.max_answer_bytes < (numbers + 11 * 1000) * 24
    assert numbers <= settings.max_activation_elements


def test_memory_growth_is_told_by_role_with_the_processes_only_where_their_number_changed():
    before = {"HTTP workers": (300.0, 2), "executors": (900.0, 2)}
    after = {"HTTP workers": (302.4, 2), "executors": (1266.0, 3)}
    assert attacks._grown(before, after) == "HTTP workers +2, executors +366 (2 -> 3 processes)"
