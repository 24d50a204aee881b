"""SC012: the service is within the contract's timely filing limit."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.context import ClaimContext
from edi837.rules.registry import rule
from edi837.verdicts import Finding


@rule(
    "SC012",
    title="Timely filing",
    kind="claim",
    stc="A3:718",
    cite="timely_filing_days",
    fix="Past the filing limit the payer will not pay; check the contract's limit and any "
    "proof of timely filing before resubmitting.",
)
def timely_filing(ctx: ClaimContext) -> Iterator[Finding]:
    """The service date may be at most ``timely_filing_days`` before the receipt date
    (--received, else the file's GS04 date; never today's clock, so re-screening an old
    file gives the same answer). The limit is a contract setting (default 365)."""
    received = ctx.received
    limit = ctx.policy.timely_filing_days
    if received is None:
        return
    for line in ctx.claim.lines:
        day = ctx.claim.line_date(line)
        if line.is_s_code and day is not None and (received - day).days > limit:
            yield timely_filing.finding(
                f"{line.procedure} on {day} was received {received}, "
                f"{(received - day).days} days later; the limit is {limit} days",
                policy=ctx.policy,
                line=line.LX01,
                segment=line.date_at,
                loop="2400",
                value=day.isoformat(),
            )
