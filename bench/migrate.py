#!/usr/bin/python3
"""Migration figures, measured side by side in one run, in one guest:

- device-state downtime (source quiesce -> destination resumed) of a vport
  with 1K, 64K and 256K offloaded connections, moved by lmnic-migrate
  send/receive (TLS 1.3 with a PSK, over the guest's loopback) from vport 1
  to vport 2 of the same adapter, in the adapter's native image;
- the same state re-applied item by item through the lmnic family on a
  free vport (semantic replay: one conn-add per connection, the requests a
  replaying agent makes; reading them from the source is not counted);
- extract + restore (quiesce, transfer, restore phases of the agents)
  against one memcpy() of the same number of bytes in the same guest
  (lmnic-membench).

usage: bench/migrate.py [--kernel K] [--conns 1024,65536,262144]
"""

import argparse
import json
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests"))

from testbed.pool import Pool  # noqa: E402

PCI = "0000:00:01.0"
PSK = "/tmp/psk"


def result(text):
    for line in reversed(text.strip().splitlines()):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if doc.get("event") == "result":
            return doc
    raise RuntimeError(f"no result in:\n{text}")


def fresh(g, maxc):
    g.run(f"rmmod lmnic 2>/dev/null; insmod /lmnic/lmnic.ko max_conns={maxc}")
    for v in range(4):
        g.run(f"ip link set eth{v} up")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="stock-6.12")
    ap.add_argument("--conns", default="1024,65536,262144")
    args = ap.parse_args()
    sizes = [int(x) for x in args.conns.split(",")]
    maxc = max(sizes)

    pool = Pool(TOP / "build/bench-logs")
    rows = []
    try:
        g = pool.boot({"M": (args.kernel, {"mem_mb": 3072})})["M"]
        g.run("ip link set lo up; printf '%s' "
              "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff "
              f"> {PSK}")
        for n in sizes:
            fresh(g, maxc)
            g.run(f"lmnic-conn bulk {PCI}/1 {n} 10.9.1.2 >/dev/null", timeout=1800)

            # native: the agents move vport 1 to vport 2
            g.run(f"lmnic-migrate receive eth2 --listen 127.0.0.1:4444 --psk-file {PSK} "
                  "--json > /tmp/r.json 2>/tmp/r.err & sleep 1")
            out = g.run(f"lmnic-migrate send eth1 --to 127.0.0.1:4444 --psk-file {PSK} "
                        "--json", timeout=1800)
            g.run("while pidof lmnic-migrate >/dev/null; do sleep 0.1; done", timeout=600)
            sent = result(out)
            recv = result(g.run("cat /tmp/r.json"))
            if not (sent["ok"] and recv["ok"]):
                raise RuntimeError(f"migration failed: {sent} {recv}")
            t = sent["timings_ms"]
            xr = t["quiesce"] + t["transfer"] + t["restore"]

            # replay: the same number of conn-add requests on a free vport
            t0 = time.time()
            g.run(f"lmnic-conn bulk {PCI}/3 {n} 10.9.3.2 >/dev/null", timeout=3600)
            replay = (time.time() - t0) * 1000

            mem = float(g.run(f"lmnic-membench {sent['bytes']} 5").split()[1]) / 1000
            rows.append((n, sent["bytes"], sent["downtime_ms"], replay, xr, mem, t))
    finally:
        pool.close()

    print(f"{'conns':>7} {'stream MiB':>10} {'native ms':>10} {'replay ms':>10} "
          f"{'replay/native':>13} {'extract+restore ms':>18} {'memcpy ms':>9} "
          f"{'x memcpy':>8}")
    for n, size, down, replay, xr, mem, t in rows:
        print(f"{n:>7} {size / 2**20:>10.2f} {down:>10.1f} {replay:>10.0f} "
              f"{replay / down:>13.1f} {xr:>18.1f} {mem:>9.2f} {xr / mem:>8.1f}")
    for n, size, down, replay, xr, mem, t in rows:
        print(f"  {n} connections, phases (ms): " +
              ", ".join(f"{k} {v:.1f}" for k, v in t.items()))


if __name__ == "__main__":
    main()
