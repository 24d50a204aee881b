"""Structural and envelope findings: problems a payer's front end rejects before any
S-code rule. STR001-STR007 are rules of their own (``str00N_*.py``) run from here; the
TR3 (TR3001, TR3002) and envelope (ENV001) findings are what the reader detects."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from edi837.claim.model import Claim, Position
from edi837.rules.registry import Rule, register, rules_of
from edi837.rules.selection import RuleSelection
from edi837.verdicts import Finding
from edi837.x12.syntax_issue import SyntaxIssue
from edi837.x12.tr3.issues import describe, finding_value
from edi837.x12.tr3.validator import TR3Error

TR3_CITE = "005010X222A1/005010X223A2 TR3 (as encoded in pyx12's maps)"

# 21 ("missing or invalid information") needs a second code; for a TR3 error inside a
# claim it is 684: "syntax error noted for this claim ... see the 999", whose usage note
# limits it to transaction sets accepted with errors -- exactly IK5*E.
_SYNTAX_SEE_999 = "A3:684"


STRUCTURE = {
    r.code: register(r)
    for r in (
        Rule(
            "TR3001",
            "Claim segments follow the TR3 (order, required segments and loops, repeats)",
            "structure",
            "A3",
            "21",
            f"{TR3_CITE}: segment order, usage and repeat counts of loops 2300-2440 (999 IK3)",
            "Correct the segment named (add, move or remove it) and resend the claim.",
            detail=_SYNTAX_SEE_999,
        ),
        Rule(
            "TR3002",
            "Claim elements follow the TR3 (required, length, type, codes)",
            "structure",
            "A3",
            "21",
            f"{TR3_CITE}: element usage, length, data type and code values in loops "
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


_CLAIM_STRUCTURE: list[Rule] = []


def structure_findings(claim: Claim, selection: RuleSelection) -> list[Finding]:
    """The structure rules' findings (STR001-STR007, the ones turned on), in code order.

    The rules live in their own modules (``str001_service_line`` ...) and read the
    claim as built, plus the values the reader could not read (``Claim.problems``).
    """
    if not _CLAIM_STRUCTURE:  # filled on first use: the rule modules register on import
        _CLAIM_STRUCTURE.extend(r for r in rules_of("structure") if r.check is not None)
    out: list[Finding] = []
    for rule in _CLAIM_STRUCTURE:
        if selection.enabled(rule.code):
            out.extend(rule.check(claim))  # type: ignore[misc]
    return out


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
_UNITS_ELEMENTS = frozenset({"SV104", "SV205"})


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
    units_unread = {p.where.ordinal for p in claim.problems if p.element in _UNITS_ELEMENTS}
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
