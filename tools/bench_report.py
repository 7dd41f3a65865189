#!/usr/bin/env python3
"""Turns the raw lines of tools/bench.sh into the Markdown tables of BENCHMARKS.md.

Each input line: `SOURCE WORKLOAD key=value ... seconds=S rate=R unit=U` with SOURCE `floor` (the
C baseline) or `lib` (StreamLog). Repeated measurements are reduced to their median.
"""
import collections
import statistics
import sys

PROXYSTORE = {  # ProxyStore 1.1 (Python) on this machine class, quoted from the issue.
    ("100", "1", "store"): "3.1 k obj/s",
    ("100", "100", "store"): "8.0 k obj/s (best config: 98 k)",
    ("1048576", "1", "store"): "≈ 400 MB/s",
}


def parse(path):
    rows = collections.defaultdict(list)
    for line in open(path):
        parts = line.split()
        if len(parts) < 3 or parts[0] not in ("floor", "lib"):
            continue
        fields = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
        rate, unit = float(fields.pop("rate")), fields.pop("unit")
        fields.pop("seconds", None)
        key = (parts[0], parts[1], tuple(sorted(fields.items())))
        rows[key].append((rate, unit))
    return {k: (statistics.median(r for r, _ in v), v[0][1], len(v)) for k, v in rows.items()}


def get(rows, source, workload, absent=(), **fields):
    """The row with these field values and none of the `absent` fields."""
    for (s, w, f), value in rows.items():
        if (s == source and w == workload and all(dict(f).get(k) == str(v) for k, v in fields.items())
                and not any(k in dict(f) for k in absent)):
            return value
    return None


def fmt(value):
    if value is None:
        return "—"
    rate, unit, _ = value
    return f"{rate:,.0f} {unit}" if rate >= 100 else f"{rate:.1f} {unit}"


