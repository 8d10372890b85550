#!/usr/bin/env bash
# Start-up and memory of the published sample: `aotconsole inspect` on an empty store (its schema made by a first call),
# five runs each for the wall clock (median) and for the peak RSS (the highest, from GNU time), printed on one line and
# gated at twice the targets (10 ms and 8 MiB), for a noisy machine's sake.
# Usage: eng/startup.sh <path to the published aotconsole> [work directory]
set -u
bin=$1
dir=${2:-$(mktemp -d)}
mkdir -p "$dir" && db="$dir/startup-empty.db" && rm -f "$db" "$db-wal" "$db-shm"
[ -x /usr/bin/time ] || { echo "startup: GNU time (/usr/bin/time) is missing"; exit 1; }
: > "$db" # a 0-byte file: the first inspect makes the schema in it
"$bin" inspect --db "$db" >/dev/null || { echo "startup: the first inspect failed"; exit 1; }
us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; } # microseconds, without forking
times=() peak=0
for _ in 1 2 3 4 5; do
  start=$(us)
  "$bin" inspect --db "$db" >/dev/null || { echo "startup: inspect failed"; exit 1; }
  times+=($(( $(us) - start )))
  out=$(/usr/bin/time -f 'peak-kb %M' "$bin" inspect --db "$db" 2>&1 >/dev/null) || { echo "startup: inspect under time failed: $out"; exit 1; }
  kb=$(printf '%s\n' "$out" | awk '$1 == "peak-kb" {print $2}' | tail -n 1)
  [[ "$kb" =~ ^[0-9]+$ ]] || { echo "startup: no peak RSS in GNU time's output: $out"; exit 1; }
  [ "$kb" -gt "$peak" ] && peak=$kb
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
printf -v ms '%d.%02d' $((median / 1000)) $((median % 1000 / 10))
printf -v mib '%d.%d' $((peak / 1024)) $((peak % 1024 * 10 / 1024))
echo "startup: aotconsole inspect on an empty store: median $ms ms of 5 (runs: $(printf '%s ' "${times[@]}")µs), peak RSS $mib MiB ($peak KiB); gates 20 ms and 16 MiB (twice the targets)"
rc=0
[ "$median" -le 20000 ] || { echo "startup: the median start is over 20 ms"; rc=1; }
[ "$peak" -le $((16 * 1024)) ] || { echo "startup: the peak RSS is over 16 MiB"; rc=1; }
exit $rc
