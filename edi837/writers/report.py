"""Report formats: one small class per format, all fed the same verdict stream.

A report is written as the claims stream by: ``start`` (once the batch has been read and
judged, so the file list is known), ``claim`` per verdict, ``finish`` with the summary.
The JSON report (schema ``edi837.report/1``) is the stable machine interface; see
README.md for the schema. Every format carries the run's notes (what was not checked,
e.g. no authorization feed), so an accepted claim never reads as fully checked when it
was not: the JSON report's ``notes``, the JSONL ``run`` record, the text and concise
headers, the CSV ``notes`` column.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

from edi837.screening import FileResult
from edi837.stc_codes import label
from edi837.verdicts import Finding, Severity, Verdict
from edi837.writers.base import Writer
from edi837.writers.claim_json import claim_json_text

SCHEMA = "edi837.report/1"


@dataclass(slots=True)
class Summary:
    """Counts over a run; every claim that entered is in exactly one of accepted/rejected."""

    claims: int = 0
    accepted: int = 0
    rejected: int = 0
    s_code_lines: int = 0
    expected_reimbursement: Decimal = Decimal(0)
    by_rule: Counter[str] = field(default_factory=Counter)
    files: int = 0
    unreadable_files: int = 0

    def add(self, verdict: Verdict) -> None:
        self.count(
            verdict.status,
            sum(1 for ln in verdict.claim.lines if ln.is_s_code),
            sum(verdict.reimbursement.values(), Decimal(0)),
            [f.rule for f in verdict.findings],
        )

    def count(
        self, status: str, s_code_lines: int, reimbursement: Decimal, rules: Iterable[str]
    ) -> None:
        self.claims += 1
        if status == "accepted":
            self.accepted += 1
        else:
            self.rejected += 1
        self.s_code_lines += s_code_lines
        self.expected_reimbursement += reimbursement
        self.by_rule.update(rules)

    def to_json(self) -> dict[str, object]:
        return {
            "files": self.files,
            "unreadable_files": self.unreadable_files,
            "claims": self.claims,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "s_code_lines": self.s_code_lines,
            "expected_reimbursement": f"{self.expected_reimbursement:.2f}",
            "findings_by_rule": dict(sorted(self.by_rule.items())),
        }


def file_json(result: FileResult) -> dict[str, object]:
    return {
        "path": result.path,
        "readable": result.readable,
        "interchanges": result.interchanges,
        "transactions": result.transactions,
        "claims": result.claims,
        "segments": result.segments,
        "errors": result.errors,
        "warnings": result.warnings,
    }


class Report:
    """Base class: a format subclasses and overrides the three steps."""

    name = ""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None: ...

    def claim(self, verdict: Verdict) -> None: ...

    def finish(self, files: list[FileResult], summary: Summary) -> None: ...


class JsonReport(Report):
    """One JSON document, streamed: claims are written as they are judged."""

    name = "json"

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None:
        head = json.dumps({"schema": SCHEMA, **meta}, indent=None)
        self.out.write(
            head[:-1]
            + ', "files": '
            + json.dumps([file_json(f) for f in files])
            + ', "claims": [\n'
        )
        self._first = True

    def claim(self, verdict: Verdict) -> None:
        if not self._first:
            self.out.write(",\n")
        self._first = False
        self.out.write(claim_json_text(verdict))

    def finish(self, files: list[FileResult], summary: Summary) -> None:
        self.out.write('\n], "summary": ' + json.dumps(summary.to_json()) + "}\n")


class JsonLinesReport(Report):
    """One JSON object per line: a claim per line, then a summary line (for pipelines)."""

    name = "jsonl"

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None:
        self.out.write(json.dumps(run_record(meta)) + "\n")

    def claim(self, verdict: Verdict) -> None:
        self.out.write(claim_json_text(verdict, {"type": "claim"}) + "\n")

    def finish(self, files: list[FileResult], summary: Summary) -> None:
        for f in files:
            self.out.write(json.dumps({"type": "file", **file_json(f)}) + "\n")
        self.out.write(
            json.dumps({"type": "summary", "schema": SCHEMA, **summary.to_json()}) + "\n"
        )


def run_record(meta: dict[str, object]) -> dict[str, object]:
    """The JSONL first record: the policy and the run's notes, before any claim."""
    return {
        "type": "run",
        "schema": SCHEMA,
        "policy": meta.get("policy"),
        "policy_source": meta.get("policy_source"),
        "notes": list(_notes(meta)),
    }


def _notes(meta: dict[str, object]) -> list[str]:
    return [str(n) for n in meta.get("notes") or []]  # type: ignore[union-attr]


def finding_where(f: Finding) -> str:
    """``line 1 2400 seg 41 (DTP) @1893``: the service line, loop and segment."""
    parts = [
        f"line {f.line}" if f.line is not None else "",
        f.loop,
        str(f.segment) if f.segment else "",
    ]
    return " ".join(p for p in parts if p)


