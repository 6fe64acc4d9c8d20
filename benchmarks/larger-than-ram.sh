#!/usr/bin/env bash
# Larger than RAM, proven: sum per key over SIZE of key<TAB>integer lines (distinct keys about
# lines/3, so a 1 GB input has ~22M keys, past the 2^24 entries a JS Map can hold) with
# --memory 256MB, inside a memory cgroup whose hard limit (CAP) is 256 MB plus the README's
# overhead. The output's md5 is checked against `LC_ALL=C sort | mawk`. The hand-written Node
# Map script runs under the same cap for comparison. Needs root for the cgroup (v1 or v2);
# without one it runs uncapped and says so.
#   bash benchmarks/larger-than-ram.sh [SIZE=1GB] [CAP=512M]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1GB}
CAP=${2:-512M}
data=benchmarks/data
mkdir -p "$data" benchmarks/out
input="$data/kv-larger-$SIZE.txt"
[ -f "$input" ] || node dist/benchmarks/gen.js kv "$SIZE" "$input"
bytes=$(stat -c %s "$input")

cg=""
if [ -d /sys/fs/cgroup/memory ] && mkdir -p /sys/fs/cgroup/memory/mrstream-bench 2>/dev/null; then
  cg=/sys/fs/cgroup/memory/mrstream-bench
  echo "$CAP" > "$cg/memory.limit_in_bytes"
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && mkdir -p /sys/fs/cgroup/mrstream-bench 2>/dev/null; then
  cg=/sys/fs/cgroup/mrstream-bench
  echo "$CAP" > "$cg/memory.max"
fi
capped () {
  if [ -n "$cg" ]; then bash -c "echo \$\$ > $cg/cgroup.procs && exec \"\$@\"" capped "$@"; else "$@"; fi
}
[ -n "$cg" ] && echo "hard memory cap: $CAP (cgroup $cg)" || echo "no cgroup available: running without a hard cap"

run () { # name, command...
  local name=$1; shift
  local start end status
  start=$(date +%s.%N)
  set +e
  capped /usr/bin/time -f '%M' -o benchmarks/out/larger.rss "$@" > "benchmarks/out/larger-$name.out" 2> "benchmarks/out/larger-$name.err"
  status=$?
  set -e
  end=$(date +%s.%N)
  local secs; secs=$(echo "$end - $start" | bc)
  local rss; rss=$(tail -n 1 benchmarks/out/larger.rss)
  printf '%-22s exit %-3s %8.1f s %7.1f MB/s  peak RSS %6d MB  md5 %s\n' "$name" "$status" "$secs" "$(echo "$bytes / 1048576 / $secs" | bc -l)" "$((rss / 1024))" \
    "$(LC_ALL=C sort "benchmarks/out/larger-$name.out" | md5sum | cut -c1-12)"
  [ "$status" = 0 ] || head -c 300 "benchmarks/out/larger-$name.err"
}

echo "input: $input ($((bytes / 1048576)) MB)"
run mrstream node dist/bin/mrstream.js --job benchmarks/jobs/sum.mjs --memory 256MB -q --tmp-dir benchmarks/out "$input"
run sort-mawk bash -c "LC_ALL=C sort -S 256M -T benchmarks/out -t \$'\\t' -k1,1 '$input' | mawk -F'\\t' -f benchmarks/peers/awk/sum-grouped.awk"
run node-map bash -c "node benchmarks/peers/node-map.mjs benchmarks/jobs/sum.mjs < '$input'"
[ -n "$cg" ] && rmdir "$cg" 2>/dev/null || true
