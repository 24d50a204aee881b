"""The answer pass: one read to judge, one to answer, whatever outputs are asked for.

Every output (report, 277CA, 999, TA1, splits, annotated copy, Parquet) is a writer of
the one answer pass (``edi837.writers.base``), so an input is opened at most twice per
run. The count is taken with an audit hook (``open`` events) in a child process, so it
sees every open, whoever makes it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edi837.checking import check
from edi837.outputs import OutputOptions
from edi837.rules.context import RunContext
from edi837.screening import Screening
from edi837.store.base import MemoryHistory
from edi837.synth.random_batch import generate_file
from edi837.writers.base import Writer
from edi837.writers.report import JsonReport

_COUNT_OPENS = """
import os, sys
target = os.path.realpath(sys.argv[1])
opens = []
busy = []
def hook(event, args):
    if event != "open" or busy or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    busy.append(1)
    try:
        if os.path.realpath(os.fsdecode(args[0])) == target:
            opens.append(args[1])
    finally:
        busy.pop()
sys.addaudithook(hook)
from edi837.cli import main
try:
    main(sys.argv[2:])
finally:
    print("OPENS", len(opens), file=sys.stderr)
"""


def _every_output(tmp: Path) -> list[str]:
    out = tmp / "out"
    return [
        "--format", "json", "-o", str(out / "report.json"),
        "--277ca", str(out / "x.277ca"), "--999", str(out / "x.999"),
        "--ta1", str(out / "x.ta1"),
        "--accepted", str(out / "acc.837"), "--rejected", str(out / "rej.837"),
        "--annotate", str(out / "x.annotated.txt"),
        "--parquet", str(out / "parquet"),
        "--authorizations", "fixtures/sample/authorizations.csv",
        "--providers", "fixtures/sample/providers.csv",
    ]  # fmt: skip


def _opens(tmp_path: Path, source: Path, *options: str) -> tuple[int, subprocess.CompletedProcess]:
    env = {**os.environ, "EDI837_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-c", _COUNT_OPENS, str(source), "check", *options, str(source)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("OPENS "))
    return int(line.split()[1]), proc


@pytest.mark.slow
@pytest.mark.parametrize("history", [[], ["--no-history"]])
def test_every_output_reads_each_input_twice(tmp_path: Path, history: list[str]) -> None:
    pytest.importorskip("pyarrow")
    source = tmp_path / "batch.837"
    generate_file(source, seed=13, claims=60, form="mixed")
    opens, proc = _opens(tmp_path, source, *_every_output(tmp_path), *history)
    assert proc.returncode in (0, 1), proc.stderr
    assert opens == 2, proc.stderr
    out = tmp_path / "out"
    report = json.loads((out / "report.json").read_text())
    assert len(report["claims"]) == 60
    for name in ("x.277ca", "x.999", "x.annotated.txt"):
        assert (out / name).stat().st_size > 0, name
    # The split sides together hold every claim, once.
    split = [
        (out / side).read_text(encoding="latin-1").count("CLM*")
        for side in ("acc.837", "rej.837")
        if (out / side).exists()
    ]
    assert sum(split) == 60
    statuses = [c["status"] for c in report["claims"]]
    assert split == [n for n in (statuses.count("accepted"), statuses.count("rejected")) if n]


@pytest.mark.slow
def test_a_single_output_reads_twice_too(tmp_path: Path) -> None:
    source = tmp_path / "batch.837"
    generate_file(source, seed=14, claims=20, form="837P")
    opens, proc = _opens(tmp_path, source, "--format", "text", "-o", str(tmp_path / "r.txt"))
    assert proc.returncode in (0, 1), proc.stderr
    assert opens == 2


class _Events(Writer):
    """Records the event order the answer pass promises."""

    segments = True

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, int]] = []

    def start(self, files):
        self.events.append(("start", len(files)))

    def begin_file(self, file):
        self.events.append(("begin", file.index))

    def segment(self, seg):
        self.events.append(("segment", seg.ordinal))

    def claim(self, verdict):
        for _, ordinal, _ in verdict.claim.raw:
            self.events.append(("claim", ordinal))

    def end_file(self, file):
        self.events.append(("end", file.index))

    def finish(self, summary):
        self.events.append(("finish", summary.claims))
        super().finish(summary)


def test_writers_see_every_segment_once_in_file_order(tmp_path: Path) -> None:
    source = tmp_path / "two.837"
    generate_file(source, seed=3, claims=25, form="mixed", interchanges=2)
    writer = _Events()
    run = RunContext.build("bcbsma")
    with Screening([source], run, MemoryHistory()) as screening:
        summary = screening.answer([writer])
        segments = screening.files[0].segments
    kinds = [k for k, _ in writer.events]
    assert kinds[:2] == ["start", "begin"] and kinds[-2:] == ["end", "finish"]
    ordinals = [n for k, n in writer.events if k in ("segment", "claim")]
    assert ordinals == list(range(1, segments + 1))  # every segment, once, in order
    assert summary.claims == 25 == writer.events[-1][1]


class _Fails(Writer):
    def claim(self, verdict):
        raise RuntimeError("disk full")


def test_a_failing_writer_leaves_no_output_in_place(tmp_path: Path) -> None:
    source = tmp_path / "b.837"
    generate_file(source, seed=5, claims=10, form="837P")
    out = tmp_path / "out"
    options = OutputOptions(
        ack_277ca=str(out / "x.277ca"),
        accepted=str(out / "acc.837"),
        rejected=str(out / "rej.837"),
        annotate=str(out / "x.txt"),
    )
    out.mkdir()
    with open(out / "report.json", "w") as report, pytest.raises(RuntimeError, match="disk full"):
        check(
            [source],
            RunContext.build("bcbsma"),
            history=MemoryHistory(),
            report=JsonReport(report),
            outputs=options,
            writers=[_Fails()],
        )
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]  # no temp files left


def test_the_cli_offers_every_report_format() -> None:
    from edi837.cli_options import REPORT_FORMATS
    from edi837.writers.report import FORMATS

    assert sorted([*FORMATS, "html"]) == list(REPORT_FORMATS)


@pytest.mark.slow
def test_spooled_findings_give_the_same_verdicts(tmp_path: Path, monkeypatch) -> None:
    """Past ``LIMIT`` claims with findings, the judge's findings go to disk and come
    back in claim order: the verdicts are the same as when they stay in memory."""
    paths = []
    for seed in (21, 22):
        path = tmp_path / f"b{seed}.837"
        generate_file(path, seed=seed, claims=150, form="mixed")
        paths.append(path)

    def verdicts() -> tuple[list[tuple[str, str, tuple[str, ...]]], bool]:
        run = RunContext.build("bcbsma")
        with Screening(paths, run, MemoryHistory()) as screening:
            out = [
                (v.claim.CLM01, v.status, tuple(f.rule for f in v.findings))
                for v in screening.verdicts()
            ]
            spooled = screening.judged._db is not None
            assert len(screening.judged) > 1  # timeline findings of several claims
        return out, spooled

    in_memory, spooled = verdicts()
    assert not spooled
    monkeypatch.setattr("edi837.judged.LIMIT", 1)
    on_disk, spooled = verdicts()
    assert spooled
    assert on_disk == in_memory
