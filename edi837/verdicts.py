"""Findings and verdicts: what edi837 concludes about each claim.

A ``Finding`` says where (segment position, loop, line), what value was seen, why it is
wrong (the rule and the seed sentence behind it) and how to fix it, plus the 277CA
STC01 category/status it maps to. A ``Verdict`` is one claim's answer: accepted or
rejected (a 277CA has no "accepted with warnings": one rejecting finding rejects the
whole claim), with every finding and the expected reimbursement of accepted S-code lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from edi837.claim.model import Claim, Position

ACCEPTED = "accepted"
REJECTED = "rejected"


class Severity(StrEnum):
    REJECT = "reject"  # the claim is rejected (277CA A3/A6/A7/A8)
    WARNING = "warning"  # reported; the claim is still accepted (277CA A2)
    INFO = "info"  # context, e.g. an errata version label
    FATAL = "fatal"  # envelope only: the file cannot be read past it (answered by a TA1)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in one claim."""

    rule: str  # stable rule code, e.g. SC005
    severity: Severity
    message: str  # what is wrong, with the values seen
    fix: str = ""  # what the biller should do about it
    citation: str = ""  # seed file and heading that requires it
    category: str = "A7"  # 277CA STC01-1 claim status category
    status_code: str = "21"  # 277CA STC01-2 claim status code
    line: int | None = None  # LX01 of the service line, when the finding is line-level
    segment: Position | None = None  # the segment the finding points at
    loop: str = ""  # 2300, 2400, 2420E...
    value: str = ""  # the offending value as sent
    entity: str = ""  # 277CA STC01-3: whose data it is (85 billing, DK ordering, ...)
    detail: str = ""  # 277CA STC10 ("A8:454"): the specific code a 21 or 732 needs

    @property
    def rejects(self) -> bool:
        return self.severity is Severity.REJECT

    def to_json(self) -> dict[str, object]:
        seg = self.segment
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "fix": self.fix,
            "citation": self.citation,
            "line": self.line,
            "loop": self.loop or None,
            "segment": (
                {"id": seg.segment_id, "ordinal": seg.ordinal, "offset": seg.offset}
                if seg
                else None
            ),
            "value": self.value or None,
            "category": self.category,
            "status_code": self.status_code,
        }


@dataclass(slots=True)
class Verdict:
    """A claim with its findings and its answer."""

    claim: Claim
    findings: list[Finding] = field(default_factory=list)
    reimbursement: dict[int, Decimal] = field(default_factory=dict)  # LX01 -> expected $
    trace_id: str = ""

    @property
    def status(self) -> str:
        for finding in self.findings:  # a loop, not any(<genexpr>): called per output
            if finding.severity is Severity.REJECT:
                return REJECTED
        return ACCEPTED

    @property
    def accepted(self) -> bool:
        return self.status == ACCEPTED

    @property
    def rejections(self) -> list[Finding]:
        return [f for f in self.findings if f.rejects]

    def line_rejections(self, lx01: int) -> list[Finding]:
        return [f for f in self.findings if f.rejects and f.line == lx01]

    def to_json(self) -> dict[str, object]:
        """The claim as the JSON report's claim object (schema ``edi837.report/1``),
        rendered by the report writer itself so the two never differ."""
        from edi837.writers.claim_json import claim_json  # a writer: imported on use

        return claim_json(self)
