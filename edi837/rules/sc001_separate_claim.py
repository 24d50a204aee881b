"""SC001: S-codes go on a claim of their own (BCBSMA), not mixed with other services."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.context import ClaimContext
from edi837.rules.registry import rule
from edi837.verdicts import Finding


@rule(
    "SC001",
    title="S-codes on a separate claim",
    kind="claim",
    stc="A8:732",
    detail="A8:454",  # the inconsistent information: the other line's procedure code
    cite="separate_claim",
    fix="Bill the S-code line(s) on a claim of their own and the other services on another.",
)
def separate_claim(ctx: ClaimContext) -> Iterator[Finding]:
    """A claim carrying S0353/S0354 may not carry other service lines when the profile
    requires a separate claim (bcbsma). The Medical Oncology Program prefers them together,
    so its profile turns this off. One finding per foreign line, pointing at that line.
    277CA ``A8:732`` (relational: the S-code and the other service may not share a claim)
    with ``A8:454`` in STC10, since 732's usage note asks for the inconsistent item."""
    if not ctx.policy.separate_claim:
        return
    s_codes = [ln.procedure for ln in ctx.claim.lines if ln.is_s_code]
    for line in ctx.claim.lines:
        if not line.is_s_code:
            yield separate_claim.finding(
                f"line {line.LX01} bills {line.procedure or line.revenue_code or '?'} on the "
                f"same claim as {', '.join(sorted(set(s_codes)))}",
                policy=ctx.policy,
                line=line.LX01,
                segment=line.service_at,
                loop="2400",
                value=line.procedure,
            )
