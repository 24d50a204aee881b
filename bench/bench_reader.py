"""Reader benchmark: edi837 (CLI and ClaimReader) against pyx12 on one 20,000-claim 837P.

Usage::

    python bench/bench_reader.py [--claims 20000] [--pyx12-claims N] [--write]

On the same generated file (cached in bench/data/) it times, each in a fresh process:

a. ``edi837 check --format json -o FILE.report.json FILE``, end to end (interpreter start,
   reading, rules, judging, the second read that writes the report);
b. ``ClaimReader`` alone (the time of the reading loop inside a worker process, which
   touches CLM01, procedure and service date of every line as the differential test does);
c. pyx12's ``X12ContextReader`` extracting the same fields (``pyx12_claims``).

pyx12 reads about 7,000 segments/s, so (c) on the whole file takes about a minute or two.
``--pyx12-claims N`` times it on the file's first N claims instead and extrapolates
linearly by segment count; the output says which was done. ``--write`` also records the
table in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchlib import (
    SEED,
    Measured,
    count_segments,
    dataset,
    edi837_exe,
    machine,
    mb,
    measure,
    update_results,
    worker_json,
)


def work_ours(path: str, repeat: int) -> dict:
    """Best of ``repeat`` passes (default garbage collector settings, as a library caller
    gets them; the CLI raises the collector's thresholds)."""
    from edi837.claim.builder import ClaimReader

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        reader = ClaimReader(path)
        claims = lines = 0
        for claim in reader:
            claims += 1
            facts = (claim.CLM01, [(ln.procedure, ln.service_date) for ln in claim.lines])
            lines += len(facts[1])
        best = min(best, time.perf_counter() - start)
    return {"seconds": best, "claims": claims, "lines": lines, "segments": reader.segments}


def work_pyx12(path: str, repeat: int = 1) -> dict:
    from edi837.x12.pyx12_adapter import pyx12_claims

    start = time.perf_counter()
    facts = pyx12_claims(path)
    return {"seconds": time.perf_counter() - start, "claims": len(facts),
            "lines": sum(len(lines) for _, lines in facts)}  # fmt: skip


def best_of(cmd: list[str], repeat: int) -> Measured:
    """The fastest of ``repeat`` runs (the machine may be shared); RSS is the largest."""
    runs = [measure(cmd) for _ in range(repeat)]
    fastest = min(runs, key=lambda m: m.seconds)
    fastest.max_rss_kb = max(m.max_rss_kb for m in runs)
    return fastest


def run(claims: int, pyx12_claims: int | None, repeat: int) -> str:
    path = dataset(claims)
    segments, n = count_segments(path)
    assert n == claims, (n, claims)
    size = path.stat().st_size
    me = [sys.executable, str(Path(__file__).resolve())]
    print(f"input: {path} ({size / 1e6:.1f} MB, {claims} claims, {segments} segments)",
          file=sys.stderr)  # fmt: skip

    cli = best_of([edi837_exe(), "check", "-q", "--format", "json",
                   "-o", str(path.with_suffix(".report.json")),
                   str(path)], repeat)  # fmt: skip
    if cli.returncode not in (0, 1):
        raise SystemExit(f"edi837 check failed with exit code {cli.returncode}")
    ours = measure([*me, "--worker", "ours", "--repeat", str(repeat), str(path)])
    ours_run = worker_json(ours)
    assert ours_run["claims"] == claims

    if pyx12_claims and pyx12_claims < claims:
        prefix = dataset(pyx12_claims, prefix_of=claims)
        prefix_segments, prefix_n = count_segments(prefix)
        theirs = measure([*me, "--worker", "pyx12", str(prefix)])
        run_ = worker_json(theirs)
        assert run_["claims"] == prefix_n == pyx12_claims
        scale = segments / prefix_segments
        pyx12_seconds = run_["seconds"] * scale
        pyx12_wall = theirs.seconds * scale
        how = (f"pyx12 timed on the first {pyx12_claims} claims ({prefix_segments} segments) "
               f"and extrapolated linearly by segments (x{scale:.2f}); its RSS is the "
               "prefix run's")  # fmt: skip
    else:
        theirs = measure([*me, "--worker", "pyx12", str(path)])
        run_ = worker_json(theirs)
        assert run_["claims"] == claims and run_["lines"] == ours_run["lines"]
        pyx12_seconds, pyx12_wall = run_["seconds"], theirs.seconds
        how = "pyx12 timed on the whole file"

    rows = [
        ("a. `edi837 check --format json -o FILE.report.json` (process, end to end)", cli.seconds,
         cli.max_rss_kb),
        ("b. `ClaimReader` alone (reading loop, in process)", ours_run["seconds"],
         ours.max_rss_kb),
        ("c. pyx12 `X12ContextReader` (extraction, in process)", pyx12_seconds,
         theirs.max_rss_kb),
    ]  # fmt: skip
    lines = [
        f"Input: 837P, {claims:,} claims, {segments:,} segments, {size / 1e6:.1f} MB "
        f"(`edi837.synth.generate_file(seed={SEED}, form='837P')`). edi837 rows: best of "
        f"{repeat} runs; pyx12: one run. {how}.",
        "",
        "| measurement | seconds | segments/s | claims/s | peak RSS |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, seconds, rss in rows:
        lines.append(f"| {label} | {seconds:.2f} | {segments / seconds:,.0f} | "
                     f"{claims / seconds:,.0f} | {mb(rss)} |")  # fmt: skip
    lines += [
        "",
        f"pyx12 / ClaimReader: **{pyx12_seconds / ours_run['seconds']:.1f}x** slower; "
        f"pyx12 / `edi837 check` end to end: **{pyx12_seconds / cli.seconds:.1f}x** "
        f"(pyx12's worker process took {pyx12_wall:.1f} s wall"
        f"{' extrapolated' if 'extrapolated' in how else ''}, "
        f"the ClaimReader worker {ours.seconds:.1f} s).",
        "",
        f"Machine: {machine()}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument(
        "--pyx12-claims",
        type=int,
        default=None,
        metavar="N",
        help="time pyx12 on the first N claims and extrapolate (default: all)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="edi837 runs, best kept")
    parser.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    parser.add_argument("--worker", choices=["ours", "pyx12"], help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work = work_ours if args.worker == "ours" else work_pyx12
        print(json.dumps(work(args.file, args.repeat)))
        return
    table = run(args.claims, args.pyx12_claims, args.repeat)
    print(table)
    if args.write:
        update_results("bench_reader", "## Reader: edi837 vs pyx12\n\n" + table)


if __name__ == "__main__":
    main()
