"""SC004: S0353 once per patient, at the onset of treatment."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.digest import LineDigest
from edi837.rules.context import TimelineContext
from edi837.rules.registry import rule
from edi837.timeline import Service
from edi837.verdicts import Finding


@rule(
    "SC004",
    title="S0353 once per patient, at onset",
    kind="timeline",
    stc="A7:259",
    cite="s0353_once_per_patient",
    fix="Bill S0354 for an established patient; S0353 only at the onset of treatment.",
)
def s0353_once(ctx: TimelineContext, line: LineDigest, prior: list[Service]) -> Iterator[Finding]:
    """A second S0353 for the patient is rejected, whatever its date. An S0353 dated after
    an accepted S0354 is not "at the onset of treatment" and is rejected too; so is one
    dated fewer than ``s0354_gap_after_s0353_days`` (30) before an accepted S0354 (that
    S0354 was forwarded and stands: the pair would break SC005)."""
    if line.procedure != "S0353" or not ctx.policy.s0353_once_per_patient:
        return
    day = line.service_date
    where = {"line": line.LX01, "segment": line.date_at, "loop": "2400", "policy": ctx.policy}
    earlier = [s for s in prior if s.procedure == "S0353"]
    if earlier:
        s = earlier[0]
        yield s0353_once.finding(
            f"S0353 on {day}: S0353 was already accepted for this patient on "
            f"{s.service_date} (claim {s.claim_id})",
            value=s.claim_id,
            **where,
        )
        return
    established = sorted(
        (s for s in prior if s.procedure == "S0354" and day and s.service_date < day),
        key=lambda s: s.service_date,
    )
    if established:
        s = established[0]
        yield s0353_once.finding(
            f"S0353 on {day} comes after S0354 on {s.service_date} (claim {s.claim_id}); "
            "S0353 is billed only at the onset of treatment",
            value=s.claim_id,
            **where,
        )
        return
    gap = ctx.policy.s0354_gap_after_s0353_days
    soon = sorted(
        (
            s
            for s in prior
            if s.procedure == "S0354" and day and 0 <= (s.service_date - day).days < gap
        ),
        key=lambda s: s.service_date,
    )
    if soon:
        s = soon[0]
        yield s0353_once.finding(
            f"S0353 on {day} is {(s.service_date - day).days} days before S0354 on "
            f"{s.service_date} (claim {s.claim_id}), accepted already; S0354 needs at least "
            f"{gap} days after S0353",
            value=s.claim_id,
            **where,
        )
