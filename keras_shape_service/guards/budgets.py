"""What the operating system holds a request to, in the executor process that runs it.

The estimates in limits.py refuse the obvious in milliseconds; these bounds hold whatever they miss:
- memory: RLIMIT_AS, the address space this process may map, set to what it maps now plus the memory budget.
  Past it an allocation fails (numpy's MemoryError, TensorFlow's ResourceExhaustedError), and the request
  is refused; virtual size bounds resident size, so no request can take the machine's memory.
- time: the HTTP worker that sent the request kills this process (SIGKILL) when the compute budget's
  wall-clock time is up (keras_shape_service/executors/client.py).
  RLIMIT_CPU is the last resort should that worker be gone:
  the kernel ends this process past twice the budget in CPU seconds (two of TensorFlow's threads may compute
  at once).
Between requests the limits are lifted, so that what the executor keeps (its caches) is not charged to the
next request; an executor that keeps too much is replaced (executor.py).
"""

import os
import resource
from dataclasses import dataclass, field

_PAGE = resource.getpagesize()
MB = 2**20


# This process's /proc statm, kept open: opening and reading it as a file took ~40 µs, a pread of the open one
# ~2 µs, and an executor reads it twice a request. By pid: a forked executor must read its own, not its
# manager's (the inherited descriptor is left open, one per process, rather than closed by number).
_statm_fds: dict[int, int] = {}


def _statm() -> list[int]:
    pid = os.getpid()
    fd = _statm_fds.get(pid)
    if fd is None:
        fd = _statm_fds[pid] = os.open(f"/proc/{pid}/statm", os.O_RDONLY | os.O_CLOEXEC)
    return [int(field) for field in os.pread(fd, 256, 0).split()]


def address_space_bytes() -> int:
    """What this process maps now (its virtual size)."""
    return _statm()[0] * _PAGE


def resident_mb() -> float:
    """What this process holds in memory now (its resident size)."""
    return _statm()[1] * _PAGE / MB


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_KINDS = (resource.RLIMIT_AS, resource.RLIMIT_CPU)


@dataclass(frozen=True)
class Budgets:
    """A request's compute (wall-clock seconds) and memory (MB of address space) budgets."""

    compute_s: float
    memory_mb: int
    # The hard limits the process was started with (a container may set them), read once: only soft limits
    # change here, so they stay what they were (a system call saved on every limit set, four a request).
    hard: dict[int, int] = field(default_factory=lambda: {kind: resource.getrlimit(kind)[1] for kind in _KINDS})

    def impose(self) -> None:
        """From now until lift(): at most this much more memory, and a CPU-time backstop."""
        self._set_soft(resource.RLIMIT_AS, address_space_bytes() + self.memory_mb * MB)
        self._set_soft(resource.RLIMIT_CPU, int(cpu_seconds() + 2 * self.compute_s) + 1)

    def lift(self) -> None:
        """No bounds of ours between requests: the soft limits rise back to the hard ones, as any process may."""
        for kind in _KINDS:
            self._set_soft(kind, resource.RLIM_INFINITY)

    def _set_soft(self, kind: int, value: int) -> None:
        """The soft limit, never above the hard limit."""
        hard = self.hard[kind]
        if hard != resource.RLIM_INFINITY and (value == resource.RLIM_INFINITY or value > hard):
            value = hard
        resource.setrlimit(kind, (value, hard))
