#!/bin/bash
# Generate the lmnic family's kernel policy/ops code and its UAPI header from
# Documentation/netlink/specs/lmnic.yaml with tools/net/ynl of Debian's
# linux-source-6.12, and the tools' table of what replies may hold
# (tools/lmnic_nl_policy.c) with scripts/nl-policy-gen.py. With --check,
# regenerate into a scratch directory and fail if the committed files differ.
#
# usage: ynl-gen.sh [--check]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src=$("$top/scripts/kernels.sh" srctree)
spec=Documentation/netlink/specs/lmnic.yaml
outs=(drivers/net/ethernet/lmnic/lmnic_nl_gen.c
      drivers/net/ethernet/lmnic/lmnic_nl_gen.h
      include/uapi/linux/lmnic.h)
modes=("kernel --source" "kernel --header" "uapi --header")

# The generator wants the spec inside a kernel-like tree: the schema one
# level up, a MAINTAINERS file at the root.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Documentation/netlink/specs"
cp "$src"/Documentation/netlink/*.yaml "$work/Documentation/netlink/"
cp "$top/$spec" "$work/$spec"
touch "$work/MAINTAINERS"

rc=0
for i in "${!outs[@]}"; do
	mkdir -p "$work/out.$i"
	out=$work/out.$i/$(basename "${outs[$i]}")
	# shellcheck disable=SC2086
	(cd "$work" && timeout 60 /usr/bin/python3 \
		"$src/tools/net/ynl/ynl-gen-c.py" --spec "$work/$spec" \
		--mode ${modes[$i]} -o "$out")
	if [ "${1:-}" = --check ]; then
		if ! cmp -s "$out" "$top/${outs[$i]}"; then
			echo "ynl-gen: ${outs[$i]} differs from what $spec generates:" >&2
			diff -u "$top/${outs[$i]}" "$out" >&2 || true
			rc=1
		fi
	else
		cp "$out" "$top/${outs[$i]}"
	fi
done

out=$work/lmnic_nl_policy.c
/usr/bin/python3 "$top/scripts/nl-policy-gen.py" "$top/$spec" "$out"
if [ "${1:-}" = --check ]; then
	if ! cmp -s "$out" "$top/tools/lmnic_nl_policy.c"; then
		echo "ynl-gen: tools/lmnic_nl_policy.c differs from what $spec generates:" >&2
		diff -u "$top/tools/lmnic_nl_policy.c" "$out" >&2 || true
		rc=1
	fi
else
	cp "$out" "$top/tools/lmnic_nl_policy.c"
fi
exit $rc
