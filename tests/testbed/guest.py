"""One TCG guest: QEMU with lmnic adapters, its serial console kept as a log,
a command agent on the second serial port and a QMP socket."""

import base64
import itertools
import json
import os
import re
import select
import socket
import subprocess
import time
from pathlib import Path

from .paths import ENV, FIRMWARE_DIRS, kernel_env, qemu_binary

# The guests' CPU: QEMU's qemu64 with the instructions every hypervisor
# host has, AES-NI and PCLMULQDQ among them (the migration agent's TLS then
# runs AES-GCM in hardware, as it does on a host), all emulated by TCG.
CPU = "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+aes,+pclmulqdq"

# Anything here in a guest's console log is a kernel splat.
# Reports, not the boot banners of the debug options ("RCU lockdep checking
# is enabled", "DMA-API: preallocated ...", "kmemleak: Kernel memory leak
# detector initialized").
SPLAT_RE = re.compile(
    r"BUG:|WARNING:|KASAN|UBSAN|Oops|Kernel panic|general protection fault|"
    r"possible circular locking|possible recursive locking|"
    r"inconsistent lock state|DEBUG_LOCKS_WARN_ON|DMA-API: \S+ \S+: |"
    r"kmemleak: \d+ new suspected memory leaks|"
    r"unreferenced object|INFO: task .* blocked|RCU stall|"
    r"sleeping function called from invalid context")


class GuestError(Exception):
    pass


