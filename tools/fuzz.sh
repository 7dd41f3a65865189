#!/usr/bin/env bash
# Builds the fuzz targets in tools/fuzz/ with libFuzzer and AddressSanitizer (swiftc
# -sanitize=fuzzer,address) against an instrumented build of the package, and runs each for a
# bounded time. Crashes are written to .build-fuzz/artifacts/; the corpus grows in
# .build-fuzz/corpus/ (seeded from tools/fuzz/seeds/).
#
#   tools/fuzz.sh [--time SECONDS] [--target metadata|rows|cli]... [--jobs N]
#
# --time is per target (default 60). CI runs a short smoke run (.ci/run); RELIABILITY.md records
# longer runs. Exits non-zero when a target crashed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds=60
targets=()
jobs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    *) echo "usage: $0 [--time SECONDS] [--target metadata|rows|cli]... [--jobs N]" >&2; exit 2 ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then targets=(metadata rows cli); fi

scratch="$root/.build-fuzz"
flags=(-sanitize=fuzzer,address)
# The package's modules, instrumented. (An executable target's entry point is renamed
# StreamLogCLI_main in such a build, so its objects link beside libFuzzer's main.)
swift build --package-path "$root" --scratch-path "$scratch" --target StreamLogCLI \
  -Xswiftc "${flags[0]}" >&2
build="$scratch/debug"
objects=()
for module in StreamLog StreamLogMigrations Logging StreamLogCLI StreamLogBenchmarkKit ArgumentParser \
  ArgumentParserToolInfo; do
  objects+=("$build/$module.build"/*.o)
done

mkdir -p "$scratch/bin" "$scratch/artifacts"
status=0
for target in "${targets[@]}"; do
  case "$target" in
    metadata) source="MetadataJSONFuzz.swift" ;;
    rows) source="EventRowFuzz.swift" ;;
    cli) source="CLIArgumentsFuzz.swift" ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
  esac
  binary="$scratch/bin/fuzz-$target"
  swiftc "${flags[@]}" -parse-as-library -g -I "$build/Modules" -I "$root/Sources/StreamLogCSQLite" \
    "$root/tools/fuzz/$source" "${objects[@]}" -lsqlite3 -o "$binary" 2> >(grep -v "Cannot export local symbol" >&2)
  corpus="$scratch/corpus/$target"
  mkdir -p "$corpus"
  echo "fuzzing $target for ${seconds}s" >&2
  parallel=()
  # Several jobs run as child processes, each logging to fuzz-N.log in the working directory.
  if [ "$jobs" -gt 1 ]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi
  if ! (cd "$scratch" && "$binary" "$corpus" "$root/tools/fuzz/seeds/$target" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=4096 -max_len=65536 ${parallel[@]+"${parallel[@]}"} \
    -artifact_prefix="$scratch/artifacts/$target-" -print_final_stats=1 2>"$scratch/$target.log"); then
    status=1
    echo "fuzz-$target FAILED; see $scratch/$target.log and $scratch/artifacts/" >&2
    grep -E "ERROR|Fatal error|==[0-9]+==" "$scratch/$target.log" | head -20 >&2 || true
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE" "$scratch/$target.log" \
    | sed "s/^/$target: /" || true
done
exit $status
