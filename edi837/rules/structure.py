"""Structural and envelope findings: problems a payer's front end rejects before any
S-code rule (and which the reader, not a rule, detects)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from types import MappingProxyType

from edi837.claim.model import Claim, Position
from edi837.rules.registry import Rule, Stc, register
from edi837.verdicts import Finding
from edi837.x12.envelope import SyntaxIssue
from edi837.x12.tr3.issues import describe, finding_value
from edi837.x12.tr3.validator import TR3Error

_TR3 = "005010X222A1/005010X223A2 TR3 (as encoded in pyx12's maps)"

# 21 ("missing or invalid information") needs a second code; for a TR3 error inside a
# claim it is 684: "syntax error noted for this claim ... see the 999", whose usage note
# limits it to transaction sets accepted with errors -- exactly IK5*E.
_SYNTAX_SEE_999 = "A3:684"


def _branches(**table: str) -> MappingProxyType[str, Stc]:
    return MappingProxyType({name: Stc.parse(code) for name, code in table.items()})


# The reader reports a structural problem as (code, message, position); which field it
# is about -- and so the 277CA answer -- is read off the message's start. Declared here,
# next to the rules, so docs/rules.md and `edi837 rules CODE` show every answer.
PROBLEM_BRANCHES: dict[str, tuple[tuple[str, str, str], ...]] = {
    # (message prefix, branch, STC01-3 entity): the entity whose NPI it is
    "STR002": (
        ("billing provider 2010AA has no NPI", "missing", "85"),
        ("billing provider 2010AA", "", "85"),
        ("attending provider 2310A", "", "71"),
        ("referring provider", "", "DN"),
        ("rendering provider 2310B", "", "82"),
        ("ordering provider 2420E", "", "DK"),
    ),
    "STR003": (("DTP*434", "statement_dates", ""),),
    "STR005": (
        ("CLM01", "claim_id", ""),
        ("SV102 charge", "line_charge", ""),
        ("SV203 charge", "line_charge", ""),
        ("SV104 units", "units", ""),
        ("SV205 units", "units", ""),
    ),
}

STRUCTURE = {
    r.code: register(r)
    for r in (
        Rule(
            "STR001",
            "Claim has at least one service line",
            "structure",
            "A6",  # missing: 247 line information
            "247",
            f"{_TR3}: loop 2400 is required",
            "Add the service line(s) (LX/SV1 or SV2).",
        ),
        Rule(
            "STR002",
            "NPIs carry a valid check digit",
            "structure",
            "A7",
            "562",
            "CMS NPI standard: Luhn check digit over 80840 + first 9 digits",
            "Correct the NPI (a typo usually breaks the check digit).",
            entity="85",  # by the NPI's role: 85, 71 attending, DN, 82, DK (see below)
            branches=_branches(missing="A6:562:85"),
        ),
        Rule(
            "STR003",
            "Dates are valid CCYYMMDD",
            "structure",
            "A7",
            "187",  # date(s) of service (DTP*472)
            f"{_TR3}: DTP03 / DMG02 date format",
            "Send a real calendar date.",
            branches=_branches(statement_dates="A7:188"),  # DTP*434 statement from-through
        ),
        Rule(
            "STR004",
            "CLM02 equals the sum of the line charges",
            "structure",
            "A8",  # relational: CLM02 against the line charges
            "400",  # claim is out of balance
            f"{_TR3}: CLM02 must balance to the sum of SV102/SV203",
            "Recompute CLM02 as the sum of the line charges.",
        ),
        Rule(
            "STR005",
            "CLM01 present, amounts numeric",
            "structure",
            "A7",
            "178",  # submitted charges (CLM02)
            f"{_TR3}: CLM01, CLM02, SV1/SV2 amounts",
            "Fill in the claim id and amounts.",
            branches=_branches(
                claim_id="A6:478",  # claim submitter's identifier (CLM01) missing
                line_charge="A7:583",  # line item charge amount (SV102/SV203)
                units="A7:476",  # missing or invalid units of service (SV104/SV205)
            ),
        ),
        Rule(
            "STR006",
            "837P lines carry a service date",
            "structure",
            "A6",  # missing
            "187",
            f"{_TR3}: 837P 2400 DTP*472 is required",
            "Add DTP*472 to the line.",
        ),
        Rule(
            "STR007",
            "Service line has SV1/SV2",
            "structure",
            "A6",  # missing: 247 line information
            "247",
            f"{_TR3}: SV1 (837P) / SV2 (837I) is required in loop 2400",
            "Add the SV1/SV2 segment to the line.",
        ),
        Rule(
            "TR3001",
            "Claim segments follow the TR3 (order, required segments and loops, repeats)",
            "structure",
            "A3",
            "21",
            f"{_TR3}: segment order, usage and repeat counts of loops 2300-2440 (999 IK3)",
            "Correct the segment named (add, move or remove it) and resend the claim.",
            detail=_SYNTAX_SEE_999,
        ),
        Rule(
            "TR3002",
            "Claim elements follow the TR3 (required, length, type, codes)",
            "structure",
            "A3",
            "21",
            f"{_TR3}: element usage, length, data type and code values in loops "
            "2300-2440 (999 IK4)",
            "Correct the element named and resend the claim.",
            detail=_SYNTAX_SEE_999,
        ),
        Rule(
            "ENV001",
            "Envelope is readable (999 accepts the transaction set)",
            "envelope",
            "A3",
            "21",
            "X12 005010 envelope (ISA/IEA, GS/GE, ST/SE) and 999 005010X231A1",
            "Correct the envelope and resend the transaction set; see the 999.",
            detail="A3:481",  # claim/submission format is invalid (the 999 rejected the set)
        ),
    )
}


def structure_findings(claim: Claim) -> Iterator[Finding]:
    """The reader's structural problems for this claim, as findings."""
    for code, message, where in claim.problems:
        rule = STRUCTURE[code]
        branch, entity = problem_branch(code, message)
        yield rule.finding(
            message,
            segment=where,
            loop="2300" if code != "STR006" else "2400",
            branch=branch,
            entity=entity,
        )


