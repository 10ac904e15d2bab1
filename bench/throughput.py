#!/usr/bin/python3
"""TCP throughput between two TCG guests over lmnic, QEMU's e1000e and
virtio-net, measured side by side in one run on the same testbed.

Each guest has one NIC of each kind, each kind on a segment of its own. The
same transfer (socat, one TCP stream, data from tmpfs) runs over each kind in
turn, ROUNDS times; the best round of each counts. Prints MB/s per kind and
the ratios lmnic/e1000e and lmnic/virtio-net.

usage: bench/throughput.py [--mb N] [--rounds N] [--kernel K]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from testbed.pool import Pool  # noqa: E402

KINDS = {"lmnic": "10.10.1", "e1000e": "10.10.2", "virtio_net": "10.10.3"}


def netdev_of(g, driver):
    out = g.run("for n in /sys/class/net/*; do "
                "echo $(basename $n) $(basename $(readlink $n/device/driver) 2>/dev/null); done")
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == driver:
            return parts[0]
    raise RuntimeError(f"{g.name}: no {driver} netdev in:\n{out}")


def setup(g, side):
    g.run("insmod /lmnic/lmnic.ko && modprobe e1000e && modprobe virtio_net "
          "&& sleep 2")
    for drv, net in KINDS.items():
        dev = netdev_of(g, drv)
        g.run(f"ip link set {dev} up && ip addr add {net}.{side}/24 dev {dev}")


def transfer(a, b, net, mb, port):
    b.run(f"socat -u TCP-LISTEN:{port},reuseaddr OPEN:/dev/null "
          "</dev/null >/dev/null 2>&1 &")
    a.run("sleep 0.5")
    out = a.run(f"t0=$(cut -d' ' -f1 /proc/uptime); "
                f"socat -u OPEN:/tmp/blob TCP:{net}.2:{port}; "
                f"t1=$(cut -d' ' -f1 /proc/uptime); echo $t0 $t1", timeout=900)
    t0, t1 = map(float, out.split()[-2:])
    return mb / max(t1 - t0, 0.01)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--kernel", default="stock-6.12")
    args = ap.parse_args()

    pool = Pool(Path(__file__).resolve().parents[1] / "build/bench-logs")
    ports = (pool.segment_port + 1, pool.segment_port + 2)
    other = (("e1000e", ports[0]), ("virtio-net-pci", ports[1]))
    try:
        gs = pool.boot({n: (args.kernel, {"other_nics": other})
                        for n in ("bench-a", "bench-b")})
        a, b = gs["bench-a"], gs["bench-b"]
        setup(a, 1)
        setup(b, 2)
        for net in KINDS.values():
            a.run(f"ping -c 2 -W 5 {net}.2 >/dev/null || ping -c 2 -W 5 {net}.2")
        a.run(f"dd if=/dev/urandom of=/tmp/blob bs=1M count={args.mb} 2>/dev/null")
        best = {k: 0.0 for k in KINDS}
        port = 5100
        for r in range(args.rounds):
            for kind, net in KINDS.items():
                port += 1
                mbps = transfer(a, b, net, args.mb, port)
                best[kind] = max(best[kind], mbps)
                print(f"round {r + 1} {kind:10s} {mbps:7.1f} MB/s", flush=True)
        splats = [s for g in (a, b) for s in g.splats()]
        if splats:
            print("kernel splats:\n" + "\n".join(splats))
            return 1
    finally:
        pool.close()

    print(f"\nTCP, one stream, {args.mb} MiB, {args.kernel} guests under TCG, "
          f"best of {args.rounds}:")
    for kind in KINDS:
        print(f"  {kind:10s} {best[kind]:7.1f} MB/s")
    print(f"  lmnic/e1000e     = {best['lmnic'] / best['e1000e']:.2f}")
    print(f"  lmnic/virtio-net = {best['lmnic'] / best['virtio_net']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
