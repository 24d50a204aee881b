"""SC003: one S-code service is billed on a 1500 (837P) or a UB-04 (837I), not both."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.digest import LineDigest
from edi837.rules.context import TimelineContext
from edi837.rules.registry import rule
from edi837.timeline import Service
from edi837.verdicts import Finding


@rule(
    "SC003",
    title="Not billed on both 837P and 837I",
    kind="timeline",
    stc="A8:732",
    detail="A8:276",  # the inconsistent information: the claim form (1500 vs UB-04)
    cite="one_form",
    fix="Void one of the two claims; bill the S-code on one form only.",
)
def one_form(ctx: TimelineContext, line: LineDigest, prior: list[Service]) -> Iterator[Finding]:
    """The same patient's same S-code on the same date, already accepted on the other
    form (in this run or in history), makes this line a cross-form duplicate. 277CA
    ``A8:732`` (relational: this claim against the one on the other form) with
    ``A8:276`` (UB04/HCFA-1450/1500 claim form) in STC10."""
    if not ctx.policy.one_form:
        return
    day = line.service_date
    for s in prior:
        if s.procedure == line.procedure and s.service_date == day and s.form != ctx.claim.form:
            yield one_form.finding(
                f"{line.procedure} on {day} was already accepted on an {s.form} "
                f"(claim {s.claim_id}); this {ctx.claim.form} bills it again",
                policy=ctx.policy,
                line=line.LX01,
                segment=line.date_at,
                loop="2400",
                value=s.claim_id,
            )
            return
