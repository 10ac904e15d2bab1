"""Waiting on a guest's state instead of sleeping a fixed time: a loaded
host (make check runs guests on every core) delays frames between the
guests by more than any fixed sleep a test could afford."""

import time


def until(read, ok, timeout=20, step=0.25):
    """READ() again until OK(value) holds or TIMEOUT seconds have passed;
    the last value read, for the caller's assertion to show."""
    end = time.time() + timeout
    value = read()
    while not ok(value) and time.time() < end:
        time.sleep(step)
        value = read()
    return value


def grown(read, before, ok, timeout=20):
    """{name: READ()[name] - BEFORE[name]} once OK(that) holds, or at the
    timeout: for counters that a test's traffic raises."""
    def delta():
        now = read()
        return {k: v - before.get(k, 0) for k, v in now.items()}
    return until(delta, ok, timeout)
