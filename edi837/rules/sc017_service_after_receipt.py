"""SC017: no S-code service dated after the claim was received."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.context import ClaimContext
from edi837.rules.registry import rule
from edi837.verdicts import Finding


@rule(
    "SC017",
    title="Service date not after the receipt date",
    kind="claim",
    stc="A7:187",
    cite="service_after_receipt",
    fix="Check the service date (DTP*472): bill a service once it has been rendered.",
)
def service_after_receipt(ctx: ClaimContext) -> Iterator[Finding]:
    """A claim bills services already rendered: an S-code line dated after the receipt
    date (--received, else the file's GS04 date; never today's clock, so re-screening
    gives the same answer) is a keyed or future date. The same day is accepted. Status
    187 (date(s) of service) needs no entity code. ``service_after_receipt = false`` in
    a profile turns the check off."""
    received = ctx.received
    if received is None or not ctx.policy.service_after_receipt:
        return
    for line in ctx.claim.lines:
        day = ctx.claim.line_date(line)
        if line.is_s_code and day is not None and day > received:
            yield service_after_receipt.finding(
                f"{line.procedure} on {day} is {(day - received).days} day(s) after the "
                f"claim was received ({received})",
                policy=ctx.policy,
                line=line.LX01,
                segment=line.date_at,
                loop="2400",
                value=day.isoformat(),
            )
