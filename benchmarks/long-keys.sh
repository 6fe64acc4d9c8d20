#!/usr/bin/env bash
# Peak memory with long keys and large records: each case once, in a fresh process, under
# /usr/bin/time -v; prints a table of exit code, wall time, peak RSS, the bound docs/memory.md
# states for the case (--memory + 100 MB + 50 MB per worker + 4 x the largest record per
# worker, for records over 1 MB), MB spilled, and how many temp dirs were left behind.
# Inputs are generated once into benchmarks/data/ (random base64 lines, seeded).
#   npm run build && bash benchmarks/long-keys.sh [CASE ...]     (default: all; see `cases`)
# MRSTREAM='node OTHER/dist/bin/mrstream.js' measures another build on the same inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
data=benchmarks/data
out=benchmarks/out/long-keys
mkdir -p "$data" "$out"
bin=${MRSTREAM:-node dist/bin/mrstream.js}
workers=$(nproc)

# lines LINES BYTES FILE: LINES distinct random lines of BYTES bytes each (base64 characters)
lines () {
  [ -f "$3" ] || node -e '
    const [n, len, file] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3]]
    const fs = require("node:fs"); const fd = fs.openSync(file, "w")
    let s = 1
    const rnd = () => { s = (s + 0x6d2b79f5) | 0; let t = Math.imul(s ^ (s >>> 15), 1 | s); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) }
    const abc = Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    const line = Buffer.alloc(len + 1); line[len] = 10
    for (let i = 0; i < n; i++) { for (let j = 0; j < len; j++) line[j] = abc[rnd() & 63]; fs.writeSync(fd, line) }
    fs.closeSync(fd)' "$1" "$2" "$3"
}

MB=$((1 << 20))
echo 1 > "$data/long-one.txt"
lines 2000 65536 "$data/long-2000x64KB.txt"
lines 150 $MB "$data/long-150x1MB.txt"
lines 1 $((60 * MB)) "$data/long-1x60MB.txt"
lines 2 $((60 * MB)) "$data/long-2x60MB.txt"
lines 1 $((200 * MB)) "$data/long-1x200MB.txt"

KEY='(l, emit) => emit(l, 1)'
big () { echo "(l, emit) => emit(\"big\", \"x\".repeat($1 << 20))"; }

cases=(keys-64KB keys-1MB keys-64KB-default keys-1MB-default value-60MB line-60MB lines-2x60MB lines-2x60MB-stdin value-150MB line-200MB)
run_case () {
  local name=$1
  # the input is a file argument (read in splits by the workers) unless `stdin` (read by the main
  # thread); `what` is the table's description of it, `memory` the --memory in MB
  local memory=256 w=$workers largest input what stdin='' args
  case $name in
    keys-64KB) memory=1; w=1; largest=0; what='2000 lines of 64 KB as keys'; input=$data/long-2000x64KB.txt; args=(-m "$KEY" -r count --memory 1MB --workers 1) ;;
    keys-1MB) memory=1; w=1; largest=1; what='150 lines of 1 MB as keys'; input=$data/long-150x1MB.txt; args=(-m "$KEY" -r count --memory 1MB --workers 1) ;;
    keys-64KB-default) largest=0; what='2000 lines of 64 KB as keys'; input=$data/long-2000x64KB.txt; args=(-m "$KEY" -r count) ;;
    keys-1MB-default) largest=1; what='150 lines of 1 MB as keys'; input=$data/long-150x1MB.txt; args=(-m "$KEY" -r count) ;;
    value-60MB) memory=32; largest=60; what='a 60 MB value (stdin: 1 line)'; input=$data/long-one.txt; stdin=1; args=(-m "$(big 60)" -r count --memory 32MB) ;;
    line-60MB) largest=60; what='a 60 MB line as key'; input=$data/long-1x60MB.txt; args=(-m "$KEY" -r count) ;;
    lines-2x60MB) largest=60; what='two 60 MB lines as keys'; input=$data/long-2x60MB.txt; args=(-m "$KEY" -r count) ;;
    lines-2x60MB-stdin) largest=60; what='two 60 MB lines as keys, stdin'; input=$data/long-2x60MB.txt; stdin=1; args=(-m "$KEY" -r count) ;;
    value-150MB) largest=150; what='a 150 MB value (stdin: 1 line)'; input=$data/long-one.txt; stdin=1; args=(-m "$(big 150)" -r count) ;;
    line-200MB) largest=200; what='a 200 MB line as key, --max-line-bytes 256MB'; input=$data/long-1x200MB.txt; args=(-m "$KEY" -r count --max-line-bytes 256MB) ;;
    *) echo "unknown case $name (one of: ${cases[*]})" >&2; exit 2 ;;
  esac
  local tmp="$out/tmp-$name"
  rm -rf "$tmp" "$out/$name.stats"; mkdir -p "$tmp"
  local start end status
  start=$(date +%s.%N)
  set +e
  if [ -n "$stdin" ]; then
    /usr/bin/time -v -o "$out/$name.time" $bin "${args[@]}" -q --tmp-dir "$tmp" --stats "$out/$name.stats" < "$input" > "$out/$name.out" 2> "$out/$name.err"
  else
    /usr/bin/time -v -o "$out/$name.time" $bin "${args[@]}" -q --tmp-dir "$tmp" --stats "$out/$name.stats" "$input" > "$out/$name.out" 2> "$out/$name.err"
  fi
  status=$?
  set -e
  end=$(date +%s.%N)
  local rss; rss=$(awk -F': ' '/Maximum resident/ { print int($2 / 1024) }' "$out/$name.time")
  local bound=$((memory + 100 + 50 * w + (largest > 1 ? 4 * largest * w : 0)))
  local spilled='-'
  [ -s "$out/$name.stats" ] && spilled=$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const c = s.counters ?? s; console.log(((c.spilledBytes ?? 0) / 1048576).toFixed(1))' "$out/$name.stats" 2>/dev/null || echo '-')
  local left; left=$(find "$tmp" -mindepth 1 -maxdepth 1 | wc -l)
  printf '| %-18s | %-44s | %4d MB | %7d | %4s | %7d | %8d | %7.1f | %8s | %4s |\n' "$name" "$what" "$memory" "$w" "$status" "$rss" "$bound" "$(echo "$end - $start" | bc)" "$spilled" "$left"
  [ "$status" = 0 ] || grep -m 1 -E 'FATAL|mrstream' "$out/$name.err" | cut -c1-200 | sed 's/^/    /'
  rm -rf "$tmp"
}

[ $# -gt 0 ] && cases=("$@")
echo "workers: $workers (default), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo '| case               | input                                        | --memory | workers | exit | peak MB | bound MB |  wall s | spill MB | left |'
echo '| ------------------ | -------------------------------------------- | -------: | ------: | ---: | ------: | -------: | ------: | -------: | ---: |'
for c in "${cases[@]}"; do run_case "$c"; done
