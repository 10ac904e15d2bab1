#!/bin/bash
# Build lmnic's modules for one of the testbed kernels (scripts/kernels.sh)
# in build/KERNEL/, with W=1; with sparse (C=1) where the kernel is the debug
# build. Any compiler or sparse warning fails the build.
#
# usage: build-modules.sh KERNEL [--no-check]
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
# Its own make -j: not a job server of a make that runs this script.
unset MAKEFLAGS MFLAGS MAKELEVEL

top=$(cd "$(dirname "$0")/.." && pwd)
k=$1
checks=${2:-}
out=$top/build/$k
eval "$("$top/scripts/kernels.sh" env "$k")"

# Same inputs, same modules: reuse a finished build.
key=$( (echo "$KDIR" "$checks"; cd "$top" && find Kbuild drivers include kunit \
	tests/modules scripts/build-modules.sh -type f | sort | xargs cat) | sha256sum)
if [ -f "$out/.inputs" ] && [ "$(cat "$out/.inputs")" = "$key" ]; then
	find "$out" -name '*.ko' | sort
	exit 0
fi

# A private copy per kernel: out-of-tree objects land beside their sources.
rm -rf "$out"
mkdir -p "$out"
cp -a "$top/Kbuild" "$top/drivers" "$top/include" "$top/kunit" "$out/"
cp -a "$top/tests/modules" "$out/test-modules"

flags=(W=1)
if [ "$checks" != --no-check ] && [[ $k == debug-* ]]; then
	flags+=(C=1)
fi

logf=$out/build.log
make -C "$KDIR" M="$out" "${flags[@]}" -j"$(nproc)" modules >"$logf" 2>&1 ||
	{ cat "$logf" >&2; exit 1; }
if [[ $k == debug-* ]]; then
	make -C "$KDIR" M="$out/test-modules" "${flags[@]}" modules >>"$logf" 2>&1 ||
		{ cat "$logf" >&2; exit 1; }
fi
if grep -E 'warning:|error:' "$logf" >&2; then
	echo "build-modules: $k: warnings (full log in $logf)" >&2
	exit 1
fi
echo "$key" >"$out/.inputs"
find "$out" -name '*.ko' | sort
