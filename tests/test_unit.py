"""Host unit tests of lmnic's userspace C code (cmocka, tests/unit/), one
pytest item per cmocka case."""

import os
import re
import subprocess

import pytest

from testbed.paths import BUILD, ENV, TOP

UNIT = TOP / "tests/unit"


def _cases():
    return [(src.stem, name) for src in sorted(UNIT.glob("test_*.c"))
            for name in re.findall(r"cmocka_unit_test\w*\((\w+)", src.read_text())]


@pytest.fixture(scope="module")
def unit_results():
    build = subprocess.run(["make", "-s", "-C", str(TOP), "unit"], env=ENV,
                           capture_output=True, text=True)
    results = {"__build__": build}
    if build.returncode:
        return results
    for src in sorted(UNIT.glob("test_*.c")):
        run = subprocess.run([str(BUILD / "host" / src.stem)], capture_output=True,
                             text=True, env=dict(ENV, CMOCKA_MESSAGE_OUTPUT="TAP"))
        for line in run.stdout.splitlines():
            m = re.match(r"^(not ok|ok) \d+ - (\w+)", line)
            if m:
                results[(src.stem, m.group(2))] = (m.group(1) == "ok", run.stdout)
    return results


@pytest.mark.parametrize("binary,case", _cases())
def test_unit(unit_results, binary, case):
    build = unit_results["__build__"]
    assert build.returncode == 0, build.stdout + build.stderr
    assert (binary, case) in unit_results, f"{binary}: {case} did not run"
    passed, out = unit_results[(binary, case)]
    assert passed, out
