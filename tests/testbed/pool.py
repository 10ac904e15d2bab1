"""Guests shared by the tests of one session: each is booted once, on first
use, and stopped when the session ends."""

import os
import subprocess
from pathlib import Path

from . import initramfs
from .guest import Guest
from .paths import BUILD, ENV, TOP


class Pool:
    def __init__(self, workdir=None):
        self.workdir = Path(workdir or BUILD / "test-logs")
        self.workdir.mkdir(parents=True, exist_ok=True)
        # One L2 segment per session; the port keeps concurrent runs apart.
        self.segment_port = 20000 + os.getpid() % 20000
        self.guests = {}
        self._next_index = 1
        self._modules = {}
        self._initrds = {}

    def build_modules(self, *kernels):
        """Build lmnic's modules for each of KERNELS, side by side (each
        build in a tree of its own); return (ok, log, paths) of the first."""
        procs = {k: subprocess.Popen([str(TOP / "scripts/build-modules.sh"), k],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=ENV)
                 for k in dict.fromkeys(kernels) if k not in self._modules}
        for k, proc in procs.items():
            out, err = proc.communicate()
            paths = [Path(p) for p in out.split()]
            self._modules[k] = (proc.returncode == 0, err, paths)
        return self._modules[kernels[0]] if kernels else None

    def modules(self, kernel):
        ok, log, paths = self.build_modules(kernel)
        if not ok:
            raise RuntimeError(f"modules for {kernel} did not build:\n{log}")
        return paths

    def initrd(self, kernel, overlay=None):
        """The guests' initramfs for KERNEL, with OVERLAY's files
        (initramfs.OVERLAYS) if given."""
        key = (kernel, overlay)
        if key not in self._initrds:
            self._initrds[key] = (
                initramfs.build_with(kernel, self.initrd(kernel), overlay) if overlay
                else initramfs.build(kernel, self.modules(kernel)))
        return self._initrds[key]

    def new_guest(self, name, kernel, overlay=None, **kw):
        """A guest outside the pool (the caller stops it)."""
        kw.setdefault("segment_port", self.segment_port)
        kw.setdefault("index", self._next_index)
        self._next_index += 1
        return Guest(name, kernel, self.initrd(kernel, overlay), self.workdir, **kw)

    def get(self, name, kernel, **kw):
        """The pool's guest NAME, booted on first use."""
        return self.boot({name: (kernel, kw)})[name]

    def prestart(self, specs):
        """Start every guest of SPECS {name: (kernel, kwargs)} not yet
        running, without waiting for it: guests boot side by side."""
        self.build_modules(*(kernel for kernel, _ in specs.values()))
        for name, (kernel, kw) in specs.items():
            g = self.guests.get(name)
            if g is None or not g.alive():
                self.guests[name] = self.new_guest(name, kernel, **kw).start()

    def boot(self, specs):
        """Boot every guest of SPECS not yet running, all at once, and return
        them by name once each is ready."""
        self.prestart(specs)
        for name in specs:
            self.guests[name].wait_ready()
        return {name: self.guests[name] for name in specs}

    def drop(self, name):
        """Stop the pool's guest NAME."""
        g = self.guests.pop(name, None)
        if g:
            g.stop()

    def close(self):
        for g in self.guests.values():
            g.stop()
        self.guests.clear()
