#!/usr/bin/env bash
# Regenerates every figure of BENCHMARKS.md in one run: the C floor (tools/floor.sh) and the
# library (`streamlog bench`) side by side, each measurement repeated, medians and ratios printed
# as Markdown tables.
#
#   tools/bench.sh [--repeat K] [--quick] [--raw FILE]
#
# --quick shrinks every count (a smoke run: figures not comparable); --raw keeps the raw lines.
# The machine is shared and noisy: compare ratios from one run, not absolute rates across runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repeat=3
quick=0
raw=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --raw) raw="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

swift build -c release --package-path "$root" --product streamlog >&2
bin="$(swift build -c release --package-path "$root" --show-bin-path)/streamlog"
out="${raw:-$(mktemp)}"
: >"$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"; [ -n "$raw" ] || rm -f "$out"' EXIT

if [ "$quick" = 1 ]; then
  big=100000; small=5000; blobs=50; stream=50000; stream1=5000; mib=50; kib=2000; jobs1=5000; jobs100=50000
  samples=100; mibsamples=20; idle=1; replay=100000; existing=1000000; growth=100000
else
  big=1000000; small=20000; blobs=200; stream=300000; stream1=20000; mib=300; kib=20000; jobs1=50000; jobs100=300000
  samples=500; mibsamples=100; idle=5; replay=1000000; existing=10000000; growth=1000000
fi
run() { echo "+ $*" >&2; "$@" >>"$out"; }

for i in $(seq "$repeat"); do
  echo "== round $i of $repeat" >&2
  # Log layer, interleaved with the floor so drift on this shared machine hits both alike.
  run bash "$root/tools/floor.sh" --workload append --count "$big" --batch 1000
  run "$bin" bench log --workload append --count "$big" --batch 1000
  run bash "$root/tools/floor.sh" --workload append --count "$small" --batch 1
  run "$bin" bench log --workload append --count "$small" --batch 1
  run bash "$root/tools/floor.sh" --workload read --count "$big"
  run "$bin" bench log --workload read --count "$big"
  run bash "$root/tools/floor.sh" --workload blob --count "$blobs" --size 1048576
  run "$bin" bench log --workload blob --count "$blobs" --size 1048576
  # Streams: producer and consumer in separate processes; every size, batch and placement. The C
  # floor of the store-backed stream (same statements, fork, spinning consumer) runs right before
  # the library's.
  for size in 100 10240 1048576; do
    for batch in 100 1; do
      case "$size/$batch" in
        100/100) count="$stream" ;;
        100/1) count="$stream1" ;;
        10240/*) count="$kib" ;;
        *) count="$mib" ;;
      esac
      run bash "$root/tools/floor.sh" --workload stream --count "$count" --size "$size" --batch "$batch"
      for placement in store inline; do
        run "$bin" bench stream --count "$count" --size "$size" --batch "$batch" --placement "$placement"
      done
    done
  done
  # Latency: one object at a time. A 1 MiB object takes milliseconds to write and read, so those
  # are sent 20 ms apart (2 ms would queue them). The waiting consumer's CPU is measured once.
  # Store-backed objects have a C floor (same statements and eviction, the consumer waiting on
  # inotify as the library's), run right before the library's.
  for placement in store inline; do
    for size in 100 10240 1048576; do
      if [ "$size" = 1048576 ]; then interval=20000 n="$mibsamples"; else interval=2000 n="$samples"; fi
      if [ "$placement/$size" = store/100 ]; then wait=(--idle-seconds "$idle"); else wait=(--idle-seconds 0); fi
      if [ "$placement" = store ]; then
        run bash "$root/tools/floor.sh" --workload latency --size "$size" --count "$n" --interval "$interval"
      fi
      run "$bin" bench latency --size "$size" --placement "$placement" --samples "$n" \
        --interval-microseconds "$interval" "${wait[@]}"
    done
  done
  # Groups.
  run "$bin" bench group --count "$jobs1" --workers 1 --batch 1
  run "$bin" bench group --count "$jobs1" --workers 2 --batch 1
  run "$bin" bench group --count "$jobs100" --workers 1 --batch 100
  run "$bin" bench group --count "$jobs100" --workers 2 --batch 100
done

# Lag query cost and growth: once (long set-up).
run "$bin" bench group --count 1000 --workers 1 --batch 100 --lag
run "$bin" bench growth --existing "$existing" --count "$growth"

# streamlog replay of a long topic to /dev/null: rate and peak RSS.
db="$work/replay.db"
seq 1 "$replay" | "$bin" send t --db "$db" --batch-size 1000 >/dev/null
for i in $(seq "$repeat"); do
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" replay t --db "$db" >/dev/null
  read -r seconds kib <"$work/time"
  python3 -c "import sys; s=float(sys.argv[1]); n=int(sys.argv[2]); print(f'lib replay count={n} seconds={s:.3f} rate={n/max(s,1e-9):.0f} unit=events/s'); print(f'lib replay-rss count={n} seconds={s:.3f} rate={int(sys.argv[3])/1024:.1f} unit=MiB')" "$seconds" "$replay" "$kib" >>"$out"
done

python3 "$root/tools/bench_report.py" "$out"
