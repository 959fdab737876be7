"""The executor processes live no longer than the gunicorn that started them, however it ends."""

import os
import socket
import subprocess
import time

import pytest

from keras_shape_service.testing import PACKAGE, gunicorn_command, server_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _managers_of(master_pid: int) -> list[int]:
    """Executor managers started by that master (it passes its pid on their command line)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                words = cmdline.read().split(b"\0")
        except OSError:
            continue
        if b"keras_shape_service.executors.process" in words and str(master_pid).encode() in words:
            found.append(int(entry))
    return found


def test_a_service_that_cannot_bind_its_port_leaves_no_executors_behind(tmp_path):
    """gunicorn gives up on a port in use after a few tries, before its executor manager has even imported
    TensorFlow: the manager must notice its master is gone and end, not run on as an orphan."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with open(tmp_path / "gunicorn.log", "w") as log:
            master = subprocess.Popen(
                gunicorn_command(),
                cwd=PACKAGE.parent,
                env=server_environment(port),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 5
        while not _managers_of(master.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _managers_of(master.pid), "the master started no executor manager"
        assert master.wait(timeout=60) != 0  # it could not bind
    deadline = time.monotonic() + 60
    while _managers_of(master.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _managers_of(master.pid) == [], (tmp_path / "gunicorn.log").read_text()[-2000:]
