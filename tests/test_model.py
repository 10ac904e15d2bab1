"""The adapter model's own C files on a host of their own (tests/model/),
built with QEMU's headers and warnings as errors, ASan and UBSan: the
regression cases of its trust boundary, one process each (a crash, a
sanitizer report or an endless loop fails that case only)."""

import re
import subprocess

import pytest

from testbed.paths import BUILD, ENV, TOP

MODEL = TOP / "tests/model"
OUT = BUILD / "model"


def _cases():
    return re.findall(r"^\s+CASE\((\w+)\)", (MODEL / "test_model.c").read_text(),
                      re.M)


@pytest.fixture(scope="module")
def model_build():
    return subprocess.run(["make", "-s", "-C", str(MODEL), f"O={OUT}",
                           str(OUT / "test-model")], env=ENV,
                          capture_output=True, text=True)


@pytest.mark.parametrize("case", _cases())
def test_model(model_build, case):
    assert model_build.returncode == 0, model_build.stdout + model_build.stderr
    try:
        run = subprocess.run([str(OUT / "test-model"), case], env=ENV,
                             capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: no end in 120 s")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    assert "[  PASSED  ] 1 test(s)." in out, out[-3000:]
