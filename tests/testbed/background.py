"""Host-side tests that take wall time, not the guests' attention (the
time-boxed fuzzers, the model's property test), run in the background from
the start of the session: one job at a time, niced below the guests, while
guest tests wait on their guests. Each such test then collects its job's
result.

A test module declares a job with job(KEY, FN) and marks the test with
@pytest.mark.background(FN of the test's parameters giving KEY); the session
queues every job a selected test names once its guests are booting
(tests/conftest.py). A test run on its own finds its job not queued and
runs it then."""

import queue
import threading

NICE = ["nice", "-n", "10"]     # the prefix of a job's commands

_jobs = {}
_queue = queue.Queue()
_worker = None
_lock = threading.Lock()


class Job:
    def __init__(self, key, fn):
        self.key = key
        self.fn = fn
        self.queued = False
        self.done = threading.Event()
        self.value = None
        self.error = None

    def run(self):
        try:
            self.value = self.fn()
        except BaseException as e:  # noqa: BLE001 - raised again in result()
            self.error = e
        self.done.set()

    def result(self):
        """FN's return value, once it returned; what it raised, raised."""
        with _lock:
            mine = not self.queued
            self.queued = True
        if mine:
            self.run()
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


def _work():
    while True:
        _queue.get().run()


def job(key, fn):
    """Declare the background job KEY: FN() run once."""
    return _jobs.setdefault(key, Job(key, fn))


def start(keys):
    """Queue the jobs KEYS, in that order, for the one background worker."""
    global _worker
    with _lock:
        for key in keys:
            j = _jobs.get(key)
            if j is not None and not j.queued:
                j.queued = True
                _queue.put(j)
        if _worker is None:
            _worker = threading.Thread(target=_work, name="background",
                                       daemon=True)
            _worker.start()
