"""SC011: an S-code line bills exactly one unit."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.context import ClaimContext
from edi837.rules.registry import rule
from edi837.verdicts import Finding


@rule(
    "SC011",
    title="One unit per S-code line",
    kind="claim",
    stc="A7:476",
    cite="units_per_line",
    fix="Bill 1 unit (SV104 on 837P, SV205 on 837I); bill a later month on its own line "
    "with its own date.",
)
def units(ctx: ClaimContext) -> Iterator[Finding]:
    """S0353 is once per patient and S0354 once per 30 days, so a line with more than one
    unit bills several periods at one date: the payer cannot price it. 277CA ``A7:476``
    (missing or invalid units of service): the units are what is wrong; 259 (frequency
    of service) is SC004-SC006's, about the dates between services."""
    expected = ctx.policy.units_per_line
    for line in ctx.claim.lines:
        if line.is_s_code and line.units != expected:
            yield units.finding(
                f"{line.procedure} line {line.LX01} bills {line.units.normalize():f} units, "
                f"expected {expected}",
                policy=ctx.policy,
                line=line.LX01,
                segment=line.service_at,
                loop="2400",
                value=f"{line.units.normalize():f}",
            )
