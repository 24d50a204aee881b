"""The input 837 written back one segment a line, each finding under the segment it names.

For a biller, the quickest way to see *why* a claim was rejected is the claim itself
with the reason pointing at the offending segment::

    SV1*HC:S0354*300*UN*1***1~
    DTP*472*D8*20260821~
        ^^ SC005 reject: S0354 on 2026-08-21 is 20 days after S0353 ... | fix: ... | A7:259

A finding sits under ``finding.segment`` (by ordinal); a claim-level finding without a
segment sits under its claim's CLM. Envelope and syntax issues (``SyntaxIssue``) can be
shown the same way. Findings whose segment is not in the file are listed at the end, so
nothing is silently dropped. The file is read once more, streaming; only the findings
are held in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO, TextIO

from edi837.safetext import bounded
from edi837.verdicts import Finding, Verdict
from edi837.x12.syntax_issue import SyntaxIssue
from edi837.x12.tokenizer import Segment, SegmentReader

MARK = "    ^^ "


MAX_PART = 300  # characters of one message, fix or citation in a note
MAX_NOTE = 1000  # characters of one note line


def findings_by_ordinal(verdicts: Iterable[Verdict]) -> dict[int, list[Finding]]:
    """Segment ordinal -> the findings pointing at it (claim-level ones at the CLM)."""
    table: dict[int, list[Finding]] = {}
    for verdict in verdicts:
        for finding in verdict.findings:
            where = finding.segment.ordinal if finding.segment else verdict.claim.position.ordinal
            table.setdefault(where, []).append(finding)
    return table


def format_finding(finding: Finding) -> str:
    """``SC005 reject: <message> | fix: <fix> | A7:571 | <citation>``."""
    parts = [f"{finding.rule} {finding.severity}: {_one_line(finding.message)}"]
    if finding.fix:
        parts.append(f"fix: {_one_line(finding.fix)}")
    stc = ":".join(p for p in (finding.category, finding.status_code, finding.entity) if p)
    parts.append(f"{stc} + STC10 {finding.detail}" if finding.detail else stc)
    if finding.citation:
        parts.append(_one_line(finding.citation))
    return bounded(" | ".join(parts), MAX_NOTE)


def format_issue(issue: SyntaxIssue) -> str:
    """``999 error SE_COUNT: <message>``."""
    return bounded(f"999 {issue.label} {issue.code}: {_one_line(issue.message)}", MAX_NOTE)


def write_annotated(
    source: str | Path | BinaryIO,
    verdicts: Iterable[Verdict] | Mapping[int, list[Finding]],
    out: TextIO,
    *,
    issues: Iterable[SyntaxIssue] = (),
    name: str | None = None,
) -> int:
    """Write ``source`` one segment a line with findings (and issues) under their segments.

    ``verdicts`` is a stream of verdicts or an already built ordinal -> findings mapping.
    Returns the number of annotation lines written.
    """
    table = dict(verdicts) if isinstance(verdicts, Mapping) else findings_by_ordinal(verdicts)
    notes: dict[int, list[str]] = {}
    for ordinal, findings in table.items():
        notes.setdefault(ordinal, []).extend(format_finding(f) for f in findings)
    for issue in issues:
        notes.setdefault(issue.position.ordinal, []).append(format_issue(issue))
    label = name or (str(source) if isinstance(source, str | Path) else "<stream>")
    annotator = Annotator(out, notes)
    if isinstance(source, str | Path):
        from edi837.sources import open_source

        with open_source(source) as stream:
            for seg in SegmentReader(stream, name=label):
                annotator.segment(seg)
    else:
        for seg in SegmentReader(source, name=label):
            annotator.segment(seg)
    return annotator.close(label)


class Annotator:
    """The annotated copy as a push writer: ``segment`` for each segment outside a
    claim, ``claim`` for each finished claim (its own segments with its findings under
    them), in file order; ``close`` lists what found no segment. Only the notes of one
    claim (and the file's envelope issues) are held."""

    def __init__(self, out: TextIO, notes: dict[int, list[str]] | None = None) -> None:
        self.out = out
        self.notes = notes if notes is not None else {}
        self.written = 0

    def add_issues(self, issues: Iterable[SyntaxIssue]) -> None:
        for issue in issues:
            self.notes.setdefault(issue.position.ordinal, []).append(format_issue(issue))

    def segment(self, seg: Segment) -> None:
        out = self.out
        out.write(seg.text() if seg.separators.segment == "\n" else str(seg))
        out.write("\n")
        for text in self.notes.pop(seg.ordinal, ()):
            out.write(MARK + text + "\n")
            self.written += 1

    def claim(self, verdict: Verdict) -> None:
        claim = verdict.claim
        first = claim.position.ordinal
        last = claim.raw[-1][1] if claim.raw else first
        own: dict[int, list[str]] = {}  # this claim's findings, by segment
        for finding in verdict.findings:
            where = finding.segment.ordinal if finding.segment else first
            if first <= where <= last:
                own.setdefault(where, []).append(format_finding(finding))
            else:  # a segment outside the claim (e.g. its subscriber's, already written):
                own.setdefault(first, []).append(f"seg {where}: {format_finding(finding)}")
        seps = claim.separators
        term = seps.segment if seps is not None else ""
        out, notes = self.out, self.notes
        for text, ordinal, _ in claim.raw:
            out.write(text if term == "\n" else text + term)
            out.write("\n")
            for note in (*own.pop(ordinal, ()), *notes.pop(ordinal, ())):
                out.write(MARK + note + "\n")
                self.written += 1

    def close(self, label: str) -> int:
        """List the notes whose segment never came; returns the lines written."""
        notes = self.notes
        if notes:
            self.out.write(
                f"-- {sum(map(len, notes.values()))} annotation(s) for segments not in {label}:\n"
            )
            for ordinal in sorted(notes):
                for text in notes[ordinal]:
                    self.out.write(f"{MARK}seg {ordinal}: {text}\n")
                    self.written += 1
            notes.clear()
        return self.written


def _one_line(text: str) -> str:
    """One line, and at most ``MAX_PART`` characters (a finding quoting a 1 MB value
    must not make a 1 MB note)."""
    return bounded(" ".join(text.split()), MAX_PART)
