#!/bin/bash
# A long campaign of the adapter model's device fuzzer (tests/model/), and
# of the differential test of its connection table, with the figures that
# bench/README.md records: executions, findings, coverage of qemu-dev/.
#
# usage: fuzz-model.sh [SECONDS]    (default 3600; FUZZ_JOBS= parallel jobs,
#                                    default the machine's cores;
#                                    DIFF_SEQUENCES= sequences, default 20000)
#
# The corpus lives in $LMNIC_CACHE/fuzz-model-corpus (FUZZ_CORPUS= another
# directory) and grows from run to run; a finding is left in
# build/fuzz-model/ (crash-*, timeout-*, leak-*).
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${LMNIC_CACHE:-/var/cache/lmnic}
seconds=${1:-3600}
jobs=${FUZZ_JOBS:-$(nproc)}
sequences=${DIFF_SEQUENCES:-20000}
out=$top/build/fuzz-model
bin=$top/build/model
corpus=${FUZZ_CORPUS:-$cache/fuzz-model-corpus}

mkdir -p "$out" "$corpus"
make -s -C "$top/tests/model" O="$bin" "$bin/fuzz-model" "$bin/fuzz-model-cov" \
	"$bin/seed-model" "$bin/conn-diff"
"$bin/seed-model" "$corpus"
cp "$top"/tests/model/fuzz-regress/* "$corpus"/ 2>/dev/null || true

echo "fuzz-model: $jobs jobs for $seconds s; corpus $corpus"
rm -f "$out"/fuzz-*.log
(cd "$out" && "$bin/fuzz-model" -max_total_time="$seconds" -max_len=4096 \
	-timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
	-jobs="$jobs" -workers="$jobs" -artifact_prefix="$out/" \
	"$corpus" >/dev/null 2>&1) || true

execs=0
for log in "$out"/fuzz-*.log; do
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	execs=$((execs + ${n:-0}))
done
findings=$(find "$out" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' \
	-o -name 'leak-*' -o -name 'oom-*' \) | wc -l)
echo "fuzz-model: $execs executions, $findings findings"

# coverage of the model's files by the corpus the campaign left
rm -f "$out"/cov-*.profraw
LLVM_PROFILE_FILE="$out/cov-%p.profraw" "$bin/fuzz-model-cov" -runs=0 \
	-max_len=4096 "$corpus" >/dev/null 2>&1 || true
llvm-profdata-14 merge -sparse "$out"/cov-*.profraw -o "$out/cov.profdata"
llvm-cov-14 report "$bin/fuzz-model-cov" -instr-profile="$out/cov.profdata" \
	"$top"/qemu-dev/lmnic_core.c "$top"/qemu-dev/lmnic_conn.c \
	"$top"/qemu-dev/lmnic_mig.c "$top"/qemu-dev/lmnic_sha256.c | tee "$out/coverage.txt"

echo "conn-diff: $sequences sequences, a random seed"
"$bin/conn-diff" --random --sequences "$sequences" \
	--save "$out/conn-diff-failure.seq" | tail -n 3
[ "$findings" = 0 ]
