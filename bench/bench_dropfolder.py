"""Drop-folder throughput: claims/s of `edi837 run` with 1 and 2 workers on one inbox.

    python bench/bench_dropfolder.py [--files 20] [--claims 1000] [--postgres URL] [--write]

Each measurement starts from a fresh copy of the same inbox (generated once, cached in
bench/data/) and a fresh history store (SQLite by default; a PostgreSQL URL with
--postgres, where the workers really share one store). Wall time is from the first
worker's start to the last worker's exit, so start-up costs count.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import DATA, edi837_exe, machine, update_results  # noqa: E402


def inbox(files: int, claims: int) -> Path:
    from edi837.synth import generate_file

    folder = DATA / f"inbox-{files}x{claims}"
    if not folder.exists():
        tmp = folder.with_suffix(".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        for i in range(files):
            generate_file(tmp / f"batch{i:03d}.837", seed=100 + i, claims=claims, form="mixed")
        tmp.rename(folder)
    return folder


def run(workers: int, source: Path, store_url: str | None) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="edi837-bench-") as tmp:
        work = Path(tmp)
        shutil.copytree(source, work / "in")
        url = store_url or f"sqlite:///{work / 'history.db'}"
        cmd = [
            edi837_exe(),
            "run",
            "-q",
            "--inbox",
            str(work / "in"),
            "--outbox",
            str(work / "out"),
            "--history",
            url,
            "--settle",
            "0",
        ]
        start = time.perf_counter()
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
        outs = [p.communicate()[0] for p in procs]
        seconds = time.perf_counter() - start
        claims = sum(json.loads(o.strip().splitlines()[-1])["claims"] for o in outs)
        return seconds, claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--postgres", help="PostgreSQL URL (a fresh schema is used)")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    source = inbox(args.files, args.claims)
    rows = []
    for workers in (1, 2):
        url = None
        if args.postgres:
            sep = "&" if "?" in args.postgres else "?"
            url = f"{args.postgres}{sep}schema=bench_{uuid.uuid4().hex[:10]}"
        seconds, claims = run(workers, source, url)
        rows.append((workers, seconds, claims))
        print(
            f"{workers} worker(s): {claims} claims in {seconds:.2f} s = "
            f"{claims / seconds:,.0f} claims/s",
            flush=True,
        )
    store = "PostgreSQL" if args.postgres else "SQLite"
    table = "\n".join(f"| {w} | {c:,} | {s:.2f} | {c / s:,.0f} |" for w, s, c in rows)
    markdown = (
        f"## Drop folder: `edi837 run` throughput\n\n"
        f"Inbox: {args.files} files x {args.claims} claims (mixed 837P/837I), history on "
        f"{store}; wall time from first start to last exit.\n\n"
        "| workers | claims | seconds | claims/s |\n|---:|---:|---:|---:|\n"
        f"{table}\n\n"
        f"Two workers reach {rows[1][2] / rows[1][1] / (rows[0][2] / rows[0][1]):.2f}x the "
        "rate of one on this 2-core machine. Each file gets a JSON report, a 277CA, a 999 "
        "and two split 837s; the history store serializes workers only while they judge "
        "the same patients.\n\n"
        f"Machine: {machine()}"
    )
    if args.write:
        update_results("bench_dropfolder", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
