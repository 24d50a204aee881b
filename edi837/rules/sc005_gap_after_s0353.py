"""SC005: S0354 not within 30 days after the accepted S0353."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.digest import LineDigest
from edi837.rules.context import TimelineContext
from edi837.rules.registry import rule
from edi837.timeline import Service, days_between
from edi837.verdicts import Finding


@rule(
    "SC005",
    title="S0354 at least 30 days after S0353",
    kind="timeline",
    stc="A7:259",
    cite="s0354_gap_after_s0353_days",
    fix="Bill S0354 on or after the first date 30 days after the S0353 service date.",
)
def gap_after_s0353(
    ctx: TimelineContext, line: LineDigest, prior: list[Service]
) -> Iterator[Finding]:
    """S0354 needs a service date at least ``s0354_gap_after_s0353_days`` (30) after the
    accepted S0353: day 30 is accepted, day 29 rejected. An S0354 on the same day as, or
    before, the S0353 is also within the window (it cannot precede the onset)."""
    if line.procedure != "S0354":
        return
    gap = ctx.policy.s0354_gap_after_s0353_days
    day = line.service_date
    if day is None:
        return
    for s in prior:
        if s.procedure == "S0353" and days_between(s.service_date, day) < gap:
            delta = days_between(s.service_date, day)
            when = (
                f"{delta} days after"
                if delta > 0
                else "the same day as"
                if delta == 0
                else f"{-delta} days before"
            )
            yield gap_after_s0353.finding(
                f"S0354 on {day} is {when} S0353 on {s.service_date} (claim {s.claim_id}); "
                f"S0354 needs at least {gap} days after S0353",
                policy=ctx.policy,
                line=line.LX01,
                segment=line.date_at,
                loop="2400",
                value=day.isoformat(),
            )
            return
