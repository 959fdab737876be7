"""CPU per new-input request, read from /proc for every process under the gunicorn master (HTTP workers and
executors, each summed over its threads): a measure that moves less than requests/s on a machine shared with
other work, since it counts what the service spent, not what it was given. Interleave runs of two trees to
compare them (`python bench/cpu_per_request.py --requests 3000`, from each tree's root).
"""

import argparse
import http.client
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, from any tree

from bench import specs  # noqa: E402
from keras_shape_service.testing import live_server  # noqa: E402

_TICKS = os.sysconf("SC_CLK_TCK")
_CONNECTIONS = 4


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += children.get(pid, [])
    return found


def _cpu_s(pids: list[int]) -> dict[int, tuple[float, str]]:
    """Each process's user + system CPU seconds, and its command line."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        used[pid] = ((int(fields[11]) + int(fields[12])) / _TICKS, command)
    return used


def _send(url: str, bodies: list[bytes]) -> None:
    host, port = url.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port))
    for body in bodies:
        connection.request("POST", "/v1/predict", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"/v1/predict answered {response.status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="new-input requests measured (after 200 warm)")
    parser.add_argument("--log", default="/tmp/kss-cpu-per-request.log", help="the server's output")
    options = parser.parse_args()
    with live_server(Path(options.log)) as (process, url):
        _send(url, specs.seed_with_new_inputs(200, start=50_000))
        before = _cpu_s(_descendants(process.pid))
        bodies = specs.seed_with_new_inputs(options.requests)
        started = time.monotonic()
        senders = [
            threading.Thread(target=_send, args=(url, bodies[index::_CONNECTIONS])) for index in range(_CONNECTIONS)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        wall_s = time.monotonic() - started
        after = _cpu_s(_descendants(process.pid))
    total_s = 0.0
    for pid, (cpu_s, command) in sorted(after.items()):
        spent = cpu_s - before.get(pid, (0.0, ""))[0]
        total_s += spent
        if spent > 0:
            print(f"  {pid} {command[:70]}: {spent / options.requests * 1000:.2f} ms a request")
    rate = options.requests / wall_s
    per_request_ms = total_s / options.requests * 1000
    print(f"{options.requests} requests in {wall_s:.1f} s ({rate:.0f}/s); CPU {per_request_ms:.2f} ms a request")


if __name__ == "__main__":
    main()
