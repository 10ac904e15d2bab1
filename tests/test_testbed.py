"""The lmnic adapter enumerates in a guest on each testbed kernel, lmnic.ko
binds to it and unbinds cleanly; the splat detector sees KASAN and lockdep
reports."""

import pytest

from testbed.paths import KERNELS

PCI_ID = "1234:4c4d"


def lmnic_bdf(g):
    out = g.run(f"lspci -n | grep ' {PCI_ID}' || true")
    assert PCI_ID in out, f"lmnic adapter not enumerated: {g.run('lspci -n')}"
    return "0000:" + out.split()[0]


@pytest.mark.parametrize("kernel", KERNELS)
def test_bind_unbind(pool, kernel):
    g = pool.get(f"g-{kernel}", kernel)
    bdf = lmnic_bdf(g)
    drv = "/sys/bus/pci/drivers/lmnic"
    g.run("insmod /lmnic/lmnic.ko")
    assert g.run(f"readlink /sys/bus/pci/devices/{bdf}/driver").strip().endswith("/lmnic")
    info = g.run("devlink dev info")
    serial = f"{g.serial:016x}"
    assert f"pci/{bdf}" in info and f"serial_number {serial}" in info
    assert "fw.state_layout 1" in info

    for _ in range(3):
        g.run(f"echo {bdf} > {drv}/unbind")
        assert g.run_rc(f"test -e /sys/bus/pci/devices/{bdf}/driver")[0] != 0
        assert g.run("devlink dev show").strip() == ""
        g.run(f"echo {bdf} > {drv}/bind")
        assert f"pci/{bdf}" in g.run("devlink dev show")
    g.run("rmmod lmnic")
    assert g.run_rc(f"test -e {drv}")[0] != 0
    dmesg = g.run("dmesg")
    assert f"lmnic adapter, serial {serial}" in dmesg
    if kernel.startswith("debug"):
        leaks = g.run("echo scan > /sys/kernel/debug/kmemleak; "
                      "echo scan > /sys/kernel/debug/kmemleak; "
                      "cat /sys/kernel/debug/kmemleak", timeout=300)
        assert "unreferenced object" not in leaks, leaks


SPLATS = {
    "kasan": ("lmnic_splat_kasan", "KASAN: slab-out-of-bounds"),
    "lockdep": ("lmnic_splat_lockdep", "possible circular locking dependency"),
}


@pytest.fixture(scope="module")
def splat_guests(pool):
    """A debug guest of its own per kind of splat, never shared: a KASAN
    report turns lockdep off, and any splat taints the kernel."""
    guests = {k: pool.new_guest(f"splat-{k}", "debug-6.12", nics=0).start()
              for k in SPLATS}
    try:
        for g in guests.values():
            g.wait_ready()
        yield guests
    finally:
        for g in guests.values():
            g.stop()


@pytest.mark.parametrize("kind", SPLATS)
def test_splat_detector(splat_guests, kind):
    g = splat_guests[kind]
    module, needle = SPLATS[kind]
    since = g.console_offset()
    assert g.splats(since) == []
    g.run(f"insmod /lmnic/{module}.ko")
    g.run("sleep 1")
    found = g.splats(since)
    assert found, f"the detector missed the {kind} report"
    assert needle in g.console_since(since)
