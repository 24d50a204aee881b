"""Feed benchmark: load time, peak RSS and lookup speed of a large authorization feed.

Usage::

    python bench/bench_feeds.py [--rows 1000000] [--lookups 200000] [--memory] [--write]

Builds a synthetic authorization feed (cached in bench/data/, seed 7: members hold 1-6
orders, 2,000 ordering NPIs, 1% of the rows repeat the row before them, which the
duplicate check must compare) and, in a fresh process, loads it
with ``AuthorizationFeed.load`` and then looks up random order ids and member ids (half
of them absent). Peak RSS is the child's own (``benchlib.measure``). ``--memory`` keeps
the whole feed in dicts (``MEMORY_ROWS`` raised above the row count), the way every feed
was read before the SQLite index, for comparison. ``--write`` records the table in
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from benchlib import DATA, SEED, machine, mb, measure, update_results

HEADER = (
    "order_id,member_id,ordering_npi,valid_from,valid_to,s_codes,"
    "s0354_max_months,pathway_eligible_id,status,regimen\n"
)


def feed_file(rows: int, seed: int = SEED) -> Path:
    """A generated authorization feed of ``rows`` rows, built once into bench/data/."""
    from edi837.npi import make_npi

    DATA.mkdir(exist_ok=True)
    path = DATA / f"auths-{seed}-{rows}.csv"
    if path.exists():
        return path
    rng = random.Random(seed)
    npis = [make_npi(f"1{rng.randrange(10**8):08d}") for _ in range(2000)]
    codes = ("S0353", "S0354", "S0353|S0354")
    statuses = ("authorized",) * 8 + ("non-authorized", "cancelled")
    start = date(2024, 1, 1)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="", buffering=1 << 20) as out:
        out.write(HEADER)
        member, left, line = 0, 0, ""
        for n in range(rows):
            if line and rng.random() < 0.01:
                out.write(line)  # an identical duplicate: allowed, and checked
                continue
            if left == 0:
                member, left = member + 1, rng.randint(1, 6)
            left -= 1
            valid_from = start + timedelta(days=rng.randrange(900))
            valid_to = valid_from + timedelta(days=rng.randint(30, 365))
            months = str(rng.randint(1, 24)) if rng.random() < 0.3 else ""
            regimen = rng.choice(("", "", "fixed", "indefinite"))
            line = (
                f"ORD{n:08d},M{member:08d},{rng.choice(npis)},{valid_from},{valid_to},"
                f"{rng.choice(codes)},{months},PE{n % 9973},{rng.choice(statuses)},{regimen}\n"
            )
            out.write(line)
    tmp.replace(path)
    return path


def work(path: str, lookups: int, memory: bool) -> dict:
    """Load the feed and look ``lookups`` keys up (in this, a fresh, process)."""
    import edi837.feeds as feeds

    if memory:
        feeds.MEMORY_ROWS = 1 << 40
    start, cpu = time.perf_counter(), time.process_time()
    feed = feeds.AuthorizationFeed.load(path)
    load, load_cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = len(feed)
    rng = random.Random(SEED)
    members = rows // 3
    orders = [f"ORD{rng.randrange(rows * 2):08d}" for _ in range(lookups)]
    people = [f"M{rng.randrange(1, members * 2):08d}" for _ in range(lookups)]
    start = time.perf_counter()
    found = sum(len(feed.for_order(o)) for o in orders)
    by_order = time.perf_counter() - start
    start = time.perf_counter()
    found += sum(len(feed.for_member(m)) for m in people)
    by_member = time.perf_counter() - start
    indexed = feed._index is not None
    feed.close()
    return {
        "load": load,
        "load_cpu": load_cpu,
        "rows": rows,
        "found": found,
        "indexed": indexed,
        "order_us": by_order / lookups * 1e6,
        "member_us": by_member / lookups * 1e6,
    }


def run(rows: int, lookups: int, memory: bool) -> str:
    path = feed_file(rows)
    me = [sys.executable, str(Path(__file__).resolve())]
    flags = ["--memory"] if memory else []
    done = measure([*me, "--worker", "--lookups", str(lookups), *flags, str(path)])
    if done.returncode != 0:
        raise SystemExit(f"worker failed: exit {done.returncode}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(result, f"rss {mb(done.max_rss_kb)}", file=sys.stderr)
    assert result["rows"] == rows, result
    how = "SQLite index" if result["indexed"] else "in memory (dicts)"
    lines = [
        f"Feed: {rows:,} rows, {path.stat().st_size / 1e6:.0f} MB "
        f"(`bench/bench_feeds.py`, seed {SEED}), held {how}; {lookups:,} random lookups "
        "of each kind, about half of the keys absent.",
        "",
        "| rows | load, wall (s) | load, CPU (s) | process wall (s) | peak RSS "
        "| `for_order` (us) | `for_member` (us) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {rows:,} | {result['load']:.2f} | {result['load_cpu']:.2f} | {done.seconds:.2f} "
        f"| {mb(done.max_rss_kb)} | "
        f"{result['order_us']:.1f} | {result['member_us']:.1f} |",
        "",
        f"Machine: {machine()}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--memory", action="store_true", help="keep the feed in dicts")
    parser.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(work(args.file, args.lookups, args.memory)))
        return
    table = run(args.rows, args.lookups, args.memory)
    print(table)
    if args.write:
        section = "bench_feeds_memory" if args.memory else "bench_feeds"
        title = "in memory, as before" if args.memory else "SQLite index"
        update_results(section, f"## Authorization feed: load and lookups ({title})\n\n" + table)


if __name__ == "__main__":
    main()
