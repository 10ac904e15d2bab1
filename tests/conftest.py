"""pytest wiring of the lmnic testbed: shared guests, and a splat guard that
fails the test during which any guest's kernel reported a splat."""

import inspect
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from testbed import background, plan  # noqa: E402
from testbed.pool import Pool  # noqa: E402


def pytest_collection_finish(session):
    """Note the shared guests the selected tests use, to boot them side by
    side from the start: a parametrized `kernel` means guest g-KERNEL, and
    @pytest.mark.guest_kernels(...) names kernels outright."""
    kernels = set()
    for item in session.items:
        params = getattr(item, "callspec", None)
        if "pool" in item.fixturenames and params and "kernel" in params.params:
            kernels.add(params.params["kernel"])
        for mark in item.iter_markers("guest_kernels"):
            kernels.update(mark.args)
    session.config.lmnic_kernels = sorted(kernels)
    session.config.lmnic_order = {item.nodeid: i for i, item in enumerate(session.items)}
    session.config.lmnic_jobs = [_job_key(item, mark) for item in session.items
                                 for mark in item.iter_markers("background")]


def _job_key(item, mark):
    """The background job a test names: its marker's function of the test's
    parameters."""
    key = mark.args[0]
    params = getattr(item, "callspec", None)
    params = params.params if params else {}
    return key(**{n: params[n] for n in inspect.signature(key).parameters})


def pytest_configure(config):
    config.addinivalue_line("markers", "guest_kernels(*kernels): the test uses "
                            "the shared guest g-KERNEL of each")
    config.addinivalue_line("markers", "stress(*kernels): a long test, run by "
                            "make stress only (on KERNELS, or on every kernel)")
    config.addinivalue_line("markers", "robust: of the driver's stress and fault "
                            "tests, which make stress runs")
    config.addinivalue_line("markers", "background(key): the test collects the "
                            "result of a job the session runs in the "
                            "background (testbed/background.py)")


def _stress_only(item):
    params = getattr(item, "callspec", None)
    values = set(map(str, params.params.values())) if params else set()
    for mark in item.iter_markers("stress"):
        if not mark.args or values & set(mark.args):
            return True
    return False


def pytest_collection_modifyitems(config, items):
    """Outside make stress (LMNIC_STRESS unset), the long tests are left out:
    make check runs the bounded ones."""
    if "LMNIC_STRESS" in os.environ:
        return
    long_ = [i for i in items if _stress_only(i)]
    if long_:
        config.hook.pytest_deselected(items=long_)
        items[:] = [i for i in items if not _stress_only(i)]


@pytest.fixture(scope="session")
def pool(request):
    p = Pool()
    kernels = getattr(request.config, "lmnic_kernels", [])
    try:
        p.prestart({f"g-{k}": (k, {}) for k in kernels})
    except Exception:  # noqa: BLE001 - each test reports its own failure
        pass
    # the guests boot: the host-side jobs go on beside them
    background.start(getattr(request.config, "lmnic_jobs", []))
    request.config.lmnic_pool = p
    yield p
    request.config.lmnic_pool = None
    p.close()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    """With this test's guests up, boot those of the next guest fixture the
    session comes to (testbed/plan.py) while this test runs."""
    pool = getattr(item.config, "lmnic_pool", None)
    order = getattr(item.config, "lmnic_order", {})
    if pool is None or item.nodeid not in order:
        return
    have = plan.needs(item)
    for nxt in item.session.items[order[item.nodeid] + 1:]:
        new = plan.needs(nxt) - have
        if new:
            for fixture, param in sorted(new):
                try:
                    pool.prestart(plan.SPECS[fixture](param))
                except Exception:  # noqa: BLE001 - its test boots it and reports
                    pass
            return


def _safe(nodeid):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-120:]


@pytest.fixture(autouse=True)
def splat_guard(request, pool):
    """Keep each guest's console output of this test, and fail the test if it
    holds a kernel splat."""
    before = {name: g.console_offset() for name, g in pool.guests.items()}
    yield
    found = []
    logdir = pool.workdir / _safe(request.node.nodeid)
    for name, g in pool.guests.items():
        since = before.get(name, 0)
        text = g.console_since(since)
        if text:
            logdir.mkdir(parents=True, exist_ok=True)
            (logdir / f"{name}.console.log").write_text(text)
        found += [f"{name}: {line}" for line in g.splats(since)]
    if found:
        pytest.fail("kernel splat in a guest:\n" + "\n".join(found[:40]),
                    pytrace=False)
