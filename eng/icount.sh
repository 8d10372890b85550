#!/usr/bin/env bash
# Instructions per operation, the library against the raw SQLite floor, in the NativeAOT build of the benchmark:
# a count, not a time, so it does not move with the machine's load or the binary's code placement.
#
#   dotnet publish bench/NativeAotPersistence.Benchmarks -c Release -r linux-x64 -p:BenchAot=true -o /tmp/bench-aot
#   bash eng/icount.sh /tmp/bench-aot get-miss        # or get-hit, set, get-miss-direct, get-miss-typeinfo
#
# Runs the benchmark's --icount mode three times under valgrind's callgrind (apt-get install valgrind): N floor and N
# library operations, then 2N of one, then 2N of the other; each difference divided by N is that side's instructions per
# operation, printed as a whole and split into managed code, the binary's native code (SQLite and the runtime's native
# part) and the C library, then the managed functions that differ. Valgrind cannot read the .dbg file's DWARF 5, so it
# runs on a copy of the binary beside a symbol-only copy of its .dbg.
set -u
dir=${1:?usage: eng/icount.sh <folder of the published NativeAOT benchmark> [op] [N]}
op=${2:-get-miss}
n=${3:-20000}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$dir/NativeAotPersistence.Benchmarks" "$work/" || exit 2
objcopy --strip-debug "$dir/NativeAotPersistence.Benchmarks.dbg" "$work/NativeAotPersistence.Benchmarks.dbg" || exit 2
nm -n --defined-only "$dir/NativeAotPersistence.Benchmarks.dbg" 2>/dev/null | awk '$2 ~ /[tTwW]/' > "$work/symbols"
for counts in "$n $n" "$((2 * n)) $n" "$n $((2 * n))"; do
  set -- $counts
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1.$2" "$work/NativeAotPersistence.Benchmarks" --icount "$op" "$1" "$2" >/dev/null 2>&1 \
    || { echo "valgrind failed for --icount $op $1 $2"; exit 1; }
done
python3 - "$work" "$n" "$op" <<'PY'
import bisect, re, subprocess, sys
work, n, op = sys.argv[1], int(sys.argv[2]), sys.argv[3]
symbols = []
for line in open(f"{work}/symbols"):
    parts = line.split(None, 2)
    if len(parts) == 3:
        symbols.append((int(parts[0], 16), parts[2].strip()))
symbols.sort()
starts = [a for a, _ in symbols]

def name(address):
    i = bisect.bisect_right(starts, address) - 1
    return symbols[i][1] if i >= 0 else "?"

def load(path):
    # Managed code has no file mapping valgrind knows ([???]); its addresses are the load address (0x108000) plus the
    # symbol's. Anything in the binary's own mapping is its native code; the rest is the C library and the loader.
    out = subprocess.run(["callgrind_annotate", "--threshold=100", path], capture_output=True, text=True).stdout
    parts, functions = {}, {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        count, where = int(m.group(1).replace(",", "")), m.group(2)
        if where.endswith("[???]"):
            part = "managed"
            a = re.match(r"\?\?\?:0x([0-9a-f]+)", where)
            if a:
                key = name(int(a.group(1), 16) - 0x108000)
                functions[key] = functions.get(key, 0) + count
        elif "NativeAotPersistence.Benchmarks]" in where:
            part = "native (SQLite, runtime)"
        else:
            part = "C library, loader"
        parts[part] = parts.get(part, 0) + count
    return parts, functions

(b, bf), (f, ff), (o, of) = (load(f"{work}/cg.{n}.{n}"), load(f"{work}/cg.{2*n}.{n}"), load(f"{work}/cg.{n}.{2*n}"))
print(f"--icount {op}: instructions per operation (callgrind, {n} more of each side)")
print(f"{'':26} {'floor':>8} {'library':>8}")
total_f = total_o = 0
for part in ["managed", "native (SQLite, runtime)", "C library, loader"]:
    fp, opp = (f.get(part, 0) - b.get(part, 0)) / n, (o.get(part, 0) - b.get(part, 0)) / n
    total_f += fp; total_o += opp
    print(f"{part:26} {fp:8.0f} {opp:8.0f}")
print(f"{'total':26} {total_f:8.0f} {total_o:8.0f}   library / floor = {total_o / total_f:.3f}")
rows = []
for key in set(bf) | set(ff) | set(of):
    fp, opp = (ff.get(key, 0) - bf.get(key, 0)) / n, (of.get(key, 0) - bf.get(key, 0)) / n
    if abs(fp) >= 1 or abs(opp) >= 1:
        rows.append((fp, opp, key))
rows.sort(key=lambda r: -max(abs(r[0]), abs(r[1])))
print("\nmanaged functions (floor, library):")
for fp, opp, key in rows[:30]:
    print(f"{fp:8.0f} {opp:8.0f}  {key[:110]}")
PY