def main(path):
    rows = parse(path)
    print("### Log layer vs the C floor (same schema, statements and batches)\n")
    print("| measure | C floor | StreamLog | ratio | target |")
    print("|---|---|---|---|---|")
    for label, workload, fields, target in [
        ("append 100 B, batch 1000", "append", {"batch": 1000}, "≥ 0.8×"),
        ("append 100 B, batch 1 (commit per row)", "append", {"batch": 1}, ""),
        ("cursor read 100 B (borrowed rows)", "read", {}, "≥ 0.8×"),
        ("1 MiB object put", "blob-put", {}, ""),
        ("1 MiB object get", "blob-get", {}, ""),
    ]:
        f, l = get(rows, "floor", workload, **fields), get(rows, "lib", workload, **fields)
        ratio = f"{l[0] / f[0]:.2f}×" if f and l else "—"
        print(f"| {label} | {fmt(f)} | {fmt(l)} | {ratio} | {target} |")
    events = get(rows, "lib", "read-events")
    floor_read = get(rows, "floor", "read")
    if events and floor_read:
        print(f"| cursor read 100 B (an `Event` value per row) | {fmt(floor_read)} | {fmt(events)} | "
              f"{events[0] / floor_read[0]:.2f}× | |")

    print("\n### Producer → consumer in separate processes\n")
    print("| object | batch | placement | StreamLog | MB/s | consumer RSS | vs C floor | ProxyStore 1.1 |")
    print("|---|---|---|---|---|---|---|---|")
    floor_b1 = get(rows, "floor", "append", batch=1)
    floor_blob = get(rows, "floor", "blob-put")
    for size, batch, placement in [(size, batch, placement) for size in ("100", "10240", "1048576")
                                   for batch in ("100", "1") for placement in ("store", "inline")]:
        s = get(rows, "lib", "stream", size=size, batch=batch, placement=placement)
        mb = get(rows, "lib", "stream-mb", size=size, batch=batch, placement=placement)
        rss = get(rows, "lib", "consumer-rss", size=size, batch=batch, placement=placement)
        versus = []
        # The C floor of the same stream (tools/floor.sh --workload stream: same statements, two
        # processes, evicting); only store placement has one.
        floor_stream = get(rows, "floor", "stream", absent=("evict",), size=size, batch=batch,
                           placement="store") if placement == "store" else None
        if s and floor_stream:
            versus.append(f"{s[0] / floor_stream[0]:.2f}× C stream floor")
        if batch == "1" and size == "100" and s and floor_b1:
            versus.append(f"{s[0] / floor_b1[0]:.2f}× commit-per-row")
        if size == "1048576" and placement == "store" and mb and floor_blob:
            versus.append(f"{mb[0] / floor_blob[0]:.2f}× blob put")
        versus = "; ".join(versus)
        label = {"100": "100 B", "10240": "10 KiB", "1048576": "1 MiB"}[size]
        print(f"| {label} | {batch} | {placement} | {fmt(s)} | {fmt(mb)} | {fmt(rss)} | {versus} | "
              f"{PROXYSTORE.get((size, batch, placement), '')} |")

    print("\n### Latency across processes (unloaded: one object at a time) and idle CPU\n")
    print("| object | placement | one every | p50 | p99 | C floor p50 / p99 | p50 vs C floor | ProxyStore 1.1 p50 |")
    print("|---|---|---|---|---|---|---|---|")
    for placement in ("store", "inline"):
        for size in ("100", "10240", "1048576"):
            p50 = get(rows, "lib", "latency-p50", size=size, placement=placement)
            p99 = get(rows, "lib", "latency-p99", size=size, placement=placement)
            # The C floor of the same store-backed stream, its consumer waiting on inotify
            # (tools/floor.sh --workload latency); inline objects have none.
            floor50 = get(rows, "floor", "latency-p50", absent=("evict",), size=size, placement=placement, wait="inotify")
            floor99 = get(rows, "floor", "latency-p99", absent=("evict",), size=size, placement=placement, wait="inotify")
            floor = f"{fmt(floor50)} / {fmt(floor99)}" if floor50 and floor99 else ""
            versus = f"{p50[0] / floor50[0]:.2f}×" if p50 and floor50 else ""
            interval = next((dict(f)["interval_us"] for (src, w, f) in rows
                             if src == "lib" and w == "latency-p50" and dict(f).get("size") == size
                             and dict(f).get("placement") == placement), None)
            every = f"{int(interval) / 1000:g} ms" if interval else "—"
            label = {"100": "100 B", "10240": "10 KiB", "1048576": "1 MiB"}[size]
            quoted = "60–400 us" if size == "100" and placement == "store" else ""
            print(f"| {label} | {placement} | {every} | {fmt(p50)} | {fmt(p99)} | {floor} | {versus} | {quoted} |")
    print(f"\nA consumer waiting on an empty topic: {fmt(get(rows, 'lib', 'idle-cpu'))} of a core.")

    print("\n### Groups: claim + ack, worker processes\n")
    print("| workers | batch | jobs/s | target |")
    print("|---|---|---|---|")
    for workers, batch, target in [("1", "1", ""), ("2", "1", "≥ 20 k/s"), ("1", "100", ""), ("2", "100", "≥ 100 k/s")]:
        print(f"| {workers} | {batch} | {fmt(get(rows, 'lib', 'group', workers=workers, batch=batch))} | {target} |")
    print(f"\nLag query (durable consumer halfway through 1 M events): {fmt(get(rows, 'lib', 'lag-query'))}.")

    print("\n### `streamlog replay` to /dev/null, and growth\n")
    print("| measure | figure | target |")
    print("|---|---|---|")
    print(f"| replay rate | {fmt(get(rows, 'lib', 'replay'))} | ≥ 500 k events/s |")
    print(f"| replay peak RSS | {fmt(get(rows, 'lib', 'replay-rss'))} | ≤ 64 MB |")
    for workload in ("growth-append", "growth-read"):
        values = sorted(((int(dict(f)["existing"]), v) for (s, w, f), v in rows.items() if s == "lib" and w == workload))
        if len(values) == 2:
            (_, empty), (n, full) = values
            print(f"| {workload[7:]} with {n:,} events already vs empty | {fmt(full)} vs {fmt(empty)} = "
                  f"{full[0] / empty[0]:.2f}× | ≥ 0.9× |")


if __name__ == "__main__":
    main(sys.argv[1])
