"""SC006: S0354 at most once per 30 days."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.digest import LineDigest
from edi837.rules.context import TimelineContext
from edi837.rules.registry import rule
from edi837.timeline import Service, days_between, within
from edi837.verdicts import Finding


@rule(
    "SC006",
    title="S0354 at most once per 30 days",
    kind="timeline",
    stc="A7:259",
    cite="s0354_min_interval_days",
    fix="Bill the next S0354 on or after 30 days from the previous accepted S0354.",
)
def s0354_interval(
    ctx: TimelineContext, line: LineDigest, prior: list[Service]
) -> Iterator[Finding]:
    """Two accepted S0354 for a patient must be at least ``s0354_min_interval_days`` (30)
    apart: previous + 30 or later. Checked both ways, so a late-arriving claim dated
    between two accepted ones is caught too."""
    if line.procedure != "S0354":
        return
    interval = ctx.policy.s0354_min_interval_days
    day = line.service_date
    if day is None:
        return
    for s in prior:
        if s.procedure == "S0354" and within(s.service_date, day, interval):
            delta = days_between(s.service_date, day)
            rel = f"{delta} days after" if delta >= 0 else f"{-delta} days before"
            if delta == 0:
                rel = "the same day as"
            yield s0354_interval.finding(
                f"S0354 on {day} is {rel} S0354 on {s.service_date} (claim {s.claim_id}); "
                f"S0354 is payable once per {interval} days",
                policy=ctx.policy,
                line=line.LX01,
                segment=line.date_at,
                loop="2400",
                value=day.isoformat(),
            )
            return
