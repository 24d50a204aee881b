"""SC013: the S-code existed on the service date (added 2012-04-01)."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.context import ClaimContext
from edi837.rules.registry import rule
from edi837.verdicts import Finding


@rule(
    "SC013",
    title="Service date on or after the code's effective date",
    kind="claim",
    stc="A7:454",
    cite="code_effective_date",
    fix="Check the service date (DTP*472): the code cannot be billed for earlier dates.",
)
def effective_date(ctx: ClaimContext) -> Iterator[Finding]:
    """HCPCS added S0353/S0354 on 2012-04-01; a service date before that is not a valid
    use of the code (usually a keyed date error)."""
    start = ctx.policy.code_effective_date
    for line in ctx.claim.lines:
        day = ctx.claim.line_date(line)
        if line.is_s_code and day is not None and day < start:
            yield effective_date.finding(
                f"{line.procedure} on {day} predates the code's effective date {start}",
                policy=ctx.policy,
                line=line.LX01,
                segment=line.date_at,
                loop="2400",
                value=day.isoformat(),
            )