def summary_line(summary: Summary) -> str:
    return (
        f"{summary.claims} claims: {summary.accepted} accepted, {summary.rejected} "
        f"rejected; {summary.s_code_lines} S-code lines; expected reimbursement "
        f"${summary.expected_reimbursement:.2f}"
    )


class TextReport(Report):
    """For a person at a terminal at 3 a.m.: the run's notes first, then every rejected
    claim, then accepted claims that carry warnings (or all, with ``--verbose``), one
    finding per line with what, where, the 277CA status and its meaning, fix and why.

    Claims stream in input order; accepted ones are held in an anonymous temporary
    file until the end, so rejections come first without keeping the batch in memory.
    """

    name = "text"

    def __init__(self, out: TextIO, *, verbose: bool = False) -> None:
        super().__init__(out)
        self.verbose = verbose
        self.later: TextIO | None = None

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None:
        source = meta.get("policy_source")
        self.out.write(
            f"edi837 screening under policy {meta.get('policy')}"
            f"{f' ({source})' if source else ''}\n"
        )
        for note in _notes(meta):
            self.out.write(f"note: {note}\n")

    def claim(self, verdict: Verdict) -> None:
        if verdict.accepted and not verdict.findings and not self.verbose:
            return
        if verdict.accepted:
            if self.later is None:
                # closed in finish(); anonymous, so nothing stays behind on a crash
                self.later = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
            self._block(verdict, self.later)
        else:
            self._block(verdict, self.out)

    @staticmethod
    def _block(verdict: Verdict, out: TextIO) -> None:
        claim = verdict.claim
        mark = "ACCEPTED" if verdict.accepted else "REJECTED"
        s_lines = ", ".join(
            f"{ln.procedure} {claim.line_date(ln) or '?'}" for ln in claim.lines if ln.is_s_code
        )
        out.write(
            f"\n{mark}  claim {claim.CLM01} ({claim.form}, freq {claim.frequency or '?'}) "
            f"member {claim.member_id}  {claim.envelope.file}:{claim.position}\n"
        )
        if s_lines:
            out.write(f"  S-code lines: {s_lines}\n")
        for f in verdict.findings:
            parts = [f"{f.rule} {f.severity}: {f.message}"]
            where = finding_where(f)
            if where:
                parts.append(f"at {where}")
            parts.append(label(f.category, f.status_code, f.entity, f.detail))
            if f.fix:
                parts.append(f"fix: {f.fix}")
            if f.citation:
                parts.append(f"why: {f.citation}")
            out.write("  " + " | ".join(parts) + "\n")

    def finish(self, files: list[FileResult], summary: Summary) -> None:
        out = self.out
        if self.later is not None:
            out.write("\n-- accepted claims with findings --\n")
            self.later.seek(0)
            for chunk in iter(lambda: self.later.read(1 << 16), ""):  # type: ignore[union-attr]
                out.write(chunk)
            self.later.close()
            self.later = None
        out.write("\n")
        for f in files:
            state = "ok" if f.readable and not f.errors else "ERROR"
            out.write(
                f"file {f.path}: {state}, {f.interchanges} interchange(s), "
                f"{f.transactions} transaction set(s), {f.claims} claim(s)\n"
            )
            for e in f.errors:
                out.write(f"  error: {e}\n")
            for w in f.warnings:
                out.write(f"  warning: {w}\n")
        out.write(f"\n{summary_line(summary)}\n")
        if summary.by_rule:
            out.write(
                "findings by rule: "
                + ", ".join(f"{k} {v}" for k, v in sorted(summary.by_rule.items()))
                + "\n"
            )


