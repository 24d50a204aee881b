"""Spark on object storage: claims/s of Spark ``local-cluster`` reading from a local S3 server.

    python bench/bench_spark_s3.py [--files 10] [--claims 1000] [--write]

A moto S3 server on 127.0.0.1 (a free port) holds the drop-folder benchmark's inbox
(``bench/data/inbox-<files>x<claims>``, generated once); the endpoint and credentials go
to the job through the environment only. The job (``tests/spark_job.py``) runs in a fresh
process on ``local-cluster[2,1,1024]`` -- two worker JVMs, each executor with its own
Python processes, edi837 shipped to them as a zip the way ``spark-submit --py-files``
ships it -- and, for comparison, on ``local[2]``. Timed: the screening (read + judge on
the executors, each task opening its own ``s3://`` object; the answering pass on the
driver, reading the objects again), not the session start.

``--write`` puts the table and the day's-volume estimate into ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dropfolder import inbox  # noqa: E402
from benchlib import machine, update_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "bench-inbound"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def package_zip(folder: Path) -> Path:
    target = folder / "edi837.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((ROOT / "edi837").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(ROOT).as_posix())
    return target


def job(master: str, env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.spark_job", master, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=1800,
        check=False,
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    source = inbox(args.files, args.claims)

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(env)
    try:
        import fsspec

        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        fs.mkdir(BUCKET)
        for path in sorted(source.iterdir()):
            fs.put_file(str(path), f"{BUCKET}/in/{path.name}")
        url = f"s3://{BUCKET}/in/*"
        rows = []
        with tempfile.TemporaryDirectory(prefix="edi837-bench-") as tmp:
            shipped = str(package_zip(Path(tmp)))
            for master, extra in (
                ("local-cluster[2,1,1024]", ["--py-files", shipped]),
                ("local[2]", []),
            ):
                got = job(master, env, *extra, url)
                claims, seconds = len(got["verdicts"]), got["seconds"]
                rows.append((master, claims, seconds))
                print(
                    f"{master}: {claims} claims in {seconds:.2f} s = "
                    f"{claims / seconds:,.0f} claims/s",
                    flush=True,
                )
    finally:
        server.stop()
    cluster_rate = rows[0][1] / rows[0][2]
    per_core_hour = cluster_rate / 2 * 3600
    table = "\n".join(f"| `{m}` | {c:,} | {s:.2f} | {c / s:,.0f} |" for m, c, s in rows)
    markdown = (
        "## Spark on object storage (local S3 server)\n\n"
        f"{args.files} files x {args.claims} claims in a moto S3 bucket on 127.0.0.1, read "
        "as `s3://` URLs by each executor task; edi837 shipped to the local-cluster "
        "executors as a zip (`--py-files`). Seconds: the screening (read + judge on the "
        "executors, answering pass on the driver), session start excluded.\n\n"
        "| master | claims | seconds | claims/s |\n|---|---:|---:|---:|\n"
        f"{table}\n\n"
        f"Estimate: {per_core_hour:,.0f} claims per executor core per hour from the "
        "local-cluster rate (two 1-core executors, the driver answering on the same "
        f"2-core machine, so this is a floor); N executor cores: about "
        f"{per_core_hour:,.0f} x N claims/hour while the answering pass on the driver "
        "keeps up (it reads every object once more, single-threaded; use "
        "`edi837.spark.screen()` to answer on the executors for large N). A day's volume "
        f"of 1 million claims needs about {1_000_000 / per_core_hour:,.1f} core-hours.\n\n"
        f"Machine: {machine()}"
    )
    if args.write:
        update_results("bench_spark_s3", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
