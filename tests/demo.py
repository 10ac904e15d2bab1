#!/usr/bin/python3
"""make demo: boot two guests with lmnic adapters on one L2 segment, load the
driver in both and show what the adapter and the driver report."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from testbed.pool import Pool  # noqa: E402

KERNEL = "stock-6.12"


def step(msg):
    print(f"\n== {msg}", flush=True)


def show(g, cmd):
    out = g.run(cmd).rstrip()
    print(f"[{g.name}]$ {cmd}")
    for line in out.splitlines():
        print(f"    {line}")
    return out


def main():
    t0 = time.time()
    pool = Pool(Path(__file__).resolve().parents[1] / "build/demo-logs")
    try:
        step(f"booting guests A and B ({KERNEL}, TCG) on one segment "
             f"(socket multicast 230.0.0.1:{pool.segment_port})")
        guests = pool.boot({"A": (KERNEL, {}), "B": (KERNEL, {})})
        print(f"    both up after {time.time() - t0:.0f}s")
        for g in guests.values():
            step(f"guest {g.name}: the lmnic adapter and its driver")
            show(g, "lspci -nn | grep -i 1234:4c4d")
            show(g, "insmod /lmnic/lmnic.ko && dmesg | grep lmnic")
            show(g, "devlink dev info")
        step("unbinding and unloading the driver")
        for g in guests.values():
            show(g, "rmmod lmnic && echo lmnic unloaded")
        splats = [line for g in guests.values() for line in g.splats()]
        if splats:
            print("kernel splats:\n" + "\n".join(splats))
            return 1
        step(f"done in {time.time() - t0:.0f}s; console logs in {pool.workdir}")
        return 0
    finally:
        pool.close()


if __name__ == "__main__":
    sys.exit(main())
