"""The metrics files of processes that ended are folded into one file per kind: the directory stays small as
executors and HTTP workers are replaced, and no total falls (issue 21: 200 executors killed left 207 files)."""

import os
import types

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

from keras_shape_service import gunicorn_conf
from keras_shape_service.metrics import forget_process

LATENCY = "kss_http_request_duration_seconds"


def _write(directory, kind, pid, samples):
    """A process's file as prometheus-client writes it: (sample name, metric name, labels, value) each."""
    values = MmapedDict(os.path.join(directory, f"{kind}_{pid}.db"))
    for name, metric, labels, value in samples:
        values.write_value(mmap_key(metric, name, list(labels), list(labels.values()), "help"), value, 0.0)
    values.close()


def _process(directory, pid, requests, seconds):
    _write(
        directory,
        "counter",
        pid,
        [("kss_http_requests_total", "kss_http_requests", {"route": "/v1/predict"}, requests)],
    )
    _write(
        directory,
        "histogram",
        pid,
        [
            (f"{LATENCY}_bucket", LATENCY, {"route": "/v1/predict", "le": "1.0"}, requests),
            (f"{LATENCY}_sum", LATENCY, {"route": "/v1/predict"}, seconds),
        ],
    )
    _write(directory, "gauge_livesum", pid, [("kss_in_flight", "kss_in_flight", {}, 1.0)])


def _scrape(directory) -> dict[str, float]:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    text = generate_latest(registry).decode()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if not line.startswith("#")
    }


def test_a_dead_process_files_are_folded_and_the_totals_stay(tmp_path):
    for pid, requests, seconds in ((101, 3.0, 0.5), (102, 5.0, 1.25), (103, 7.0, 2.0)):
        _process(tmp_path, pid, requests, seconds)
    before = _scrape(tmp_path)
    assert before['kss_http_requests_total{route="/v1/predict"}'] == 15.0

    forget_process(101, str(tmp_path))
    forget_process(102, str(tmp_path))

    after = _scrape(tmp_path)
    live_gauges_of_the_dead = 'kss_in_flight{pid="101"}', 'kss_in_flight{pid="102"}'
    assert {key: value for key, value in before.items() if "kss_in_flight" not in key} == {
        key: value for key, value in after.items() if "kss_in_flight" not in key
    }
    assert after[f'{LATENCY}_sum{{route="/v1/predict"}}'] == 3.75
    assert after["kss_in_flight"] == 1.0  # the live process's alone
    assert not any(key in after for key in live_gauges_of_the_dead)
    assert sorted(path.name for path in tmp_path.glob("*.db")) == [
        "counter_103.db",
        "counter_ended.db",
        "gauge_livesum_103.db",
        "histogram_103.db",
        "histogram_ended.db",
    ]


def test_thirty_replaced_processes_leave_one_file_per_kind(tmp_path):
    for pid in range(1000, 1030):
        _process(tmp_path, pid, 1.0, 0.1)
        forget_process(pid, str(tmp_path))
    assert sorted(path.name for path in tmp_path.glob("*.db")) == ["counter_ended.db", "histogram_ended.db"]
    assert _scrape(tmp_path)['kss_http_requests_total{route="/v1/predict"}'] == 30.0


def test_an_http_worker_that_ended_is_folded_by_gunicorns_child_exit(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    _process(tmp_path, 4242, 2.0, 0.2)
    _process(tmp_path, 4343, 1.0, 0.1)
    gunicorn_conf.child_exit(server=None, worker=types.SimpleNamespace(pid=4242))
    assert not list(tmp_path.glob("*_4242.db"))
    assert _scrape(tmp_path)['kss_http_requests_total{route="/v1/predict"}'] == 3.0


@pytest.mark.parametrize("directory", [None, ""])
def test_without_a_multiprocess_directory_nothing_is_done(monkeypatch, directory):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    forget_process(1, directory)