class ConciseReport(Report):
    """One line per finding, ``FILE:SEG:OFFSET: CODE message (claim CLM01)``, like ruff
    and flake8, so grep, editors and CI annotations can read it; SEG is the segment
    ordinal, OFFSET its byte offset. A warning reads ``CODE warning: message``. File-level
    errors are ``FILE:SEG:OFFSET: ERROR message``; the run's notes are ``# note:``
    lines at the top and the summary line comes last. Nothing is added beyond what the
    findings themselves say (no member id, no patient name)."""

    name = "concise"

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None:
        self.out.write(f"# policy: {meta.get('policy')} ({meta.get('policy_source')})\n")
        for note in _notes(meta):
            self.out.write(f"# note: {note}\n")

    def claim(self, verdict: Verdict) -> None:
        claim = verdict.claim
        for f in verdict.findings:
            at = f.segment or claim.position
            kind = "" if f.rejects else f"{f.severity}: "
            self.out.write(
                f"{claim.envelope.file}:{at.ordinal}:{at.offset}: {f.rule} "
                f"{kind}{f.message} (claim {claim.CLM01})\n"
            )

    def finish(self, files: list[FileResult], summary: Summary) -> None:
        for f in files:
            if f.fatal is not None:
                e = f.fatal
                self.out.write(f"{f.path}:{e.segment_ordinal}:{e.byte_offset}: ERROR {e.msg}\n")
            for issue in f.issues:
                tag = "ERROR" if issue.severity is Severity.REJECT else "WARNING"
                pos = issue.position
                self.out.write(f"{f.path}:{pos.ordinal}:{pos.offset}: {tag} {issue.message}\n")
        self.out.write(summary_line(summary) + "\n")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as data, never runs as a formula: a text cell
    starting with ``= + - @``, tab or CR gets a leading ``'`` (OWASP's advice for CSV
    injection). Numbers (ints, Decimals) are left alone, so ``-5.00`` stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class CsvReport(Report):
    """For spreadsheets: one row per finding, and one row per claim with no finding.

    ``procedure``, ``service_date`` and ``charge`` describe the finding's service line;
    for a claim-level row they list the claim's S-code procedures and dates (space
    separated, in line order) and the claim's total charge (CLM02). ``notes`` repeats the
    run's notes (``; `` separated) on every row, so a filtered sheet keeps its caveats;
    a run with no claim at all writes one row with only ``notes``.
    """

    name = "csv"
    COLUMNS = (
        "file",
        "claim_id",
        "form",
        "member_id",
        "status",
        "rule",
        "severity",
        "line",
        "loop",
        "segment_id",
        "segment_ordinal",
        "byte_offset",
        "value",
        "message",
        "fix",
        "citation",
        "category",
        "status_code",
        "procedure",
        "service_date",
        "charge",
        "trace_id",
        "notes",
    )

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None:
        self.writer = csv.writer(self.out, lineterminator="\n")
        self.writer.writerow(self.COLUMNS)
        self.notes = "; ".join(_notes(meta))
        self.rows = 0

    def _row(self, cells: list[object]) -> None:
        self.writer.writerow([csv_cell(c) for c in cells])
        self.rows += 1

    def claim(self, verdict: Verdict) -> None:
        c = verdict.claim
        base = [c.envelope.file, c.CLM01, c.form, c.member_id, verdict.status]
        s_lines = [ln for ln in c.lines if ln.is_s_code]
        claim_level = [
            " ".join(ln.procedure for ln in s_lines),
            " ".join(_iso(c.line_date(ln)) for ln in s_lines),
            _money(c.total_charge),
        ]
        tail = [verdict.trace_id, self.notes]
        if not verdict.findings:
            self._row(base + [""] * 13 + claim_level + tail)
        lines = {ln.LX01: ln for ln in c.lines} if verdict.findings else {}
        for f in verdict.findings:
            seg = f.segment
            line = lines.get(f.line) if f.line is not None else None
            where = (
                claim_level
                if line is None
                else [line.procedure, _iso(c.line_date(line)), _money(line.charge)]
            )
            self._row(
                base
                + [
                    f.rule,
                    str(f.severity),
                    f.line if f.line is not None else "",
                    f.loop,
                    seg.segment_id if seg else "",
                    seg.ordinal if seg else "",
                    seg.offset if seg else "",
                    f.value,
                    f.message,
                    f.fix,
                    f.citation,
                    f.category,
                    f.status_code,
                ]
                + where
                + tail
            )

    def finish(self, files: list[FileResult], summary: Summary) -> None:
        if not self.rows and self.notes:
            self._row([""] * (len(self.COLUMNS) - 1) + [self.notes])


def _money(amount: Decimal) -> Decimal:
    """An amount as a number with cents (``-5`` as sent reads ``-5.00``)."""
    try:
        return amount.quantize(Decimal("0.01"))
    except ArithmeticError:  # absurdly large: leave it as it is
        return amount


def _iso(day: object) -> str:
    return day.isoformat() if day is not None else ""  # type: ignore[attr-defined]


FORMATS: dict[str, type[Report]] = {
    cls.name: cls for cls in (JsonReport, JsonLinesReport, TextReport, ConciseReport, CsvReport)
}


def write_report(
    report: Report, files: list[FileResult], verdicts: Iterable[Verdict], meta: dict[str, object]
) -> Summary:
    """Drive one report over a verdict stream; returns the summary."""
    summary = Summary()
    report.start(files, meta)
    for verdict in verdicts:
        summary.add(verdict)
        report.claim(verdict)
    return _finish(report, files, summary)


def _finish(report: Report, files: list[FileResult], summary: Summary) -> Summary:
    summary.files = len(files)
    summary.unreadable_files = sum(1 for f in files if not f.readable)
    report.finish(files, summary)
    return summary


class ReportWriter(Writer):
    """A report format as a writer of the answer pass (``edi837.writers.base``)."""

    def __init__(self, report: Report, meta: dict[str, object]) -> None:
        super().__init__()
        self.report, self.meta = report, meta
        self.files: list[FileResult] = []

    def start(self, files: list[FileResult]) -> None:
        self.files = files
        self.report.start(files, self.meta)

    def claim(self, verdict: Verdict) -> None:
        self.report.claim(verdict)

    def finish(self, summary: Summary) -> None:
        _finish(self.report, self.files, summary)
        super().finish(summary)
