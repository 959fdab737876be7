"""Good requests under a stream of never-seen killers (issue 21: "at one killer per second, at most 1% of good
requests fail"): gunicorn as `make serve` starts it (2 HTTP workers, the defaults but the estimate limits,
which are raised so that the killers get through, as a model the estimates do not foresee would), one killer a
second for `--seconds`, each a model never sent before that runs past the compute budget (or, every third,
past the memory budget), while `--clients` threads send the seed model with new inputs one after another.

    python bench/killers.py                          # the service as it is
    python bench/killers.py --reserved-executors 0   # without the executor reserved for known-good requests

Every request comes from 127.0.0.1, so the per-client kill limit is raised too (it would answer the killers
429 after five kills, and the good clients with them): this measures the stream from many addresses.
"""

import argparse
import random
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from keras_shape_service.schemas.examples import SEED_LAYERS
from keras_shape_service.testing import live_server

# The server's environment: the estimate limits raised so that the killers get through, and the per-client kill
# limit, since every request comes from 127.0.0.1 (bench/attacks.py runs the same).
SETTINGS = {
    "WEB_CONCURRENCY": "2",
    "KSS_MAX_PARAMS": "1000000000",
    "KSS_MAX_MULTIPLY_ADDS": "100000000000000",
    "KSS_MAX_ACTIVATION_ELEMENTS": "100000000",
    "KSS_MAX_ANSWER_BYTES": "1000000000",
    "KSS_MAX_KILLS_PER_CLIENT": "100000",
}


def compute_killer(index: int) -> dict:
    """2e11 multiply-adds with 10M weights: minutes of a core, never seen (its first layer's width is new)."""
    return {
        "model": {
            "layers": [
                {"type": "Dense", "units": 500 + index, "input_shape": [1]},
                {"type": "RepeatVector", "n": 20_000},
            ]
            + [{"type": "Dense", "units": 500}] * 40
        },
        "inputs": [[1.0]],
    }


def memory_killer(index: int) -> dict:
    """3.6 GB of weights, past the 2 GB memory budget; never seen."""
    return {
        "model": {"layers": [{"type": "Dense", "units": 30_000 + index, "input_shape": [30_000]}]},
        "inputs": [[0.0] * 30_000],
    }


def good_body(rng: random.Random) -> dict:
    """The seed model's layers with new inputs. Without its compile section, so that it is not the model every
    HTTP worker knows from the start: each learns it from its first answer, as it would any model sent again."""
    inputs = [[[rng.uniform(-9, 9), rng.uniform(-9, 9)] for _ in range(3)]]
    return {"model": {"layers": SEED_LAYERS}, "inputs": inputs}


def run(url: str, seconds: float, clients: int) -> tuple[Counter, Counter, list[float]]:
    stop = threading.Event()
    good: Counter = Counter()
    killers: Counter = Counter()
    latencies: list[float] = []

    def good_client(seed: int) -> None:
        rng = random.Random(seed)
        with requests.Session() as session:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    response = session.post(f"{url}/v1/predict", json=good_body(rng), timeout=60)
                    ok = response.status_code == 200 and response.json()["output_shape"] == [1, 4]
                    good["200" if ok else str(response.status_code)] += 1
                    latencies.append(time.monotonic() - started)
                except requests.RequestException as error:
                    good[type(error).__name__] += 1

    def send_killer(index: int) -> None:
        body = memory_killer(index) if index % 3 == 2 else compute_killer(index)
        try:
            killers[str(requests.post(f"{url}/v1/predict", json=body, timeout=120).status_code)] += 1
        except requests.RequestException as error:
            killers[type(error).__name__] += 1

    threads = [threading.Thread(target=good_client, args=(seed,)) for seed in range(clients)]
    for thread in threads:
        thread.start()
    sent = []
    started = time.monotonic()
    for index in range(int(seconds)):
        time.sleep(max(0.0, started + index - time.monotonic()))
        killer = threading.Thread(target=send_killer, args=(index,))
        killer.start()
        sent.append(killer)
    time.sleep(max(0.0, started + seconds - time.monotonic()))
    stop.set()
    for thread in threads + sent:
        thread.join()
    return good, killers, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--reserved-executors", default="1")
    arguments = parser.parse_args()
    log = Path(tempfile.mkdtemp()) / "gunicorn.log"
    with live_server(log, **dict(SETTINGS, KSS_RESERVED_EXECUTORS=arguments.reserved_executors)) as (_, url):
        good, killers, latencies = run(url, arguments.seconds, arguments.clients)
    total = sum(good.values())
    failed = total - good["200"]
    latencies.sort()
    print(f"reserved executors: {arguments.reserved_executors}; log: {log}")
    print(f"good requests: {total}, failed: {failed} ({100 * failed / max(total, 1):.1f}%), by outcome {dict(good)}")
    if latencies:
        print(f"good latency: median {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    print(f"killers: {sum(killers.values())}, by outcome {dict(killers)}")


if __name__ == "__main__":
    main()
