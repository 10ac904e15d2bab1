#!/usr/bin/python3
"""Connection offload and error-dump figures, measured side by side in one
run:

- conn-add rate: connections offloaded per second through the lmnic family
  (lmnic-conn bulk) against ethtool -N rules per second, in the same guest;
- fault-to-dump time: from the QMP fault injection to the dump being saved
  by lmnic-analyze --watch in the guest, with 64K offloaded connections and
  with 1K;
- lmnic-analyze on a 1M-entry dump on the host, against sha256sum of the
  same file (the cost of reading it once).

usage: bench/offload.py [--kernel K] [--conns N]
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests"))

from testbed.pool import Pool  # noqa: E402

PCI = "0000:00:01.0"


def fault_to_dump(g, n, vport):
    """Offload N connections on VPORT, inject a parity fault on one, return
    seconds until the watcher saved the dump."""
    g.run(f"lmnic-conn bulk {PCI}/{vport} {n} 10.9.{vport}.2", timeout=900)
    g.run("rm -rf /tmp/d && mkdir /tmp/d && (lmnic-analyze --watch /tmp/d "
          "--count 1 > /tmp/w.out 2>/dev/null &); sleep 1")
    t0 = time.time()
    g.qmp("qom-set", path="/machine/peripheral/lmnic0",
          property="inject-fault", value=f"parity:{vport}:{n // 2}")
    g.run("while [ ! -s /tmp/w.out ]; do sleep 0.02; done", timeout=300)
    return time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="stock-6.12")
    ap.add_argument("--conns", type=int, default=65536)
    args = ap.parse_args()

    # the host part: analyzer on 1M entries
    out = TOP / "build/host"
    subprocess.run(["make", "-s", "-C", str(TOP / "tools"), f"O={out}/tools"],
                   check=True)
    (out / "bench").mkdir(parents=True, exist_ok=True)
    subprocess.run(["gcc", "-O2", f"-I{TOP}/include", f"-I{TOP}/include/uapi",
                    "-o", str(out / "bench/mkdump"), str(TOP / "bench/mkdump.c"),
                    str(TOP / "tools/crc32c.c")], check=True)
    dump = out / "bench/1M.dump"
    subprocess.run([str(out / "bench/mkdump"), "1000000", str(dump)], check=True)
    timings = {}
    for name, cmd in (("sha256sum", ["sha256sum", str(dump)]),
                      ("analyze-json", [str(out / "tools/lmnic-analyze"), "--json", str(dump)]),
                      ("analyze-text", [str(out / "tools/lmnic-analyze"), str(dump)])):
        best = None
        for _ in range(3):
            t = time.time()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            best = min(best or 1e9, time.time() - t)
        timings[name] = best
    dump.unlink()
    print(f"lmnic-analyze, 1M-entry dump ({1000000 * 128 >> 20} MiB of entries): "
          f"json {timings['analyze-json']:.2f} s, text {timings['analyze-text']:.2f} s; "
          f"sha256sum of the file {timings['sha256sum']:.2f} s; "
          f"ratio json/sha256sum {timings['analyze-json'] / timings['sha256sum']:.2f}")

    pool = Pool(TOP / "build/bench-logs")
    try:
        g = pool.boot({"B": (args.kernel, {})})["B"]
        g.run(f"insmod /lmnic/lmnic.ko max_conns={args.conns}")
        for v in range(4):
            g.run(f"ip link set eth{v} up && ip addr add 10.9.{v}.2/24 dev eth{v}")
        out = g.run(f"lmnic-conn bulk {PCI}/3 5000 10.9.3.2")
        nl_rate = float(out.split()[-1].rstrip("/s"))
        t = g.run("t0=$(cut -d' ' -f1 /proc/uptime); for i in $(seq 1 500); do "
                  "ethtool -N eth2 flow-type udp4 src-ip 10.1.0.1 dst-ip 10.9.2.2 "
                  "src-port $i dst-port 9 action 0 >/dev/null; done; "
                  "t1=$(cut -d' ' -f1 /proc/uptime); echo $t0 $t1", timeout=900)
        t0, t1 = map(float, t.split()[-2:])
        et_rate = 500 / (t1 - t0)
        print(f"conn-add: lmnic family {nl_rate:.0f}/s, ethtool -N {et_rate:.0f}/s; "
              f"ratio {nl_rate / et_rate:.1f}")

        small = fault_to_dump(g, 1024, 0)
        g.run("sleep 3")
        big = fault_to_dump(g, args.conns, 1)
        print(f"fault to dump saved: {args.conns} connections {big:.2f} s, "
              f"1024 connections {small:.2f} s; ratio {big / small:.2f}")
    finally:
        pool.close()


if __name__ == "__main__":
    main()
