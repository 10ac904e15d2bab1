"""lmnic's modules build warning-free with W=1 on every testbed kernel, and
sparse-clean (C=1) on the debug kernel."""

import pytest

from testbed.paths import KERNELS


@pytest.mark.parametrize("target", KERNELS)
def test_modules_build_clean(pool, target):
    ok, log, paths = pool.build_modules(target)
    assert ok, log
    names = {p.name for p in paths}
    assert "lmnic.ko" in names
    if target.startswith("debug"):
        assert {"lmnic_kunit.ko", "lmnic_splat_kasan.ko",
                "lmnic_splat_lockdep.ko"} <= names
