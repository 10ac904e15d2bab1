"""Where the testbed finds the project, its cache and the built artifacts."""

import os
import subprocess
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("LMNIC_CACHE", "/var/cache/lmnic"))
BUILD = TOP / "build"
KERNELS = ("stock-6.1", "stock-6.12", "debug-6.12")
FIRMWARE_DIRS = ("/usr/share/qemu", "/usr/share/seabios")
ENV = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin:" + os.environ.get("PATH", ""))


def script(name, *args):
    """Run one of scripts/ and return its standard output, stripped."""
    res = subprocess.run([str(TOP / "scripts" / name), *args], env=ENV,
                         check=True, capture_output=True, text=True)
    return res.stdout.strip()


def kernel_env(kernel):
    """KVER, KDIR, BZIMAGE and MODROOT of a testbed kernel."""
    out = script("kernels.sh", "env", kernel)
    return dict(line.split("=", 1) for line in out.splitlines())


def qemu_binary():
    return script("qemu.sh", "path")
