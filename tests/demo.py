#!/usr/bin/python3
"""make demo: boot two guests with lmnic adapters on one L2 segment, load the
driver in both, carry traffic, offload connections, inject an adapter fault
and show the analyzer's diagnosis and the recovery; then migrate a vport
with its connections from A to B under a peer's UDP stream and show the
timings and the loss window."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from testbed.pool import Pool  # noqa: E402

# the only kernel make demo provides (DEMO_KERNEL in the Makefile)
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
        for i, g in enumerate(guests.values()):
            step(f"guest {g.name}: the lmnic adapter and its driver")
            show(g, "lspci -nn | grep -i 1234:4c4d")
            show(g, "insmod /lmnic/lmnic.ko && dmesg | grep 'lmnic '")
            show(g, "devlink dev info")
            show(g, "ip -br link | grep eth")
            show(g, f"ip link set eth0 up && ip addr add 10.9.0.{i + 1}/24 dev eth0 "
                 "&& ethtool -i eth0 | head -3")
        a, b = guests["A"], guests["B"]
        step("traffic between the guests' vport 0")
        show(a, "ping -c 3 -i 0.3 -W 3 10.9.0.2 || ping -c 3 -i 0.3 -W 3 10.9.0.2")
        a.run("dd if=/dev/urandom of=/tmp/blob bs=1M count=32 2>/dev/null")
        b.run("socat -u TCP-LISTEN:5001,reuseaddr CREATE:/tmp/rx </dev/null >/dev/null 2>&1 &")
        a.run("sleep 0.5")
        t = time.time()
        a.run("socat -u OPEN:/tmp/blob TCP:10.9.0.2:5001", timeout=300)
        print(f"    32 MiB over TCP from A to B in {time.time() - t:.1f}s")
        b.run("sleep 1")
        show(a, "sha256sum /tmp/blob")
        show(b, "sha256sum /tmp/rx")
        show(b, "ethtool -S eth0 | grep -E 'qp0_rx_(packets|bytes)|port_rx_unicast|adapter_'")
        step("applications offload connections to B's vport 0 (lmnic family)")
        show(b, "lmnic-conn add eth0 udp 10.9.0.1 5001 10.9.0.2 6001 steer 0 count")
        show(b, "lmnic-conn bulk eth0 5000 10.9.0.2")
        show(b, "lmnic-conn list eth0 | head -3")
        show(b, "ethtool -n eth0 | head -4")
        step("B: watch for adapter errors; inject a parity fault into table "
             "memory from outside the guest (QMP)")
        b.run("mkdir -p /root/dumps && (lmnic-analyze --watch /root/dumps --count 1 "
              "> /tmp/watch.out 2>/dev/null &); sleep 1")
        b.qmp("qom-set", path="/machine/peripheral/lmnic0",
              property="inject-fault", value="parity:0:1234")
        print("    qom-set lmnic0 inject-fault parity:0:1234")
        b.run("for i in $(seq 30); do grep -q dump /tmp/watch.out && break; "
              "sleep 0.5; done")
        show(b, "ls -l $(cat /tmp/watch.out)")
        step("lmnic-analyze names the diagnosis from the dump")
        show(b, "lmnic-analyze $(cat /tmp/watch.out) | sed -n 1,12p")
        show(b, "sleep 1; dmesg | grep -E 'adapter error|recovered'")
        show(b, "devlink health show pci/0000:00:01.0 reporter adapter")
        show(b, "lmnic-conn list eth0 | wc -l")
        show(a, "ping -c 2 -i 0.3 -W 3 10.9.0.2")
        step("live migration: A's vport 1 (the VM at 10.32.0.100, 1,001 "
             "offloaded connections) moves to B's vport 1 while a peer "
             "(B's vport 2, in netns peer) streams UDP to it")
        psk = "printf '%s' " + "5a" * 32 + " > /tmp/psk && chmod 600 /tmp/psk"
        for g in (a, b):
            g.run("sysctl -qw net.ipv4.conf.all.arp_ignore=1 "
                  "net.ipv6.conf.eth1.disable_ipv6=1 && ip link set eth1 up && "
                  "ip addr add 10.32.0.100/24 dev eth1 && " + psk)
        b.run("sysctl -qw net.ipv4.conf.eth1.arp_ignore=8")
        b.run("ip netns add peer && ip link set eth2 netns peer && "
              "ip -n peer link set eth2 up && ip -n peer addr add 10.32.0.3/24 dev eth2")
        show(a, "lmnic-conn bulk 0000:00:01.0/1 1000 10.32.0.100 && "
             "lmnic-conn add eth1 udp 10.32.0.3 7001 10.32.0.100 7000 count")
        for g, f in ((a, "/tmp/seqA"), (b, "/tmp/seqB")):
            g.run(f"socat -u UDP4-RECV:7000,bind=10.32.0.100 OPEN:{f},creat,append "
                  "</dev/null >/dev/null 2>&1 &")
        b.run("(i=0; while [ $i -lt 100000 ]; do echo $i; i=$((i+1)); sleep 0.005; "
              "done) | ip netns exec peer socat -u -b 16 - "
              "UDP4:10.32.0.100:7000,sourceport=7001 >/dev/null 2>&1 & "
              "echo $! > /tmp/udp.pid; sleep 2")
        show(a, "lmnic-migrate status eth1")
        b.run("lmnic-migrate receive eth1 --listen 10.9.0.2:4444 --psk-file /tmp/psk "
              "--verify > /tmp/recv.out 2>&1 &")
        b.run("i=0; until grep -q listening /tmp/recv.out || [ $i -gt 100 ]; do "
              "sleep 0.1; i=$((i+1)); done; cat /tmp/recv.out")
        t = time.time()
        show(a, "lmnic-migrate send eth1 --to 10.9.0.2:4444 --psk-file /tmp/psk "
             "--verify 2>&1")
        print(f"    the agent ran {time.time() - t:.1f}s")
        b.run("sysctl -qw net.ipv4.conf.eth1.arp_ignore=0; sleep 2; "
              "kill $(cat /tmp/udp.pid); sleep 0.5")
        show(b, "cat /tmp/recv.out")
        show(a, "lmnic-migrate status eth1 | head -2")
        show(b, "lmnic-migrate status eth1 | head -4")
        show(b, "lmnic-conn list 0000:00:01.0/1 | wc -l")
        last_a = int(a.run("tail -1 /tmp/seqA"))
        first_b = int(b.run("head -1 /tmp/seqB"))
        show(b, "ethtool -S eth1 | grep -E 'port_rx_(unicast|conn_hit)'")
        print(f"    the peer's UDP sequence: last at A #{last_a}, first at B "
              f"#{first_b}: {first_b - last_a - 1} datagrams lost in the move")
        b.run("pkill socat; ip netns del peer; true")
        a.run("pkill socat; true")
        step("unloading the driver")
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
