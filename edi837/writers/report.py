"""Report formats: one small class per format, all fed the same verdict stream.

A report is written as the claims stream by: ``start`` (once the batch has been read and
judged, so the file list is known), ``claim`` per verdict, ``finish`` with the summary.
The JSON report (schema ``edi837.report/1``) is the stable machine interface; see
README.md for the schema.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

from edi837.screen import FileResult
from edi837.verdicts import Severity, Verdict
from edi837.writers.claim_json import PrerenderedClaim, claim_json_text

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
        self.count(verdict.status, sum(1 for ln in verdict.claim.lines if ln.is_s_code),
                   sum(verdict.reimbursement.values(), Decimal(0)),
                   [f.rule for f in verdict.findings])

    def count(self, status: str, s_code_lines: int, reimbursement: Decimal,
              rules: Iterable[str]) -> None:
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

    def claim_text(self, text: str) -> None:
        """A claim already rendered as JSON text (the prerendered fast path)."""
        raise NotImplementedError(f"{self.name} reports need verdicts")

    def finish(self, files: list[FileResult], summary: Summary) -> None: ...


class JsonReport(Report):
    """One JSON document, streamed: claims are written as they are judged."""

    name = "json"

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None:
        head = json.dumps({"schema": SCHEMA, **meta}, indent=None)
        self.out.write(head[:-1] + ', "files": ' + json.dumps([file_json(f) for f in files])
                       + ', "claims": [\n')
        self._first = True

    def claim(self, verdict: Verdict) -> None:
        self.claim_text(claim_json_text(verdict))

    def claim_text(self, text: str) -> None:
        if not self._first:
            self.out.write(",\n")
        self._first = False
        self.out.write(text)

    def finish(self, files: list[FileResult], summary: Summary) -> None:
        self.out.write('\n], "summary": ' + json.dumps(summary.to_json()) + "}\n")


class JsonLinesReport(Report):
    """One JSON object per line: a claim per line, then a summary line (for pipelines)."""

    name = "jsonl"

    def claim(self, verdict: Verdict) -> None:
        self.claim_text(claim_json_text(verdict))

    def claim_text(self, text: str) -> None:
        self.out.write('{"type": "claim", ' + text[1:] + "\n")

    def finish(self, files: list[FileResult], summary: Summary) -> None:
        for f in files:
            self.out.write(json.dumps({"type": "file", **file_json(f)}) + "\n")
        self.out.write(json.dumps({"type": "summary", "schema": SCHEMA, **summary.to_json()})
                       + "\n")


class TextReport(Report):
    """For a person at a terminal: one block per claim, findings with where/why/fix."""

    name = "text"

    def __init__(self, out: TextIO, *, verbose: bool = False) -> None:
        super().__init__(out)
        self.verbose = verbose

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None:
        self.out.write(f"edi837 screening under policy {meta.get('policy')}\n")

    def claim(self, verdict: Verdict) -> None:
        claim = verdict.claim
        if verdict.accepted and not verdict.findings and not self.verbose:
            return
        mark = "ACCEPTED" if verdict.accepted else "REJECTED"
        s_lines = ", ".join(
            f"{ln.procedure} {claim.line_date(ln) or '?'}" for ln in claim.lines if ln.is_s_code
        )
        self.out.write(
            f"\n{mark}  claim {claim.CLM01} ({claim.form}, freq {claim.frequency or '?'}) "
            f"member {claim.member_id}  {claim.envelope.file}:{claim.position}\n"
        )
        if s_lines:
            self.out.write(f"  S-code lines: {s_lines}\n")
        for f in verdict.findings:
            where = f"line {f.line} " if f.line is not None else ""
            seg = f"{f.segment}" if f.segment else ""
            self.out.write(f"  {f.rule} {f.severity}: {f.message}\n")
            self.out.write(f"      at {where}{f.loop + ' ' if f.loop else ''}{seg}"
                           f"  277CA {f.category}:{f.status_code}\n")
            if f.fix:
                self.out.write(f"      fix: {f.fix}\n")
            if f.citation and f.severity is Severity.REJECT:
                self.out.write(f"      why: {f.citation}\n")

    def finish(self, files: list[FileResult], summary: Summary) -> None:
        out = self.out
        out.write("\n")
        for f in files:
            state = "ok" if f.readable and not f.errors else "ERROR"
            out.write(f"file {f.path}: {state}, {f.interchanges} interchange(s), "
                      f"{f.transactions} transaction set(s), {f.claims} claim(s)\n")
            for e in f.errors:
                out.write(f"  error: {e}\n")
            for w in f.warnings:
                out.write(f"  warning: {w}\n")
        out.write(
            f"\n{summary.claims} claims: {summary.accepted} accepted, {summary.rejected} "
            f"rejected; {summary.s_code_lines} S-code lines; expected reimbursement "
            f"${summary.expected_reimbursement:.2f}\n"
        )
        if summary.by_rule:
            out.write("findings by rule: " + ", ".join(
                f"{k} {v}" for k, v in sorted(summary.by_rule.items())) + "\n")


class CsvReport(Report):
    """For spreadsheets: one row per finding, and one row per claim with no finding."""

    name = "csv"
    COLUMNS = ("file", "claim_id", "form", "member_id", "status", "rule", "severity",
               "line", "loop", "segment_id", "segment_ordinal", "byte_offset", "value",
               "message", "fix", "citation", "category", "status_code")

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None:
        self.writer = csv.writer(self.out, lineterminator="\n")
        self.writer.writerow(self.COLUMNS)

    def claim(self, verdict: Verdict) -> None:
        c = verdict.claim
        base = [c.envelope.file, c.CLM01, c.form, c.member_id, verdict.status]
        if not verdict.findings:
            self.writer.writerow(base + [""] * (len(self.COLUMNS) - len(base)))
        for f in verdict.findings:
            seg = f.segment
            self.writer.writerow(base + [
                f.rule, str(f.severity), f.line if f.line is not None else "", f.loop,
                seg.segment_id if seg else "", seg.ordinal if seg else "",
                seg.offset if seg else "", f.value, f.message, f.fix, f.citation,
                f.category, f.status_code,
            ])


FORMATS: dict[str, type[Report]] = {
    cls.name: cls for cls in (JsonReport, JsonLinesReport, TextReport, CsvReport)
}


def write_report(report: Report, files: list[FileResult], verdicts: Iterable[Verdict],
                 meta: dict[str, object]) -> Summary:
    """Drive one report over a verdict stream; returns the summary."""
    summary = Summary()
    report.start(files, meta)
    for verdict in verdicts:
        summary.add(verdict)
        report.claim(verdict)
    return _finish(report, files, summary)


def write_prerendered(report: Report, files: list[FileResult],
                      claims: Iterable[PrerenderedClaim], meta: dict[str, object]) -> Summary:
    """Drive a JSON/JSONL report over claims rendered while reading (no second pass)."""
    summary = Summary()
    report.start(files, meta)
    for claim in claims:
        summary.count(claim.status, claim.s_code_lines, claim.reimbursement, claim.rules)
        report.claim_text(claim.text)
    return _finish(report, files, summary)


def _finish(report: Report, files: list[FileResult], summary: Summary) -> Summary:
    summary.files = len(files)
    summary.unreadable_files = sum(1 for f in files if not f.readable)
    report.finish(files, summary)
    return summary
