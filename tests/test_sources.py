"""Compressed and archived inputs are read by content, as streams (edi837.sources)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi837.screening import Screening, expand_paths
from edi837.sources import open_source, source_size
from edi837.spark import run_context
from edi837.synth.random_batch import generate_file

EDI837 = [sys.executable, "-m", "edi837.cli"]


def screened(paths):
    with Screening(paths, run_context("bcbsma")) as s:
        files = s.prepare()
        return files, [(v.claim.CLM01, v.status) for v in s.verdicts()]


def test_gzip_and_zip_members_read_like_the_plain_files(tmp_path):
    plain = [tmp_path / "a.837", tmp_path / "b.837"]
    for k, p in enumerate(plain):
        generate_file(p, seed=7 + k, claims=25)
    gz = tmp_path / "a.txt"  # gzip by content, whatever the name
    gz.write_bytes(gzip.compress(plain[0].read_bytes()))
    archive = tmp_path / "batch.bin"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(plain[1], "z/b.837")
        zf.writestr(".hidden", b"ignored")
    names = expand_paths([str(gz), str(archive)])
    assert names == [str(gz), f"{archive}!z/b.837"]
    want_files, want = screened([str(p) for p in plain])
    got_files, got = screened(names)
    assert got == want and len(want) == 50
    assert [f.content_hash for f in got_files] == [f.content_hash for f in want_files]


def test_glob_expands_sorted_and_misses_are_kept(tmp_path):
    for name in ("b.837", "a.837", ".c.837"):
        (tmp_path / name).write_text("x")
    assert expand_paths([str(tmp_path / "*.837")]) == [
        str(tmp_path / "a.837"),
        str(tmp_path / "b.837"),
    ]
    missing = str(tmp_path / "none-*.837")
    assert expand_paths([missing]) == [missing]


@pytest.mark.slow
def test_corrupt_gzip_is_one_line_error(tmp_path):
    path = tmp_path / "cut.837.gz"
    generate_file(tmp_path / "x.837", seed=3, claims=40)
    path.write_bytes(gzip.compress((tmp_path / "x.837").read_bytes())[:600])
    done = subprocess.run(
        [*EDI837, "check", "-q", "--no-history", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    errors = [ln for ln in done.stderr.splitlines() if "error" in ln]
    assert errors and "gzip stream corrupt or cut short" in errors[0]
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["files"][0]["readable"] is False


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=3000), level=st.integers(1, 9))
def test_gzip_stream_gives_back_the_bytes(tmp_path, data, level):
    path = tmp_path / "blob"
    path.write_bytes(gzip.compress(data, compresslevel=level))
    with open_source(path) as stream:
        assert stream.read() == data


@pytest.mark.slow
def test_zip_on_standard_input_is_screened_member_by_member(tmp_path):
    """``edi837 check -`` with a ZIP piped in: stdin is spooled once, found to be an
    archive when read, and each member answered as its own input, every claim once."""
    plain = [tmp_path / "a.837", tmp_path / "b.837"]
    for k, p in enumerate(plain):
        generate_file(p, seed=11 + k, claims=6 + k)
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in plain:
            zf.write(p, p.name)
    report = tmp_path / "report.json"
    done = subprocess.run(
        [*EDI837, "check", "-q", "--no-history", "--format", "json", "-o", str(report), "-"],
        input=archive.read_bytes(),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    doc = json.loads(report.read_text())
    assert [f["path"] for f in doc["files"]] == ["-!a.837", "-!b.837"]  # not the spool's
    assert all(f["readable"] for f in doc["files"])
    _, want = screened([str(p) for p in plain])
    assert sorted((c["claim_id"], c["status"]) for c in doc["claims"]) == sorted(want)
    assert len(doc["claims"]) == 13


def test_corrupt_zip_is_one_line_error_exit_2(tmp_path):
    """A file that starts like a ZIP but is none (cut short, garbage after the magic) is
    an unreadable input (exit 2, one line naming it), not an internal error."""
    plain = tmp_path / "a.837"
    generate_file(plain, seed=5, claims=3)
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(plain, plain.name)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[:60])
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 8)
    for bad in (cut, junk):
        done = subprocess.run(
            [*EDI837, "check", "-q", "--no-history", str(bad), str(plain)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        errors = [ln for ln in done.stderr.splitlines() if "error" in ln]
        assert len(errors) == 1 and bad.name in errors[0] and "ZIP" in errors[0], done.stderr
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_sizes_for_progress_are_what_the_reader_counts(tmp_path):
    # A progress bar's total: compressed inputs are sized decompressed (gzip's ISIZE, a
    # ZIP's file_size), so the bar ends at 100% instead of running past it.
    plain = tmp_path / "a.837"
    generate_file(plain, seed=7, claims=40)
    data = plain.read_bytes()
    gz = tmp_path / "a.837.gz"
    gz.write_bytes(gzip.compress(data))
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x/a.837", data)
        zf.writestr("x/b.837", data)
    assert gz.stat().st_size < len(data) / 3
    assert source_size(str(plain)) == len(data)
    assert source_size(str(gz)) == len(data)
    assert source_size(f"{archive}!x/a.837") == len(data)
    assert source_size(str(archive)) == 2 * len(data)
    assert source_size(str(tmp_path / "missing.837")) == 0
    with open_source(gz) as stream:
        assert len(stream.read()) == source_size(str(gz))
