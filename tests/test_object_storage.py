"""Inputs and outputs in object storage, compressed inputs, and Spark on a cluster shape.

A local S3-compatible server (moto's server mode on 127.0.0.1, a free port) stands in for
the payer's bucket; the endpoint and credentials reach edi837 only through the
environment (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``...), as they would in production.
The same batch is screened from the bucket and from local files, on the local engine and
on Spark (``local[2]``, and ``local-cluster[2,1,1024]``: two worker JVMs with their own
Python processes, edi837 shipped to them as a zip the way ``spark-submit --py-files`` does).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from edi837.screening import Screening
from edi837.spark import run_context
from tests.test_dropfolder import build_inbox

pytestmark = pytest.mark.slow  # see README: pytest -m "not slow"

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "payer-inbound"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A moto S3 server, the environment pointing at it, a bucket holding a batch (one
    file plain, one gzipped, two in a ZIP), and the same batch as local files."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        import fsspec

        fsspec.config.conf.clear()
        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        fs.mkdir(BUCKET)
        base = tmp_path_factory.mktemp("batch")
        source, names, feeds = build_inbox(base, files=4, members_per_file=20)
        local = base / "local"
        local.mkdir()
        for k, name in enumerate(names):  # rejections inside each file (SC005/SC006)
            os.replace(source / name, local / f"b{k}.837")
        upload = tmp_path_factory.mktemp("upload")
        shutil.copy(local / "b0.837", upload / "b0.837")
        (upload / "b1.dat").write_bytes(gzip.compress((local / "b1.837").read_bytes()))
        with zipfile.ZipFile(upload / "b23.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(local / "b2.837", "b2.837")
            zf.write(local / "b3.837", "b3.837")
        for p in sorted(upload.iterdir()):
            fs.put_file(str(p), f"{BUCKET}/2026-11/{p.name}")
        auths, providers = feeds[1], feeds[3]
        yield {
            "env": env,
            "local": local,
            "fs": fs,
            "feeds": feeds,
            "auths": auths,
            "providers": providers,
            "local_files": [str(local / f"b{k}.837") for k in range(4)],
        }
    server.stop()


def verdicts(paths: list[str], s3: dict) -> list[list]:
    run = run_context("bcbsma", s3["auths"], s3["providers"], date(2026, 11, 2))
    with Screening(paths, run) as screening:
        screening.prepare()
        return [
            [v.claim.CLM01, v.status, sorted(f.rule for f in v.findings)]
            for v in screening.verdicts()
        ]


def test_bucket_batch_gives_the_local_verdicts(s3):
    """s3:// glob, a gzip object named .dat and a ZIP's members: the same claims, the same
    verdicts, the same content hashes (taken over the decompressed bytes)."""
    from edi837.screening import expand_paths

    names = expand_paths([f"s3://{BUCKET}/2026-11/*"])
    assert names == [
        f"s3://{BUCKET}/2026-11/b0.837",
        f"s3://{BUCKET}/2026-11/b1.dat",
        f"s3://{BUCKET}/2026-11/b23.zip!b2.837",
        f"s3://{BUCKET}/2026-11/b23.zip!b3.837",
    ]
    with (
        Screening(names, run_context("bcbsma")) as remote,
        Screening(s3["local_files"], run_context("bcbsma")) as local,
    ):
        remote_files, local_files = remote.prepare(), local.prepare()
        assert [f.content_hash for f in remote_files] == [f.content_hash for f in local_files]
        assert all(f.readable for f in remote_files)
    want = verdicts(s3["local_files"], s3)
    assert len(want) == 240 and {"accepted", "rejected"} <= {v[1] for v in want}
    assert verdicts(names, s3) == want


def test_check_writes_its_outputs_to_the_bucket(s3, tmp_path):
    """-o, --277ca, --999 and --parquet given as URLs: the objects appear, whole."""
    out = f"s3://{BUCKET}/answers"
    cmd = [
        sys.executable,
        "-m",
        "edi837.cli",
        "check",
        "-q",
        "--no-history",
        "--format",
        "json",
        *s3["feeds"],
        "-o",
        f"{out}/report.json",
        "--277ca",
        f"{out}/acks/",
        "--999",
        f"{out}/acks/",
        "--parquet",
        f"{out}/parquet",
        f"s3://{BUCKET}/2026-11/*",
    ]
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**os.environ, **s3["env"]},
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    fs = s3["fs"]
    fs.invalidate_cache()
    report = json.loads(fs.cat_file(f"{BUCKET}/answers/report.json"))
    assert len(report["claims"]) == 240
    acks = sorted(p.rsplit("/", 1)[1] for p in fs.find(f"{BUCKET}/answers/acks"))
    assert acks == sorted(
        f"{n}.{kind}" for n in ("b0.837", "b1.dat", "b2.837", "b3.837") for kind in ("277ca", "999")
    )
    tables = sorted(p.rsplit("/", 1)[1] for p in fs.find(f"{BUCKET}/answers/parquet"))
    assert tables == ["claims.parquet", "findings.parquet", "service_lines.parquet"]
    assert fs.cat_file(f"{BUCKET}/answers/acks/b0.837.999").startswith(b"ISA*")


def spark_job(master: str, inputs: list[str], s3: dict, *extra: str) -> dict:
    feeds = ["--authorizations", s3["auths"], "--providers", s3["providers"]]
    done = subprocess.run(
        [sys.executable, "-m", "tests.spark_job", master, *feeds, *extra, *inputs],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
        env={**os.environ, **s3["env"]},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_spark_reads_the_bucket(s3):
    """Spark local[2]: executors open the s3:// objects themselves; same verdicts."""
    got = spark_job("local[2]", [f"s3://{BUCKET}/2026-11/*"], s3)
    assert got["verdicts"] == verdicts(s3["local_files"], s3)
    assert all(readable for _, readable, _ in got["files"])


def package_zip(tmp_path: Path) -> Path:
    """edi837 as an archive for --py-files (what a cluster's executors import)."""
    target = tmp_path / "edi837.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((ROOT / "edi837").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(ROOT).as_posix())
    return target


def test_spark_local_cluster_from_the_bucket(s3, tmp_path):
    """local-cluster[2,1,1024]: separate worker JVMs and Python processes, edi837 shipped
    as a zip (imported from it on the executors), inputs read from the bucket."""
    shipped = package_zip(tmp_path)
    got = spark_job(
        "local-cluster[2,1,1024]", [f"s3://{BUCKET}/2026-11/*"], s3, "--py-files", str(shipped)
    )
    assert got["modules"] and all(".zip" in m and "edi837.zip" in m for m in got["modules"])
    assert got["verdicts"] == verdicts(s3["local_files"], s3)
