"""The kernel's own YNL CLI (tools/net/ynl/cli.py of linux-source-6.12) with
lmnic's spec (Documentation/netlink/specs/lmnic.yaml), in a guest: the spec
describes the family the driver registers, attributes print with their
display hints (addresses, MAC, digests), and the errors group can be
subscribed to."""

import json
import re
import shlex
import time

import pytest

from testbed import plan, wait

PCI = "0000:00:01.0"
CLI = ("cd /ynl && PYTHONPATH=/usr/lib/python3/dist-packages "
       "python3.11 -S cli.py --no-schema --spec /lmnic/lmnic.yaml --output-json")
# the stock kernel of the CLI's own tree
KERNEL = "stock-6.12"


@plan.guests("ynl")
def ynl_guests(k):
    return {f"ynl-{k}": (k, {"overlay": "ynl"})}


@pytest.fixture(scope="module", params=[KERNEL])
def ynl(pool, request):
    name = f"ynl-{request.param}"
    g = pool.boot(ynl_guests(request.param))[name]
    g.run("insmod /lmnic/lmnic.ko && ip link set eth1 up")
    yield g
    pool.drop(name)


def cli(g, args, attrs=None):
    """The CLI's JSON answer to ARGS (with the request's ATTRS)."""
    if attrs is not None:
        args += " --json " + shlex.quote(json.dumps(attrs))
    out = g.run(f"{CLI} {args}", timeout=300).strip().splitlines()
    return json.loads(out[-1])


def test_ynl_cli(ynl):
    """dev-get, conn-add, conn-get, mig-status and conn-del through the
    CLI agree with lmnic's own tools; a subscription to the errors group
    gets the err-notify of an adapter error."""
    g = ynl
    devs = cli(g, "--dump dev-get")
    assert [(d["dev-name"], d["vport"]) for d in devs] == [(PCI, v) for v in range(4)], devs
    assert devs[1]["conn-max"] == int(re.search(r" conn-max (\d+) ", g.run(
        f"lmnic-conn dev {PCI}/1")).group(1)), devs[1]

    conn = {"dev-name": PCI, "vport": 1, "family": 4, "proto": 17,
            "src": "0a2a0001", "dst": "0a2a0002", "sport": 5001, "dport": 5002,
            "actions": 8}
    added = cli(g, "--do conn-add", conn)
    cid = added["id"]
    assert added["vport"] == 1, added
    (got,) = [c for c in cli(g, "--dump conn-get", {"dev-name": PCI, "vport": 1})
              if c["id"] == cid]
    # display hints: the addresses as addresses, actions by name
    assert (got["src"], got["dst"], got["sport"], got["dport"]) == \
        ("10.42.0.1", "10.42.0.2", 5001, 5002), got
    assert got["actions"] == ["count"] and got["owner-comm"] == "python3.11", got
    listed = g.run("lmnic-conn list eth1")
    assert f" id {cid} udp 10.42.0.1 5001 10.42.0.2 5002 " in listed, listed
    # lmnic-conn -j says the same, with the same structure of fields
    (mine,) = json.loads(g.run("lmnic-conn -j list eth1"))
    assert mine == {"dev": PCI, "vport": 1, "id": cid, "proto": "udp",
                    "src": "10.42.0.1", "sport": 5001, "dst": "10.42.0.2",
                    "dport": 5002, "actions": ["count"],
                    "owner": {"pid": got["owner-pid"], "comm": "python3.11"},
                    "packets": got["packets"], "bytes": got["bytes"]}, (mine, got)
    mine = json.loads(g.run(f"lmnic-conn -j dev {PCI}"))
    assert [(d["dev"], d["vport"], d["conn_max"], d["conn_count"], d["dead"])
            for d in mine] == [(d["dev-name"], d["vport"], d["conn-max"], int(d["vport"] == 1),
                                False) for d in devs], (mine, devs)

    st = cli(g, "--do mig-status", {"dev-name": PCI, "vport": 1, "want-digest": True})
    assert st["mac"] == g.run("cat /sys/class/net/eth1/address").strip(), st
    assert st["conn-count"] == 1 and st["state"] == "running", st
    # hex: the bytes in hex, space separated
    assert re.fullmatch(r"[0-9a-f]{2}( [0-9a-f]{2}){31}", st["digest"]), st
    # the block's counters move with the link's own traffic (neighbour
    # discovery after "up"): the agent's digest is compared with the
    # family's only when a digest on each side of it says the block held still
    for _ in range(10):
        agent = json.loads(g.run("lmnic-migrate status eth1 --json --digest").splitlines()[-1])
        after = cli(g, "--do mig-status", {"dev-name": PCI, "vport": 1, "want-digest": True})
        if after["digest"] == st["digest"]:
            break
        st = after
        time.sleep(2)
    else:
        pytest.fail(f"vport 1's block never held still for two digests: {st}")
    assert agent["digest"] == st["digest"].replace(" ", ""), (agent, st)

    # the errors group: subscribed, then a parity fault of the entry
    g.run(f"({CLI} --subscribe errors --sleep 15 > /tmp/ynl.ntf 2>&1; "
          "echo done >> /tmp/ynl.ntf) & sleep 8")
    g.qmp("qom-set", path="/machine/peripheral/lmnic0", property="inject-fault",
          value=f"parity:1:{cid}")
    end = time.time() + 120
    while "done" not in g.run("cat /tmp/ynl.ntf") and time.time() < end:
        time.sleep(2)
    out = g.run("cat /tmp/ynl.ntf").splitlines()
    assert out[-1] == "done", out
    ntfs = json.loads(out[-2])
    assert [n["name"] for n in ntfs] == ["err-notify"], ntfs
    msg = ntfs[0]["msg"]
    assert msg["dev-name"] == PCI and msg["reason"] == "parity", msg
    newest = g.run(f"lmnic-analyze --json {PCI} | sed -n 1p")
    assert re.search(rf'"id":{msg["id"]}\b', newest), (newest, msg)

    # the recovery offloaded it again, under its id
    listed = wait.until(lambda: g.run("lmnic-conn list eth1"),
                        lambda out: f" id {cid} " in out, 60, 1)
    assert f" id {cid} " in listed, listed
    g.run(f"{CLI} --do conn-del --json "
          + shlex.quote(json.dumps({"dev-name": PCI, "vport": 1, "id": cid})))
    assert g.run("lmnic-conn list eth1").strip() == ""
