# SPDX-License-Identifier: GPL-2.0
#
# lmnic: driver, adapter model, tools and testbed.
#
#   make                 build lmnic.ko against the running kernel (KDIR=...)
#   make install         install it and the tools (DESTDIR=, PREFIX=; below)
#   make demo            boot guests with lmnic adapters and show lmnic at work
#                        (needs the emulator and the stock-6.12 kernel only)
#   make check           every test; T='pytest args' selects a subset
#   make modules-all     build for all testbed kernels, W=1 (+ C=1 on debug)
#   make fuzz            a long campaign of the adapter model's fuzzer and
#                        table property test (FUZZ_SECONDS=, default 3600)
#   make package-test    the Debian packages built, linted, and installed in a
#                        clean Debian 12 tree where dkms builds the module
#   make stress          the driver's stress and fault tests at length: each
#                        loop for STRESS_SECONDS= (default 600), every
#                        allocation-failure point
#   make qemu|kernels    build the emulator / provide the testbed kernels
#   make kernel-NAME     provide one of them (stock-6.1, stock-6.12, debug-6.12)
#   make deps            install build and test dependencies (Debian);
#                        DEPS=demo: only what make demo needs

KDIR ?= /lib/modules/$(shell uname -r)/build
PYTHON := /usr/bin/python3
KERNELS := stock-6.1 stock-6.12 debug-6.12
# the kernel tests/demo.py boots
DEMO_KERNEL := stock-6.12
export PATH := /usr/sbin:/usr/bin:/sbin:/bin:$(PATH)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# make install: lmnic.ko into $(DESTDIR)/lib/modules/$(KVER)/ (kbuild's
# modules_install), then the tools under $(DESTDIR)$(PREFIX). depmod runs for
# KDIR's kernel, not the running one, and only where that kernel's module
# index belongs: on the host (no DESTDIR), or in a DESTDIR that holds the
# kernel itself (its modules.builtin). In a staging DESTDIR the index would
# list lmnic alone and, packaged, replace the target's: the package's
# installation runs depmod there (as DKMS does). Kbuild's own depmod is
# turned off (DEPMOD=true) for the same reason.
PREFIX ?= /usr/local
# The release KDIR's modules are built for (their vermagic). Not
# include/config/kernel.release: Debian's 6.1 headers name the upstream
# release there (6.1.x) and set the package's (6.1.0-N-amd64) elsewhere.
KVER = $(or $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
		$(KDIR)/include/generated/utsrelease.h 2>/dev/null), \
	$(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null))

install: modules
	@test -n "$(KVER)" || { echo "no kernel release in $(KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) DEPMOD=true \
		modules_install
	@if [ -z "$(DESTDIR)" ] || [ -f "$(DESTDIR)/lib/modules/$(KVER)/modules.builtin" ]; then \
		echo "depmod $(if $(DESTDIR),-b $(DESTDIR) )$(KVER)"; \
		depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KVER); \
	else \
		echo "depmod skipped: $(DESTDIR) holds no kernel $(KVER); run depmod $(KVER) where lmnic.ko is installed"; \
	fi
	$(MAKE) -C tools install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

# what deps installs: all of it, or (DEPS=demo) what make demo needs
DEPS ?= all
deps:
	@scripts/deps.sh $(filter demo,$(DEPS))

qemu: deps
	@scripts/qemu.sh build

kernels: deps
	@scripts/kernels.sh ensure

KERNEL_TARGETS := $(addprefix kernel-,$(KERNELS))
$(KERNEL_TARGETS): kernel-%: deps
	@scripts/kernels.sh ensure $*

modules-all: kernels
	@set -e; for k in $(KERNELS); do \
		echo "  BUILD   $$k"; scripts/build-modules.sh $$k >/dev/null; \
	done

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,build/host/%,$(UNIT_SRCS))
UNIT_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude

unit: $(UNIT_BINS)

build/host/%: tests/unit/%.c include/lmnic_hw.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< -lcmocka

# the dump decoder of lmnic-analyze, with the sources the tool builds from
DECODER := tools/lmnic_dump.c tools/lmnic_json.c tools/crc32c.c
build/host/test_dump_decode: tests/unit/test_dump_decode.c $(DECODER) \
		tools/lmnic_dump.h tools/lmnic_json.h include/lmnic_hw.h include/uapi/linux/lmnic_dump.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -Iinclude/uapi -o $@ $< $(DECODER) -lcmocka

# the tools' JSON writer
build/host/test_json: tests/unit/test_json.c tools/lmnic_json.c tools/lmnic_json.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< tools/lmnic_json.c -lcmocka

# the tools' check of the family's replies, with the tables from the spec
NL_ATTR := tools/lmnic_nl_attr.c tools/lmnic_nl_policy.c
build/host/test_nl_attr: tests/unit/test_nl_attr.c $(NL_ATTR) tools/lmnic_nl.h \
		include/uapi/linux/lmnic.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -Iinclude/uapi -I/usr/include/libnl3 -o $@ $< $(NL_ATTR) \
		-lcmocka -lnl-genl-3 -lnl-3

# the migration stream parser as the tools build it, and their stream builder
STREAM := drivers/net/ethernet/lmnic/lmnic_stream.c tools/lmnic_stream_build.c \
	  tools/crc32c.c
build/host/test_stream: tests/unit/test_stream.c $(STREAM) \
		drivers/net/ethernet/lmnic/lmnic_stream.h tools/lmnic_stream_build.h \
		tools/crc32c.h include/lmnic_hw.h include/uapi/linux/lmnic_mig.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -Iinclude/uapi -Idrivers/net/ethernet/lmnic -Itools \
		-o $@ $< $(STREAM) -lcmocka -lcrypto

# lmnic-migrate against a fake of its netlink layer, for tests/test_agent.py
agent-fake:
	@$(MAKE) -s -C tools O=$(CURDIR)/build/host $(CURDIR)/build/host/lmnic-migrate-fake

check: qemu kernels
	@$(PYTHON) tests/check.py $(T)

# What the demo needs, side by side: the emulator's build keeps both cores
# busy while the kernel is fetched and unpacked and the module and the
# tools build.
demo: DEPS = demo
demo: deps
	@$(MAKE) --no-print-directory -j3 DEPS=demo qemu demo-module demo-tools
	@$(PYTHON) tests/demo.py

demo-module: kernel-$(DEMO_KERNEL)
	@scripts/build-modules.sh $(DEMO_KERNEL) >/dev/null

demo-tools:
	@$(MAKE) -s -C tools O=$(CURDIR)/build/host/tools all test-tools

FUZZ_SECONDS ?= 3600
fuzz: qemu
	@scripts/fuzz-model.sh $(FUZZ_SECONDS)

# the packages installed in a clean Debian 12 tree (mmdebstrap), dkms
# building the module for the stock kernels there
package-test: kernel-stock-6.1 kernel-stock-6.12
	@LMNIC_STRESS=1 $(PYTHON) tests/check.py tests/test_packaging.py $(T)

STRESS_SECONDS ?= 600
stress: qemu kernels
	@LMNIC_STRESS=$(STRESS_SECONDS) $(PYTHON) tests/check.py tests/test_robust.py \
		tests/test_migrate.py tests/test_datapath.py -m "robust or stress" $(T)

clean:
	rm -rf build
	find . \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' -o -name 'Module.symvers' \) \
		-not -path './.git/*' -delete

.PHONY: all modules install deps qemu kernels $(KERNEL_TARGETS) modules-all unit agent-fake check \
	demo demo-module demo-tools fuzz package-test stress clean
