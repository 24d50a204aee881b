"""Structural and envelope findings: problems a payer's front end rejects before any
S-code rule (and which the reader, not a rule, detects)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from edi837.claim.model import Claim
from edi837.rules.registry import Rule, register
from edi837.verdicts import Finding
from edi837.x12.envelope import SyntaxIssue

_TR3 = "005010X222A1/005010X223A2 TR3 (as encoded in pyx12's maps)"

STRUCTURE = {
    r.code: register(r)
    for r in (
        Rule("STR001", "Claim has at least one service line", "structure", "A7", "21",
             f"{_TR3}: loop 2400 is required", "Add the service line(s) (LX/SV1 or SV2)."),
        Rule("STR002", "NPIs carry a valid check digit", "structure", "A7", "562",
             "CMS NPI standard: Luhn check digit over 80840 + first 9 digits",
             "Correct the NPI (a typo usually breaks the check digit)."),
        Rule("STR003", "Dates are valid CCYYMMDD", "structure", "A7", "21",
             f"{_TR3}: DTP03 / DMG02 date format", "Send a real calendar date."),
        Rule("STR004", "CLM02 equals the sum of the line charges", "structure", "A7", "178",
             f"{_TR3}: CLM02 must balance to the sum of SV102/SV203",
             "Recompute CLM02 as the sum of the line charges."),
        Rule("STR005", "CLM01 present, amounts numeric", "structure", "A7", "21",
             f"{_TR3}: CLM01, CLM02, SV1/SV2 amounts", "Fill in the claim id and amounts."),
        Rule("STR006", "837P lines carry a service date", "structure", "A7", "187",
             f"{_TR3}: 837P 2400 DTP*472 is required", "Add DTP*472 to the line."),
        Rule("STR007", "Service line has SV1/SV2", "structure", "A7", "21",
             f"{_TR3}: SV1 (837P) / SV2 (837I) is required in loop 2400",
             "Add the SV1/SV2 segment to the line."),
        Rule("ENV001", "Envelope is readable (999 accepts the transaction set)", "envelope",
             "A3", "21", "X12 005010 envelope (ISA/IEA, GS/GE, ST/SE) and 999 005010X231A1",
             "Correct the envelope and resend the transaction set; see the 999."),
    )
}


def structure_findings(claim: Claim) -> Iterator[Finding]:
    """The reader's structural problems for this claim, as findings."""
    for code, message, where in claim.problems:
        rule = STRUCTURE[code]
        yield rule.finding(message, segment=where, loop="2300" if code != "STR006" else "2400")


def envelope_findings(claim: Claim, issues: Iterable[SyntaxIssue]) -> Iterator[Finding]:
    """A claim inside a transaction set, group or interchange with an envelope error is
    rejected with it (a 999 would reject the set; the claim is answered all the same)."""
    env = claim.envelope
    return envelope_findings_at(env.interchange_index, env.group_index,
                                env.transaction_index, issues)


def envelope_findings_at(interchange: int, group: int, transaction: int,
                         issues: Iterable[SyntaxIssue]) -> Iterator[Finding]:
    """The envelope finding for a claim at these envelope indexes: one per claim, naming
    the first error and how many there are in all."""
    hits = [i for i in issues if i.rejects(interchange, group, transaction)]
    if not hits:
        return
    first = hits[0]
    more = f"; {len(hits) - 1} more error(s) in the file's errors" if len(hits) > 1 else ""
    yield STRUCTURE["ENV001"].finding(
        f"{first.scope} rejected: {first.message} ({first.position}){more}",
        segment=first.position, value=first.code,
    )
