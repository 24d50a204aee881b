"""The files a screening run answers with, as writers of the one answer pass.

The CLI's ``--277ca``, ``--999``, ``--ta1``, ``--accepted``/``--rejected``,
``--annotate`` and ``--parquet`` land here, so the command stays a thin layer. Each is a
``Writer`` (``edi837.writers.base``) fed by ``Screening.answer``: one pass over the
inputs feeds them all, whatever is asked for. Every file is written with
``edi837.atomic`` (temporary file, then rename): a crash never leaves a half-written
277CA, 999, TA1 or split, and a device or FIFO is written directly. Every interchange
written takes a fresh control number from ``edi837.control`` (one sequence for all
kinds). A path that is a directory (or ends in ``/``) gets one output per input file,
named after it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from edi837.atomic import is_special
from edi837.claim.loop2300 import parse_d8
from edi837.control import ControlNumbers
from edi837.errors import Edi837Error
from edi837.screening import FileResult, Screening
from edi837.writers.base import Writer
from edi837.writers.x12out import atomic_open
from edi837.x12.envelope import valid_hhmm

# Each output's writer module is imported when that output is asked for: a run with
# none of them (a report only, the common case) does not pay for their import.
if TYPE_CHECKING:
    from edi837.verdicts import Verdict
    from edi837.writers.ack_277ca import Ack277CA
    from edi837.writers.annotate import Annotator
    from edi837.writers.report import Summary
    from edi837.writers.split import Splitter
    from edi837.x12.tokenizer import Segment

__all__ = ["ControlNumbers", "OutputOptions", "answer_with", "output_writers", "write_outputs"]


@dataclass
class OutputOptions:
    ack_277ca: str | None = None
    ack_999: str | None = None
    accepted: str | None = None
    rejected: str | None = None
    annotate: str | None = None
    sender_id: str | None = None  # our id in the acknowledgments (default: 837's ISA08)
    receiver_id: str | None = None  # the submitter (default: 837's ISA06)
    date_: date | None = None  # acknowledgment date (default: the 837's GS04, not the clock)
    ack_ta1: str | None = None  # TA1s (ISA14 = 1, or an interchange envelope in error)
    received: date | None = None  # 277CA DTP*050: the receipt date used (--received)
    parquet: str | None = None  # folder for the Parquet tables (needs pyarrow)


def _is_dir(path: str) -> bool:
    return path.endswith(("/", os.sep)) or os.path.isdir(path)


def _names(files: list[FileResult]) -> dict[int, str]:
    """An output name per input: its file name, made unique with the input's position
    when two inputs share a name (a/x.837 and b/x.837 must not overwrite each other)."""
    stems = {f.index: _member_name(f.path) if f.path != "-" else "stdin" for f in files}
    if len(set(stems.values())) < len(stems):
        return {i: f"{i + 1:03d}-{stem}" for i, stem in stems.items()}
    return stems


def _member_name(path: str) -> str:
    """A file's name; an archive member's own name (``a.zip!x.837`` -> ``x.837``)."""
    from edi837.sources import MEMBER_SEP

    if MEMBER_SEP in path and not os.path.exists(path):
        path = path.rpartition(MEMBER_SEP)[2]
    return path.rstrip("/").rsplit("/", 1)[-1].rsplit(os.sep, 1)[-1]


def _folder(path: str) -> Path:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise Edi837Error(f"cannot create output folder {path}: {exc.strerror}") from None
    return Path(path)


def _per_file(
    path: str, files: list[FileResult], suffix: str, what: str
) -> Iterator[tuple[FileResult, Path]]:
    """(input, output path) pairs: one per readable input, or the single path."""
    readable = [f for f in files if f.readable]
    if _is_dir(path):
        folder, names = _folder(path), _names(readable)
        for f in readable:
            yield f, folder / f"{names[f.index]}.{suffix}"
    elif len(readable) <= 1:
        for f in readable:
            yield f, Path(path)
    else:
        raise Edi837Error(f"{what}: {len(readable)} inputs need a directory, not the file {path}")


def _ids(f: FileResult, options: OutputOptions) -> dict[str, object]:
    """Envelope of an acknowledgment: ids swapped from the 837's ISA (unless given), the
    837's GS04 as date and GS05 as time (never the clock; ISA09/ISA10 when there is no
    usable GS) and its ISA15, so a test file is acknowledged as a test (T); a usage
    indicator that is neither P nor T is answered as T, never promoted to production."""
    tracker = f.tracker
    isa = tracker.interchanges[0].ISA if tracker and tracker.interchanges else None
    gs = tracker.groups[0].GS if tracker and tracker.groups else None
    sender = options.sender_id or (isa[8].strip() if isa else "") or "EDI837"
    receiver = options.receiver_id or (isa[6].strip() if isa else "") or "SUBMITTER"
    for label, value in (("sender", sender), ("receiver", receiver)):
        if len(value) > 15:
            raise Edi837Error(f"{label} id {value!r} is longer than ISA06/ISA08's 15 characters")
    when = options.date_
    if when is None:
        when = _first_date(gs[4] if gs else "", f"20{isa[9]}" if isa else "")
    time_ = next(
        (t for t in ((gs[5][:4] if gs else ""), (isa[10] if isa else "")) if valid_hhmm(t)), "0000"
    )
    usage = "P" if isa and isa[15] == "P" else "T"
    return {
        "sender_id": sender,
        "receiver_id": receiver,
        "date_": when,
        "time_": time_,
        "usage": usage,
    }


def _first_date(*candidates: str) -> date:
    """The first candidate that is a CCYYMMDD date (2000-01-01 when none is)."""
    for text in candidates:
        try:
            return parse_d8(text)
        except ValueError:
            continue
    return date(2000, 1, 1)


def write_outputs(
    screening: Screening, options: OutputOptions, numbers: ControlNumbers
) -> dict[str, list[str]]:
    """Write every requested output in one answer pass; returns {kind: [paths written]}.
    An output named by URL (``s3://...``) is written locally first and uploaded when
    complete. (A run with a report too passes its ``ReportWriter`` to ``answer_with``.)"""
    return answer_with(screening, options, numbers)[1]


def answer_with(
    screening: Screening,
    options: OutputOptions,
    numbers: ControlNumbers,
    extra: Iterable[Writer] = (),
) -> tuple[Summary, dict[str, list[str]]]:
    """The answer pass with ``extra`` writers (the report) and every output ``options``
    asks for; returns the run's counts and the paths written by kind."""
    import contextlib
    import dataclasses

    from edi837.sources import staged

    kinds = ("ack_277ca", "ack_999", "ack_ta1", "accepted", "rejected", "annotate")
    with contextlib.ExitStack() as stack:
        local = {k: stack.enter_context(staged(getattr(options, k))) for k in kinds}
        if options.parquet:
            local["parquet"] = stack.enter_context(staged(options.parquet, directory=True))
        writers = output_writers(dataclasses.replace(options, **local), numbers)
        summary = screening.answer([*extra, *writers.values()])
        return summary, {kind: w.written for kind, w in writers.items() if w.written}


def output_writers(options: OutputOptions, numbers: ControlNumbers) -> dict[str, Writer]:
    """A writer per requested output (local paths), by kind."""
    writers: dict[str, Writer] = {}
    if options.ack_277ca:
        writers["277ca"] = Ack277CAWriter(options.ack_277ca, options, numbers)
    if options.ack_999:
        writers["999"] = AckFileWriter(options.ack_999, "999", options, numbers)
    if options.ack_ta1:
        writers["ta1"] = AckFileWriter(options.ack_ta1, "ta1", options, numbers)
    if options.accepted or options.rejected:
        writers["split"] = SplitWriter(options, numbers)
    if options.annotate:
        writers["annotate"] = AnnotateWriter(options.annotate)
    if options.parquet:
        writers["parquet"] = ParquetWriter(options.parquet)
    return writers


class _PerFile(Writer):
    """Targets named per input: a folder gets one per readable input, a file path one."""

    def __init__(self, path: str, suffix: str, what: str) -> None:
        super().__init__()
        self.path, self.suffix, self.what = path, suffix, what
        self.targets: dict[int, Path] = {}

    def start(self, files: list[FileResult]) -> None:
        self.targets = {f.index: t for f, t in _per_file(self.path, files, self.suffix, self.what)}


class Ack277CAWriter(_PerFile):
    """277CA: one interchange per input into a folder, else one answering the batch."""

    def __init__(self, path: str, options: OutputOptions, numbers: ControlNumbers) -> None:
        super().__init__(path, "277ca", "--277ca")
        self.options, self.numbers = options, numbers
        self.ack: Ack277CA | None = None
        self.batch = not _is_dir(path)

    def start(self, files: list[FileResult]) -> None:
        readable = [f for f in files if f.readable]
        if not readable:
            return
        if self.batch:  # one 277CA answering every claim of the batch
            self._open(Path(self.path), readable[0])
        else:
            super().start(files)

    def _open(self, target: Path, f: FileResult) -> None:
        from edi837.writers.ack_277ca import Ack277CA

        out = self.open(atomic_open(target))
        self.ack = Ack277CA(
            out,
            **_ids(f, self.options),
            control_number=self.numbers.take("277CA"),
            received=self.options.received,
            line_ending="\n",
        )
        self.written.append(str(target))

    def begin_file(self, file: FileResult) -> None:
        target = None if self.batch else self.targets.get(file.index)
        if target is not None:
            self._open(target, file)

    def claim(self, verdict: Verdict) -> None:
        if self.ack is not None:
            self.ack.add(verdict)

    def end_file(self, file: FileResult) -> None:
        if not self.batch and self.ack is not None:
            self._close()

    def _close(self) -> None:
        ack, self.ack = self.ack, None
        if ack is not None:
            ack.close()
        self.close_outputs()

    def finish(self, summary: Summary) -> None:
        self._close()
        super().finish(summary)

    def abort(self, exc: BaseException) -> None:
        if self.ack is not None:
            self.ack.discard()
        super().abort(exc)


class AckFileWriter(Writer):
    """999 or TA1 files, written from what step 1 found in each input's envelopes: a
    folder gets one file per input, a file path gets them all, one interchange after
    another. A 999 answers an input that has a GS (one without cannot get one: X12
    answers that with a TA1); a TA1 answers ISA14 = 1 or an interchange in error, the
    unreadable inputs whose ISA was read (e.g. ISA12 00401) too."""

    def __init__(
        self, path: str, kind: str, options: OutputOptions, numbers: ControlNumbers
    ) -> None:
        super().__init__()
        self.path, self.kind, self.options, self.numbers = path, kind, options, numbers
        self.out: TextIO | None = None
        self.names: dict[int, str] = {}
        self.due: set[int] = set()

    def _due(self, f: FileResult) -> bool:
        tracker = f.tracker
        if tracker is None:
            return False
        if self.kind == "999":
            return bool(tracker.groups)
        from edi837.writers.ack_ta1 import ta1_needed

        return ta1_needed(tracker)

    def start(self, files: list[FileResult]) -> None:
        due = [f for f in files if self._due(f)]
        self.due = {f.index for f in due}
        if not due:
            return
        if _is_dir(self.path):
            self.folder, self.names = _folder(self.path), _names(due)
        else:
            self.out = self.open(atomic_open(self.path))
            self.written.append(self.path)

    def end_file(self, file: FileResult) -> None:
        if file.index not in self.due:
            return
        if self.out is not None:
            self._answer(self.out, file)
            return
        target = self.folder / f"{self.names[file.index]}.{self.kind}"
        with atomic_open(target) as out:
            self._answer(out, file)
        self.written.append(str(target))

    def _answer(self, out: TextIO, f: FileResult) -> None:
        if self.kind == "999":
            from edi837.writers.ack_999 import write_999

            write_999(out, f.tracker, **_ids(f, self.options),
                      control_number=self.numbers.take("999"), line_ending="\n",
                      refused=str(f.fatal) if f.fatal else "")  # fmt: skip
        else:
            from edi837.writers.ack_ta1 import write_ta1

            write_ta1(out, f.tracker, **_ids(f, self.options),
                      control_number=self.numbers.drawer("TA1"), line_ending="\n")  # fmt: skip


class SplitWriter(Writer):
    """The accepted and rejected 837s, claim segments copied byte for byte."""

    segments = True

    def __init__(self, options: OutputOptions, numbers: ControlNumbers) -> None:
        super().__init__()
        self.paths = {"accepted": options.accepted, "rejected": options.rejected}
        self.numbers = numbers
        self.targets: dict[str, dict[int, Path]] = {}
        self.splitter: Splitter | None = None
        self.open_targets: tuple[Path | None, Path | None] = (None, None)

    def start(self, files: list[FileResult]) -> None:
        for side, path in self.paths.items():
            if path:
                self.targets[side] = {
                    f.index: t for f, t in _per_file(path, files, f"{side}.837", f"--{side}")
                }

    def begin_file(self, file: FileResult) -> None:
        acc = self.targets.get("accepted", {}).get(file.index)
        rej = self.targets.get("rejected", {}).get(file.index)
        if acc is None and rej is None:
            return
        from edi837.writers.split import Splitter

        self.open_targets = (acc, rej)
        self.splitter = Splitter(
            self.open(atomic_open(acc)) if acc is not None else None,
            self.open(atomic_open(rej)) if rej is not None else None,
            # Each interchange written draws a fresh number (never the input's ISA13).
            control_number=self.numbers.drawer("split"),
            line_ending=file.line_ending,
        )

    def segment(self, seg: Segment) -> None:
        if self.splitter is not None:
            self.splitter.feed(seg)

    def claim(self, verdict: Verdict) -> None:
        if self.splitter is not None:
            claim = verdict.claim
            self.splitter.claim(verdict.status, claim.raw, claim.separators)  # type: ignore[arg-type]

    def end_file(self, file: FileResult) -> None:
        splitter, self.splitter = self.splitter, None
        if splitter is None:
            return
        summary = splitter.close()
        self.close_outputs()
        counts = (summary.accepted, summary.rejected)
        for target, count in zip(self.open_targets, counts, strict=True):
            if target is None:
                continue
            if count:
                self.written.append(str(target))
            elif not is_special(target):  # no claim on this side: no file (an empty
                target.unlink(missing_ok=True)  # 837 is not an 837); a device stays


class AnnotateWriter(_PerFile):
    """The input one segment a line, each finding under the segment it names."""

    segments = True

    def __init__(self, path: str) -> None:
        super().__init__(path, "annotated.txt", "--annotate")
        self.annotator: Annotator | None = None

    def begin_file(self, file: FileResult) -> None:
        target = self.targets.get(file.index)
        if target is None:
            return
        from edi837.writers.annotate import Annotator

        self.annotator = Annotator(self.open(atomic_open(target)))
        self.annotator.add_issues(file.issues)
        self.written.append(str(target))

    def segment(self, seg: Segment) -> None:
        if self.annotator is not None:
            self.annotator.segment(seg)

    def claim(self, verdict: Verdict) -> None:
        if self.annotator is not None:
            self.annotator.claim(verdict)

    def end_file(self, file: FileResult) -> None:
        annotator, self.annotator = self.annotator, None
        if annotator is not None:
            annotator.close(file.path)
            self.close_outputs()


class ParquetWriter(Writer):
    """``claims``, ``service_lines`` and ``findings`` Parquet tables (needs pyarrow)."""

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder
        self.tables = None

    def start(self, files: list[FileResult]) -> None:
        from edi837.writers.parquet import ParquetTables  # imported only when asked for

        self.tables = ParquetTables(self.folder)

    def claim(self, verdict: Verdict) -> None:
        self.tables.add(verdict)  # type: ignore[union-attr]

    def finish(self, summary: Summary) -> None:
        if self.tables is not None:
            self.tables.close()
            self.written.append(self.folder)
        super().finish(summary)

    def abort(self, exc: BaseException) -> None:
        if self.tables is not None:
            self.tables.abort()
        super().abort(exc)
