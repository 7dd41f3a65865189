#!/usr/bin/env bash
# Runs the C floor (tools/floor.sh) and the library's equivalent workloads (streamlog bench)
# side by side, several times, and prints medians and library/floor ratios as a Markdown table.
#
#   tools/bench.sh [--repeat K] [--quick]
#
# --quick uses smaller counts (for a smoke run); the figures in BENCHMARKS.md use the defaults.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repeat=3
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

swift build -c release --package-path "$root" --product streamlog >&2
bin="$(swift build -c release --package-path "$root" --show-bin-path)/streamlog"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

if [ "$quick" = 1 ]; then big=100000; small=5000; blobs=50; else big=1000000; small=20000; blobs=200; fi

for _ in $(seq "$repeat"); do
  # Interleave floor and library runs so drift on this shared machine hits both alike.
  bash "$root/tools/floor.sh" --workload append --count "$big" --batch 1000 >>"$out"
  "$bin" bench log --workload append --count "$big" --batch 1000 >>"$out"
  bash "$root/tools/floor.sh" --workload append --count "$small" --batch 1 >>"$out"
  "$bin" bench log --workload append --count "$small" --batch 1 >>"$out"
  bash "$root/tools/floor.sh" --workload read --count "$big" >>"$out"
  "$bin" bench log --workload read --count "$big" >>"$out"
  bash "$root/tools/floor.sh" --workload blob --count "$blobs" --size 1048576 >>"$out"
  "$bin" bench log --workload blob --count "$blobs" --size 1048576 >>"$out"
done

python3 - "$out" <<'PY'
import statistics, sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) < 3 or parts[0] not in ("floor", "lib"):
        continue
    fields = dict(p.split("=", 1) for p in parts[2:])
    key = (parts[1], fields.get("batch"), fields.get("size"))
    rows[(parts[0],) + key].append(float(fields["rate"]))
    unit = fields["unit"]
print("| workload | batch | size | C floor (median) | StreamLog (median) | ratio | runs |")
print("|---|---|---|---|---|---|---|")
for (source, workload, batch, size), rates in sorted(rows.items()):
    if source != "floor":
        continue
    lib = rows.get(("lib", workload, batch, size))
    if not lib:
        continue
    f, l = statistics.median(rates), statistics.median(lib)
    print(f"| {workload} | {batch} | {size} | {f:,.0f} | {l:,.0f} | {l / f:.2f}× | {len(rates)}/{len(lib)} |")
PY