class Guest:
    """A booted guest. `run` executes shell in it; `qmp` talks to QEMU."""

    def __init__(self, name, kernel, initrd, workdir, segment_port=None,
                 nics=1, mem_mb=1024, extra_args=(), lmnic_props="",
                 other_nics=(), index=0, root_port=False, smp=1):
        """OTHER_NICS: (QEMU device model, multicast port) of further NICs,
        each on a segment of its own, e.g. ("e1000e", 30001). INDEX, unique
        among the guests of a segment, sets the MAC addresses and serial:
        adapter N of guest I has base MAC 52:54:00:4c:I:N*16 (each vport
        adds its index) and serial 0x4c4d0000000000II. ROOT_PORT puts each
        adapter behind a PCIe root port of its own (bus N+1): it can then be
        hot-unplugged (QMP device_del) and get AER errors
        (pcie_aer_inject_error). SMP > 1 gives the guest that many vCPUs,
        each a host thread (multi-threaded TCG): races need them."""
        self.name = name
        self.kernel = kernel
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.console = self.workdir / f"{name}.console.log"
        self.agent_path = self.workdir / f"{name}.agent.sock"
        self.qmp_path = self.workdir / f"{name}.qmp.sock"
        self.stderr_path = self.workdir / f"{name}.qemu.log"
        self._ids = itertools.count(1)
        self._buf = b""
        self._qmp = None
        self.proc = None
        self.ready = False
        kenv = kernel_env(kernel)
        for p in (self.agent_path, self.qmp_path, self.console):
            if p.exists():
                p.unlink()
        args = [
            qemu_binary(), "-machine", "q35", "-accel", "tcg", "-cpu", CPU,
            "-m", str(mem_mb),
            "-smp", str(smp), "-nodefaults", "-display", "none", "-no-reboot",
            "-kernel", kenv["BZIMAGE"], "-initrd", str(initrd),
            "-append", f"console=ttyS0 panic=-1 oops=panic lmnic.name={name}",
            "-chardev", f"file,id=con,path={self.console}",
            "-serial", "chardev:con",
            "-chardev", f"socket,id=agent,path={self.agent_path},server=on,wait=on",
            "-serial", "chardev:agent",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
        ]
        for d in FIRMWARE_DIRS:
            args += ["-L", d]
        self.serial = 0x4c4d000000000000 + index
        for i in range(nics):
            mac = "52:54:00:4c:%02x:%02x" % (index % 256, i * 16)
            if segment_port:
                args += ["-netdev", f"socket,id=seg{i},mcast=230.0.0.1:{segment_port},"
                         "localaddr=127.0.0.1"]
            else:
                args += ["-netdev", f"hubport,id=seg{i},hubid={i}"]
            props = f",{lmnic_props}" if lmnic_props else ""
            if root_port:
                args += ["-device", f"pcie-root-port,id=rp{i},chassis={i + 1},"
                         f"slot={i + 1}"]
                props += f",bus=rp{i}"
            args += ["-device", f"lmnic,netdev=seg{i},mac={mac},id=lmnic{i},"
                     f"serial={self.serial}{props}"]
        if root_port:
            # native PCIe hotplug (pciehp), as on a server, not ACPI's
            args += ["-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off"]
        for j, (model, port) in enumerate(other_nics):
            mac = "52:54:00:%02x:%02x:%02x" % (0x10 + j, index % 256, 0)
            args += ["-netdev", f"socket,id=o{j},mcast=230.0.0.1:{port},"
                     "localaddr=127.0.0.1",
                     "-device", f"{model},netdev=o{j},mac={mac},romfile="]
        args += list(extra_args)
        self.args = args

    # -- lifecycle -------------------------------------------------------

    def start(self):
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr, stderr=self._stderr,
                                     env=ENV)
        deadline = time.time() + 30
        while not self.agent_path.exists():
            self._check_alive()
            if time.time() > deadline:
                raise GuestError(f"{self.name}: QEMU did not create its sockets")
            time.sleep(0.05)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(self.agent_path))
        return self

    def wait_ready(self, timeout=300):
        if not self.ready:
            self._read_until(b"@@READY\n", timeout)
            self.ready = True
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.qmp("quit")
            except Exception:  # noqa: BLE001 - QEMU may already be gone
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._qmp:
            self._qmp.close()
            self._qmp = None
        if getattr(self, "sock", None):
            self.sock.close()
            self.sock = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise GuestError(f"{self.name}: QEMU exited with {self.proc.returncode}: "
                             + self.stderr_path.read_text()[-2000:]
                             + "\nconsole tail:\n" + self.console_text()[-3000:])

    # -- command agent ---------------------------------------------------

    def _read_until(self, token, timeout):
        deadline = time.time() + timeout
        while token not in self._buf:
            self._check_alive()
            left = deadline - time.time()
            if left <= 0:
                raise GuestError(f"{self.name}: no answer in {timeout}s; console tail:\n"
                                 + self.console_text()[-3000:])
            r, _, _ = select.select([self.sock], [], [], min(left, 1.0))
            if r:
                data = self.sock.recv(65536)
                if not data:
                    raise GuestError(f"{self.name}: agent connection closed")
                self._buf += data
        head, _, self._buf = self._buf.partition(token)
        return head

    def run_rc(self, script, timeout=120):
        """Run shell SCRIPT in the guest; return (exit status, output)."""
        cid = next(self._ids)
        payload = base64.b64encode(script.encode()).decode()
        self.sock.sendall(f"{cid} {payload}\n".encode())
        self._read_until(f"@@BEGIN {cid}\n".encode(), timeout)
        end = f"@@END {cid} ".encode()
        body = self._read_until(end, timeout)
        rc = int(self._read_until(b"\n", timeout))
        return rc, base64.b64decode(body).decode(errors="replace")

    def run(self, script, timeout=120):
        """Run shell SCRIPT in the guest; raise unless it exits 0."""
        rc, out = self.run_rc(script, timeout)
        if rc != 0:
            raise GuestError(f"{self.name}: `{script}` exited {rc}:\n{out}")
        return out

    # -- QMP -------------------------------------------------------------

    def qmp(self, command, **arguments):
        if self._qmp is None:
            self._qmp = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._qmp.connect(str(self.qmp_path))
            self._qmp_file = self._qmp.makefile("rwb")
            json.loads(self._qmp_file.readline())
            self._qmp_send("qmp_capabilities")
        return self._qmp_send(command, **arguments)

    def _qmp_send(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self._qmp_file.write(json.dumps(msg).encode() + b"\n")
        self._qmp_file.flush()
        while True:
            line = self._qmp_file.readline()
            if not line:
                raise GuestError(f"{self.name}: QMP closed")
            reply = json.loads(line)
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise GuestError(f"{self.name}: QMP {command}: {reply['error']}")

    # -- console and splats ---------------------------------------------

    def console_text(self):
        try:
            return self.console.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def console_offset(self):
        try:
            return os.path.getsize(self.console)
        except FileNotFoundError:
            return 0

    def console_since(self, since):
        """The console log from byte offset SINCE on."""
        try:
            with open(self.console, "rb") as f:
                f.seek(since)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def splats(self, since=0):
        """Lines of the console log from byte SINCE on that report a splat."""
        return [line for line in self.console_since(since).splitlines()
                if SPLAT_RE.search(line)]
