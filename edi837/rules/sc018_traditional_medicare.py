"""SC018: S-codes are not billed to traditional Medicare (HCPCS coverage code I)."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.context import ClaimContext
from edi837.rules.registry import rule
from edi837.verdicts import Finding, Severity

MEDICARE = {"MA": "Medicare Part A", "MB": "Medicare Part B"}  # SBR09 claim filing indicator


@rule(
    "SC018",
    title="Not billed to traditional Medicare",
    kind="claim",
    stc="A7:116",
    cite="traditional_medicare",
    fix="S0353/S0354 are not payable by Medicare: bill the member's Medicare Advantage or "
    "commercial plan (SBR09), or drop the S-code line.",
)
def traditional_medicare(ctx: ClaimContext) -> Iterator[Finding]:
    """The HCPCS record gives S0353 and S0354 coverage code I, "Not payable by Medicare":
    an S-code claim whose subscriber's claim filing indicator (SBR09) is ``MA`` or ``MB``
    is billed to coverage that never pays it. The profile's ``traditional_medicare``
    says what follows: ``reject`` under carelon-ma, whose members are all Medicare
    Advantage (so the indicator is wrong), ``warning`` elsewhere, ``off``. Status 116
    (claim submitted to the incorrect payer) needs no entity code."""
    action = ctx.policy.traditional_medicare
    indicator = ctx.claim.filing_indicator
    if action == "off" or indicator not in MEDICARE:
        return
    codes = sorted({ln.procedure for ln in ctx.claim.lines if ln.is_s_code})
    yield traditional_medicare.finding(
        f"{', '.join(codes)} billed with claim filing indicator SBR09 {indicator} "
        f"({MEDICARE[indicator]}); HCPCS coverage code I: not payable by Medicare",
        policy=ctx.policy,
        segment=ctx.claim.position,
        loop="2000B",
        value=indicator,
        severity=Severity.REJECT if action == "reject" else Severity.WARNING,
    )