def problem_branch(code: str, message: str) -> tuple[str, str | None]:
    """(branch, entity or None for the branch's own) of a reader problem, by
    ``PROBLEM_BRANCHES``; ("", None) -- the rule's usual answer -- when none matches."""
    for prefix, branch, entity in PROBLEM_BRANCHES.get(code, ()):
        if message.startswith(prefix):
            return branch, entity or None
    return "", None


def envelope_findings(claim: Claim, issues: Iterable[SyntaxIssue]) -> Iterator[Finding]:
    """A claim inside a transaction set, group or interchange with an envelope error is
    rejected with it (a 999 would reject the set; the claim is answered all the same)."""
    env = claim.envelope
    return envelope_findings_at(
        env.interchange_index, env.group_index, env.transaction_index, issues
    )


def envelope_findings_at(
    interchange: int, group: int, transaction: int, issues: Iterable[SyntaxIssue]
) -> Iterator[Finding]:
    """The envelope finding for a claim at these envelope indexes: one per claim, naming
    the first error and how many there are in all."""
    hits = [i for i in issues if i.rejects(interchange, group, transaction)]
    if not hits:
        return
    first = hits[0]
    more = f"; {len(hits) - 1} more error(s) in the file's errors" if len(hits) > 1 else ""
    yield STRUCTURE["ENV001"].finding(
        f"{first.scope} rejected: {first.message} ({first.position}){more}",
        segment=first.position,
        value=first.code,
    )


def tr3_findings(errors: Iterable[TR3Error]) -> list[Finding]:
    """A claim's TR3 errors as findings (277CA A3 at the segment), root causes only: one
    finding per segment element, the segment-level ones (missing, order) once each."""
    out: list[Finding] = []
    seen: set[tuple[int, int, str]] = set()
    for err in errors:
        e = err.element
        key = (err.ordinal, e.element if e is not None else 0, err.segment_id)
        if key in seen:
            continue
        seen.add(key)
        rule = STRUCTURE["TR3002" if e is not None else "TR3001"]
        out.append(
            rule.finding(
                describe(err),
                segment=Position(err.ordinal, err.offset, err.segment_id),
                loop=err.loop,
                value=finding_value(err),
            )
        )
    return out


def _line_at(claim: Claim, ordinal: int) -> int | None:
    """LX01 of the service line whose segments include ``ordinal`` (the last LX at or
    before it), or None."""
    found = None
    for line in claim.lines:
        if line.position is not None and line.position.ordinal <= ordinal:
            found = line.LX01
    return found


_UNITS_RULES = frozenset({"SC011"})  # rules that read SV104 / SV205


def root_causes(findings: list[Finding], claim: Claim) -> list[Finding]:
    """Drop the findings that only follow from another one (issue 14, root cause only).

    A structural problem at a segment the TR3 check already faulted is the same error
    seen again (SV102 ``3X0``: TR3002, not also STR005); a missing 2400 or SV1/SV2 that
    the TR3 check reported is not also STR001/STR007; a units rule says nothing about
    units the reader could not read (they count as 0).

    A TR3 error inside a service line (loop 24xx) is given that line's number, so the
    277CA answers it in the line's 2220D (SVC with the units as sent) like any line rule.
    """
    tr3_at = {f.segment.ordinal for f in findings if f.rule.startswith("TR3") and f.segment}
    tr3_missing = {
        f.message.split("required ")[1].split()[1]
        for f in findings
        if f.rule == "TR3001" and "required " in f.message
    }
    units_unread = {
        where.ordinal
        for code, text, where in claim.problems
        if code == "STR005" and where is not None and " units " in text
    }
    kept: list[Finding] = []
    for f in findings:
        at = f.segment.ordinal if f.segment else -1
        if f.rule.startswith("TR3") and f.line is None and f.loop.startswith("24"):
            lx = _line_at(claim, at)
            f = replace(f, line=lx) if lx is not None else f
        if f.rule.startswith("STR") and at in tr3_at:
            continue
        if f.rule == "STR001" and "2400" in tr3_missing:
            continue
        if f.rule == "STR007" and tr3_missing & {"SV1", "SV2"}:
            continue
        if f.rule in _UNITS_RULES and at in units_unread:
            continue
        kept.append(f)
    return kept
