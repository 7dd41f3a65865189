#!/usr/bin/env bash
# Runs the crash harness (Tests/StreamLogTests/Reliability/CrashHarness.swift) for as many rounds
# as asked: producer, fan-out consumer and group-worker processes SIGKILLed at random moments on
# one file, with the file and the workers' logs checked after every round. CI runs 100 rounds as
# part of `swift test`; this is the long soak (RELIABILITY.md records its results).
#
#   tools/crash-harness.sh [--rounds N] [--seed S] [--scratch-path DIR]
#
# Prints the harness's summary line; exits non-zero when an invariant broke (the seed to replay
# it is in the output).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds=1000
seed=""
scratch="$root/.build"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --scratch-path) scratch="$2"; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--seed S] [--scratch-path DIR]" >&2; exit 2 ;;
  esac
done

swift build --build-tests --package-path "$root" --scratch-path "$scratch" >&2
export STREAMLOG_CRASH_ROUNDS="$rounds"
if [ -n "$seed" ]; then export STREAMLOG_CRASH_SEED="$seed"; fi
swift test --skip-build --package-path "$root" --scratch-path "$scratch" \
  --filter 'CrashHarnessTests' 2>&1 | grep -E 'crash harness|✔|✘|passed|failed'
