"""Memory benchmark: peak RSS of ``edi837 check`` as the input grows.

Usage::

    python bench/bench_memory.py [--sizes 2000,20000,100000] [--write]

Each size is a generated 837P (cached in bench/data/) screened by ``edi837 check --format
json -o FILE.report.json`` in a fresh process. The reader streams and the judge
spools claim digests to disk, so peak RSS should stay about flat while the file grows fifty-fold.
``--write`` records the table in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse

from benchlib import count_segments, dataset, edi837_exe, machine, mb, measure, update_results


def run(sizes: list[int]) -> str:
    rows = []
    for claims in sizes:
        path = dataset(claims)
        segments, n = count_segments(path)
        assert n == claims
        done = measure([edi837_exe(), "check", "-q", "--format", "json",
                        "-o", str(path.with_suffix(".report.json")),
                        str(path)])  # fmt: skip
        if done.returncode not in (0, 1):
            raise SystemExit(f"edi837 check failed on {path}: exit {done.returncode}")
        rows.append((claims, path.stat().st_size, segments, done.seconds, done.max_rss_kb))
    low, high = min(r[4] for r in rows), max(r[4] for r in rows)
    growth = rows[-1][1] / rows[0][1]
    lines = [
        "| claims | file | segments | seconds | segments/s | peak RSS |",
        "|---:|---:|---:|---:|---:|---:|",
        *(f"| {c:,} | {size / 1e6:.1f} MB | {s:,} | {t:.2f} | {s / t:,.0f} | {mb(rss)} |"
          for c, size, s, t, rss in rows),
        "",
        f"The file grows {growth:.0f}x; peak RSS goes from {mb(low)} to {mb(high)} "
        f"({high / low:.2f}x).",
        "",
        f"Machine: {machine()}.",
    ]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="2000,20000,100000",
        help="comma-separated claim counts (default: 2000,20000,100000)",
    )
    parser.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    args = parser.parse_args()
    table = run([int(s) for s in args.sizes.split(",")])
    print(table)
    if args.write:
        update_results(
            "bench_memory", "## Memory: peak RSS of `edi837 check` by input size\n\n" + table
        )


if __name__ == "__main__":
    main()
