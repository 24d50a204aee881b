"""TR3 errors as ``SyntaxIssue`` (for the 999 and the file's errors) and as findings.

An error inside a claim (loop 2300 and below) rejects that claim only: it becomes a
claim-scope issue (the 999 reports it, with ``CTX*CLM01:<id>``, and says ``IK5*E``) and
a TR3001/TR3002 finding on the claim (277CA A3). An error above the claims (header,
1000A/B, 2000A/B/C, 2010xx) rejects the transaction set (``IK5*R``), as any envelope
error does.

Messages never carry element values (names, ids and addresses stay out of logs); the
999's IK404 carries the bad value as X12 asks.
"""

from __future__ import annotations

from collections.abc import Iterable

from edi837.verdicts import Severity
from edi837.x12.envelope import EnvelopeTracker
from edi837.x12.position import Position
from edi837.x12.syntax_issue import SyntaxIssue
from edi837.x12.tr3.validator import TR3Error

VALUE_LIMIT = 80  # how much of a bad value a report shows (not all of a 5,000-digit LX01)

# Segments whose values identify a person: never echoed outside the 999.
PRIVATE_SEGMENTS = frozenset({"NM1", "N3", "N4", "DMG", "REF", "PER", "CLM"})


def describe(err: TR3Error) -> str:
    """A one-line description without the element's value."""
    where = f" in loop {err.loop}" if err.loop else ""
    return f"TR3: {err.message}{where} (999 IK304 {err.code}" + (
        f", IK403 {err.element.code})" if err.element is not None else ")"
    )


def to_issues(errors: Iterable[TR3Error], tracker: EnvelopeTracker) -> list[SyntaxIssue]:
    """999-ready issues for a file's TR3 errors (claim errors with claim scope)."""
    sets = {st.index: st for st in tracker.transactions}
    out: list[SyntaxIssue] = []
    for err in errors:
        st = sets.get(err.transaction)
        e = err.element
        ik4 = None
        if e is not None:
            where = f"{e.element}:{e.component}" if e.component else str(e.element)
            ik4 = (where, e.data_ele, e.code, e.value)
        in_claim = err.claim >= 0
        out.append(
            SyntaxIssue(
                Severity.REJECT,
                "TR3",
                describe(err),
                Position(err.ordinal, err.offset, err.shown_id),
                "claim" if in_claim else "transaction",
                interchange=st.interchange if st else 0,
                group=st.group if st else 0,
                transaction=err.transaction,
                ik3=(err.segment_id, err.position, err.loop, err.code),
                ik4=ik4,
                ik5="5",
                claim=err.claim,
                context=err.CLM01 if in_claim else "",
            )
        )
    return out


def finding_value(err: TR3Error) -> str:
    """The bad value for a report, unless its segment identifies a person."""
    if err.element is None or err.segment_id in PRIVATE_SEGMENTS:
        return ""
    value = err.element.value
    if len(value) <= VALUE_LIMIT:
        return value
    return f"{value[:VALUE_LIMIT]}... ({len(value)} characters)"
