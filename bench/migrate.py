#!/usr/bin/python3
"""Migration figures, measured side by side in one run, in one guest:

- device-state downtime (source quiesce -> destination resumed) of a vport
  with 1K, 64K and 256K offloaded connections, moved by lmnic-migrate
  send/receive (TLS 1.3 with a PSK, over the guest's loopback) from vport 1
  to vport 2 of the same adapter, in the adapter's native image: with
  pre-copy (the default: the image travels while the vport runs, the
  downtime carries the delta) and stop-and-copy (--no-precopy: the whole
  image inside the downtime), both idle and with the pre-copy under a
  steady churn of the source's table (lmnic-churn, bench/churn.c: 1,000
  conn-add/conn-del requests a second), with the rounds it took to converge
  (--max-downtime 50, the default) and the TLS cipher suite the agents
  chose;
- the same state re-applied item by item through the lmnic family on a
  free vport (semantic replay: one conn-add per connection, the requests a
  replaying agent makes; reading them from the source is not counted);
- extract + restore of the whole image without a network: `lmnic-migrate
  save` (quiesce, extract into the agent, written to a file in RAM) plus
  `lmnic-migrate load` (into the kernel, the adapter's checks and LOAD),
  against one memcpy() of the same number of bytes in the same guest
  (lmnic-membench).

usage: bench/migrate.py [--kernel K] [--conns 1024,65536,262144] [--churn 1000]
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


def fresh(g, maxc, n):
    """The module reloaded; vport 1 offloads N connections (and has room
    for the churn's own)."""
    g.run(f"rmmod lmnic 2>/dev/null; insmod /lmnic/lmnic.ko max_conns={maxc + 1024}")
    for v in range(4):
        g.run(f"ip link set eth{v} up")
    g.run(f"lmnic-conn bulk {PCI}/1 {n} 10.9.1.2 >/dev/null", timeout=1800)


def migrate(g, extra=""):
    """vport 1 -> vport 2 with the agents; the source's result."""
    g.run(f"lmnic-migrate receive eth2 --listen 127.0.0.1:4444 --psk-file {PSK} "
          "--json > /tmp/r.json 2>/tmp/r.err & sleep 1")
    out = g.run(f"lmnic-migrate send eth1 --to 127.0.0.1:4444 --psk-file {PSK} "
                f"--json {extra}", timeout=1800)
    g.run("while pidof lmnic-migrate >/dev/null; do sleep 0.1; done", timeout=600)
    sent = result(out)
    recv = result(g.run("cat /tmp/r.json"))
    if not (sent["ok"] and recv["ok"]):
        raise RuntimeError(f"migration failed: {sent} {recv}")
    # the agent's last estimate of the downtime, against what it was
    rounds = [json.loads(x) for x in out.splitlines()
              if x.startswith("{") and '"event":"round"' in x]
    sent["expected"] = rounds[-1]["expected_downtime_ms"] if rounds else None
    sent["round_events"] = rounds
    return sent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="stock-6.12")
    ap.add_argument("--conns", default="1024,65536,262144")
    ap.add_argument("--churn", type=int, default=1000,
                    help="changes a second to the source's table (0: none)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.conns.split(",")]
    maxc = max(sizes)

    pool = Pool(TOP / "build/bench-logs")
    rows = []
    try:
        g = pool.boot({"M": (args.kernel, {"mem_mb": 3072})})["M"]
        g.run("ip link set lo up; printf '%s' "
              "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff "
              f"> {PSK}; chmod 600 {PSK}")
        for n in sizes:
            r = {"n": n}
            # native, pre-copy: the vport runs while its image travels
            fresh(g, maxc, n)
            pre = migrate(g)
            r["pre"] = pre
            # the same under churn: rounds until the delta fits 50 ms
            if args.churn:
                fresh(g, maxc, n)
                g.run(f"lmnic-churn eth1 {args.churn} 10.9.1.2 > /tmp/churn.json "
                      "2>&1 & echo $! > /tmp/churn.pid; sleep 2")
                try:
                    r["churn"] = migrate(g)
                finally:
                    g.run("kill $(cat /tmp/churn.pid); "
                          "while kill -0 $(cat /tmp/churn.pid) 2>/dev/null; do sleep 0.1; done")
                c = json.loads(g.run("cat /tmp/churn.json"))
                # the rate while the source ran: refused once it stopped
                r["churn_rate"] = c["rate"]
            # native, stop and copy: the whole image inside the downtime
            fresh(g, maxc, n)
            r["stop"] = migrate(g, "--no-precopy")
            # extract + restore of the whole image, no network
            fresh(g, maxc, n)
            save = result(g.run("lmnic-migrate save eth1 -o /tmp/img --json",
                                timeout=600))
            load = result(g.run("lmnic-migrate load eth2 -i /tmp/img --json",
                                timeout=600))
            ts, tl = save["timings_ms"], load["timings_ms"]
            r["extract"] = ts["quiesce"] + ts["transfer"]
            r["restore"] = tl["restore"]
            r["bytes"] = save["bytes"]
            r["memcpy"] = float(g.run(f"lmnic-membench {save['bytes']} 5")
                                .split()[1]) / 1000
            # replay: the same number of conn-add requests on a free vport
            t0 = time.time()
            g.run(f"lmnic-conn bulk {PCI}/3 {n} 10.9.3.2 >/dev/null", timeout=3600)
            r["replay"] = (time.time() - t0) * 1000
            rows.append(r)
    finally:
        pool.close()

    print(f"{'conns':>7} {'image MiB':>9} {'pre-copy ms':>11} {'rounds':>6} "
          f"{'downtime ms':>11} {'churn/s':>7} {'rounds':>6} {'converged':>9} "
          f"{'downtime ms':>11} {'stop&copy ms':>12} {'replay ms':>9} "
          f"{'replay/native':>13} {'extract+restore ms':>18} {'memcpy ms':>9} "
          f"{'x memcpy':>8}")
    for r in rows:
        down = r["pre"]["downtime_ms"]
        xr = r["extract"] + r["restore"]
        ch = r.get("churn")
        churn = (f"{r['churn_rate']:>7.0f} {ch['rounds']:>6} {str(ch['converged']):>9} "
                 f"{ch['downtime_ms']:>11.1f}" if ch else f"{'-':>7} {'-':>6} {'-':>9} {'-':>11}")
        print(f"{r['n']:>7} {r['bytes'] / 2**20:>9.2f} "
              f"{r['pre']['timings_ms']['precopy']:>11.1f} {r['pre']['rounds']:>6} "
              f"{down:>11.1f} {churn} "
              f"{r['stop']['downtime_ms']:>12.1f} {r['replay']:>9.0f} "
              f"{r['replay'] / down:>13.1f} {xr:>18.1f} {r['memcpy']:>9.2f} "
              f"{xr / r['memcpy']:>8.1f}")
    print(f"  cipher suite: {rows[0]['stop'].get('cipher', 'none')}")
    for r in rows:
        for mode, what in (("pre", "pre-copy"), ("churn", "pre-copy under churn"),
                           ("stop", "stop and copy")):
            if mode not in r:
                continue
            t = r[mode]["timings_ms"]
            exp = r[mode].get("expected")
            print(f"  {r['n']} connections, {what}"
                  f" ({r[mode]['bytes']} bytes in the downtime"
                  + (f", {exp:.1f} ms expected" if exp is not None else "")
                  + "), phases (ms): " +
                  ", ".join(f"{k} {v:.1f}" for k, v in t.items()))
        if "churn" in r:
            print(f"  {r['n']} connections under churn, each stream (KiB in ms, "
                  "then the downtime expected): " + ", ".join(
                      f"{e['stream']} {e['bytes'] / 1024:.0f} in {e['ms']:.0f} "
                      f"({e['expected_downtime_ms']:.0f})"
                      for e in r["churn"]["round_events"]))
        print(f"  {r['n']} connections, extract {r['extract']:.1f} ms, "
              f"restore {r['restore']:.1f} ms")


if __name__ == "__main__":
    main()
