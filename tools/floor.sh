#!/usr/bin/env bash
# Builds the raw-SQLite floor benchmark (tools/floor/floor.c) into tools/bin/floor when it is
# missing or out of date, then runs it; all arguments are passed through (see --help).
# The migrations default to this repository's, so it runs from any directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/tools/floor/floor.c"
bin="$root/tools/bin/floor"

if [[ ! -x "$bin" || "$src" -nt "$bin" || "${BASH_SOURCE[0]}" -nt "$bin" ]]; then
    mkdir -p "$root/tools/bin"
    # Build beside the target and rename, so that concurrent runs never execute a half-written file.
    tmp="$bin.$$.tmp"
    trap 'rm -f "$tmp"' EXIT
    "${CC:-cc}" -O2 -Wall -Wextra -o "$tmp" "$src" -lsqlite3 -lpthread
    mv -f "$tmp" "$bin"
    trap - EXIT
fi

# A later --migrations among the arguments overrides this one.
exec "$bin" --migrations "$root/Migrations" "$@"
