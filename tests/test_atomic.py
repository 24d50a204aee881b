"""Outputs appear whole or not at all, and a device, FIFO or socket is never renamed over."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi837.atomic import atomic_open, atomic_path, is_special
from edi837.cli import main
from edi837.synth.random_batch import generate_file
from edi837.writers.x12out import atomic_open as x12_atomic_open

EXE = Path(sys.executable).with_name("edi837")


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("atomic") / "claims.837"
    generate_file(path, seed=11, claims=40)
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_whole_file_creating_parents(tmp_path) -> None:
    target = tmp_path / "a" / "b" / "out.txt"
    with atomic_open(target) as out:
        out.write("done\n")
    assert target.read_text() == "done\n"
    assert _leftovers(target.parent) == []


def test_failure_leaves_old_file_and_no_temporary(tmp_path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as out:
        out.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_atomic_path_failure_removes_temporary(tmp_path) -> None:
    target = tmp_path / "t.bin"
    with pytest.raises(ValueError), atomic_path(target) as tmp:
        Path(tmp).write_bytes(b"x")
        raise ValueError
    assert not target.exists() and os.listdir(tmp_path) == []


def test_x12out_alias_writes_latin1(tmp_path) -> None:
    target = tmp_path / "x.837"
    with x12_atomic_open(target) as out:
        out.write("NM1*\xe9~\r\n")
    assert target.read_bytes() == b"NM1*\xe9~\r\n"


def _read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def reader() -> None:
        with open(path, "rb") as fifo:
            into.append(fifo.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


def test_fifo_target_is_written_not_replaced(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = _read_fifo(fifo, got)
    with atomic_open(fifo) as out:
        out.write("through the pipe")
    thread.join(10)
    assert got == [b"through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


@pytest.mark.slow
def test_check_report_and_277ca_into_fifos(tmp_path, batch) -> None:
    report, ack = tmp_path / "report.fifo", tmp_path / "ack.fifo"
    os.mkfifo(report)
    os.mkfifo(ack)
    got_report: list[bytes] = []
    got_ack: list[bytes] = []
    threads = [_read_fifo(report, got_report), _read_fifo(ack, got_ack)]
    proc = subprocess.run(
        [
            str(EXE),
            "check",
            "-q",
            "--no-history",
            "--format",
            "json",
            "-o",
            str(report),
            "--277ca",
            str(ack),
            "--control-number",
            "5",
            str(batch),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    for t in threads:
        t.join(10)
    assert proc.returncode in (0, 1), proc.stderr
    assert len(json.loads(got_report[0])["claims"]) == 40
    assert got_ack[0].startswith(b"ISA*")
    assert all(stat.S_ISFIFO(os.stat(p).st_mode) for p in (report, ack))


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_private_char_device_stays_a_device(tmp_path, batch) -> None:
    null = os.stat("/dev/null")
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, null.st_rdev)
    assert is_special(device)
    proc = subprocess.run(
        [
            str(EXE),
            "check",
            "-q",
            "--no-history",
            "-o",
            str(device),
            "--277ca",
            str(device),
            "--999",
            str(device),
            "--accepted",
            str(device),
            "--control-number",
            "1",
            str(batch),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:  # some sandboxes refuse to open device nodes made in them (ENXIO, EPERM)
        with open(device, "w"):
            usable = True
    except OSError:
        usable = False
    if usable:
        assert proc.returncode in (0, 1), proc.stderr
    else:  # a one-line error, and still no regular file in the device's place
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    mode = os.stat(device)
    assert stat.S_ISCHR(mode.st_mode) and mode.st_rdev == null.st_rdev
    assert os.listdir(tmp_path) == ["null"]


def test_dash_is_standard_output(batch) -> None:
    result = CliRunner().invoke(
        main, ["check", "-q", "--no-history", "--format", "json", "-o", "-", str(batch)]
    )
    assert result.exit_code in (0, 1), result.output
    assert len(json.loads(result.stdout)["claims"]) == 40


@pytest.mark.slow
def test_four_concurrent_runs_leave_one_complete_report(tmp_path, batch) -> None:
    target = tmp_path / "same.json"
    procs = [
        subprocess.Popen(
            [
                str(EXE),
                "check",
                "-q",
                "--no-history",
                "--format",
                "json",
                "-o",
                str(target),
                str(batch),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode in (0, 1), err
    report = json.loads(target.read_text())
    assert len(report["claims"]) == 40
    assert os.listdir(tmp_path) == ["same.json"]


def test_277ca_into_missing_folder_is_created(tmp_path, batch) -> None:
    ack = tmp_path / "missing" / "deeper" / "x.277"
    result = CliRunner().invoke(
        main,
        [
            "check",
            "-q",
            "--no-history",
            "-o",
            "-",
            "--277ca",
            str(ack),
            "--control-number",
            "1",
            str(batch),
        ],
    )
    assert result.exit_code in (0, 1), result.output
    assert ack.read_text().startswith("ISA*")


def test_generate_into_missing_folder(tmp_path) -> None:
    target = tmp_path / "new" / "g.837"
    result = CliRunner().invoke(main, ["generate", "--claims", "3", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("ISA*")
