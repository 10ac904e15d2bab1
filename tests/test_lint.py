"""Style: the kernel's checkpatch (--strict) over the driver, the KUnit
suite, the test modules and the headers; QEMU's checkpatch over qemu-dev/
and the model's host tests (tests/model/)."""

import subprocess

import pytest

from testbed.paths import ENV, TOP, script

KERNEL_SOURCES = ["drivers/net/ethernet/lmnic/*.[ch]", "kunit/*.c",
                  "include/*.h", "include/uapi/linux/*.h", "tests/modules/*.c"]


def _files(patterns):
    files = sorted(str(p.relative_to(TOP)) for pat in patterns for p in TOP.glob(pat))
    assert files, f"nothing matches {patterns}"
    return files


def _checkpatch(tree, args, files):
    res = subprocess.run(["perl", f"{tree}/scripts/checkpatch.pl", *args, "-f", *files],
                         cwd=TOP, env=ENV, capture_output=True, text=True)
    return res.returncode, res.stdout + res.stderr


@pytest.mark.parametrize("pattern", KERNEL_SOURCES)
def test_kernel_checkpatch(pattern):
    tree = script("kernels.sh", "srctree")
    rc, out = _checkpatch(tree, ["--strict", "--no-tree", "-q"], _files([pattern]))
    assert rc == 0 and out.strip() == "", out


def test_qemu_checkpatch():
    tree = script("qemu.sh", "srctree")
    for f in _files(["qemu-dev/*.c", "qemu-dev/*.h", "tests/model/*.c",
                     "tests/model/*.h"]):
        rc, out = _checkpatch(tree, ["--no-tree", "--strict"], [f])
        assert rc == 0 and "0 errors, 0 warnings" in out, out


def test_netlink_code_is_generated():
    """The family's policy/ops code and UAPI header are what tools/net/ynl
    makes of Documentation/netlink/specs/lmnic.yaml."""
    res = subprocess.run([str(TOP / "scripts/ynl-gen.sh"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
