"""Write the acknowledgments and files a screening run answers with.

The CLI's ``--277ca``, ``--999``, ``--ta1``, ``--accepted``/``--rejected`` and
``--annotate`` land here, so the command stays a thin layer. Each output takes its own
streaming pass over the inputs and is written with ``edi837.atomic`` (temporary file, then
rename): a crash never leaves a half-written 277CA, 999, TA1 or split, and a device or
FIFO is written directly. Every interchange written takes a fresh control number from
``edi837.control`` (one sequence for all kinds). A path that is a directory (or ends in
``/``) gets one output per input file, named after it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from edi837.atomic import is_special
from edi837.claim.loop2300 import parse_d8
from edi837.control import ControlNumbers
from edi837.errors import Edi837Error
from edi837.screening import FileResult, Screening
from edi837.writers.ack_277ca import write_277ca
from edi837.writers.ack_999 import write_999
from edi837.writers.ack_ta1 import ta1_needed, write_ta1
from edi837.writers.annotate import write_annotated
from edi837.writers.split import write_split
from edi837.writers.x12out import atomic_open
from edi837.x12.envelope import valid_hhmm

__all__ = ["ControlNumbers", "OutputOptions", "write_outputs"]


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
    """Write every requested output; returns {kind: [paths written]}. An output named by
    URL (``s3://...``) is written locally first and uploaded when complete."""
    import contextlib
    import dataclasses

    from edi837.sources import staged

    kinds = ("ack_277ca", "ack_999", "accepted", "rejected", "annotate")
    with contextlib.ExitStack() as stack:
        local = {k: stack.enter_context(staged(getattr(options, k))) for k in kinds}
        return _write_outputs(screening, dataclasses.replace(options, **local), numbers)


def _write_outputs(
    screening: Screening, options: OutputOptions, numbers: ControlNumbers
) -> dict[str, list[str]]:
    files = screening.prepare()
    written: dict[str, list[str]] = {}
    if options.ack_277ca:
        written["277ca"] = _write_277ca(screening, files, options, numbers)
    if options.ack_999:
        written["999"] = _write_999(files, options, numbers)
    if options.ack_ta1:
        written["ta1"] = _write_ta1(files, options, numbers)
    if options.accepted or options.rejected:
        written["split"] = _write_split(screening, files, options, numbers)
    if options.annotate:
        written["annotate"] = []
        for f, target in _per_file(options.annotate, files, "annotated.txt", "--annotate"):
            with atomic_open(target) as out:
                write_annotated(
                    f.local_path, screening.verdicts(f), out, issues=f.issues, name=f.path
                )
            written["annotate"].append(str(target))
    return written


def _write_277ca(
    screening: Screening, files: list[FileResult], options: OutputOptions, numbers: ControlNumbers
) -> list[str]:
    out_paths = []
    readable = [f for f in files if f.readable]
    if not readable:
        return out_paths
    if _is_dir(options.ack_277ca):
        pairs = list(_per_file(options.ack_277ca, files, "277ca", "--277ca"))
    else:  # one 277CA answering every claim of the batch
        pairs = [(None, Path(options.ack_277ca))]
    for f, target in pairs:
        with atomic_open(target) as out:
            write_277ca(
                out,
                screening.verdicts(f),
                **_ids(f or readable[0], options),
                control_number=numbers.take("277CA"),
                received=options.received,
                line_ending="\n",
            )
        out_paths.append(str(target))
    return out_paths


def _write_999(
    files: list[FileResult], options: OutputOptions, numbers: ControlNumbers
) -> list[str]:
    """One 999 per input that has an envelope to answer (a file with no GS cannot get
    one: X12 answers that with a TA1, see ``--ta1``)."""
    answerable = [f for f in files if f.tracker is not None and f.tracker.groups]
    return _write_acks(
        options.ack_999,  # type: ignore[arg-type]
        answerable,
        "999",
        write_999,
        options,
        lambda: numbers.take("999"),
    )


def _write_acks(
    path: str,
    files: list[FileResult],
    suffix: str,
    write: Callable[..., object],
    options: OutputOptions,
    control_number: Callable[[], object],
) -> list[str]:
    """Acknowledgments of one kind (999, TA1): a folder gets one file per input, a file
    path gets them all, one interchange after another."""
    if not files:
        return []

    def answer(out: object, f: FileResult) -> None:
        write(out, f.tracker, **_ids(f, options), control_number=control_number(), line_ending="\n")

    if not _is_dir(path):
        with atomic_open(path) as out:
            for f in files:
                answer(out, f)
        return [path]
    folder, names = _folder(path), _names(files)
    written = []
    for f in files:
        target = folder / f"{names[f.index]}.{suffix}"
        with atomic_open(target) as out:
            answer(out, f)
        written.append(str(target))
    return written


def _write_split(
    screening: Screening, files: list[FileResult], options: OutputOptions, numbers: ControlNumbers
) -> list[str]:
    out_paths: list[str] = []
    targets: dict[str, dict[int, Path]] = {}
    for side, path in (("accepted", options.accepted), ("rejected", options.rejected)):
        if path:
            targets[side] = {
                f.index: t for f, t in _per_file(path, files, f"{side}.837", f"--{side}")
            }
    for f in files:
        if not f.readable:
            continue
        statuses = {v.claim.position.ordinal: v.status for v in screening.verdicts(f)}
        acc = targets.get("accepted", {}).get(f.index)
        rej = targets.get("rejected", {}).get(f.index)
        with _maybe_atomic(acc) as acc_out, _maybe_atomic(rej) as rej_out:
            # Each interchange written draws a fresh number (never the input's ISA13).
            summary = write_split(
                f.local_path,
                statuses,
                acc_out,
                rej_out,
                control_number=numbers.drawer("split"),
                name=f.path,
            )
        if summary.unmatched or summary.missing:
            raise Edi837Error(
                f"{f.path}: split could not place claims at segments "
                f"{summary.unmatched or summary.missing}"
            )
        for target, count in ((acc, summary.accepted), (rej, summary.rejected)):
            if target is None:
                continue
            if count:
                out_paths.append(str(target))
            elif not is_special(target):  # no claim on this side: no file (an empty
                target.unlink(missing_ok=True)  # 837 is not an 837); a device stays
    return out_paths


def _write_ta1(
    files: list[FileResult], options: OutputOptions, numbers: ControlNumbers
) -> list[str]:
    """A TA1 file per input whose interchanges need one (ISA14 = 1, or an envelope issue);
    unreadable inputs whose ISA was read (e.g. ISA12 00401) are answered too."""
    due = [f for f in files if f.tracker is not None and ta1_needed(f.tracker)]
    return _write_acks(
        options.ack_ta1,  # type: ignore[arg-type]
        due,
        "ta1",
        write_ta1,
        options,
        lambda: numbers.drawer("TA1"),
    )


class _maybe_atomic:
    """atomic_open for a path, or a no-op context giving None."""

    def __init__(self, path: Path | None) -> None:
        self.cm = atomic_open(path) if path is not None else None

    def __enter__(self):
        return self.cm.__enter__() if self.cm is not None else None

    def __exit__(self, *exc):
        return self.cm.__exit__(*exc) if self.cm is not None else False
