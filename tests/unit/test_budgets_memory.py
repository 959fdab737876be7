"""The executors' memory readings (guards/budgets.py): this process's own sizes, read again on every call, and a
forked executor's its own, not its manager's (the readings keep /proc's file open between calls)."""

import mmap
import os

from keras_shape_service.guards import budgets

PAGE = os.sysconf("SC_PAGE_SIZE")
MAPPED = 256 * 2**20


def _statm_now() -> list[int]:
    with open("/proc/self/statm") as statm:
        return [int(field) for field in statm.read().split()]


def test_the_readings_follow_what_the_process_maps_and_touches():
    before_mapped, before_resident = budgets.address_space_bytes(), budgets.resident_mb()
    region = mmap.mmap(-1, MAPPED)
    try:
        assert budgets.address_space_bytes() - before_mapped >= MAPPED
        region.write(b"\1" * (64 * 2**20))  # touched: resident
        assert budgets.resident_mb() - before_resident >= 60
        assert abs(budgets.address_space_bytes() - _statm_now()[0] * PAGE) <= 16 * PAGE
    finally:
        region.close()


def test_a_forked_process_reads_its_own_sizes_not_its_parents():
    budgets.address_space_bytes()  # the parent's reading made (and its file kept) before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child maps more than its parent, then reports both readings
        status = 1
        try:
            region = mmap.mmap(-1, MAPPED)
            os.write(write, f"{budgets.address_space_bytes()} {_statm_now()[0] * PAGE}".encode())
            region.close()
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as reader:
        reading, actual = map(int, reader.read().split())
    os.waitpid(pid, 0)
    assert abs(reading - actual) <= 16 * PAGE
    assert reading - budgets.address_space_bytes() >= MAPPED // 2  # the parent maps less: it was not read
