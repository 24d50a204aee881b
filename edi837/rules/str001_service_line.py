"""STR001: a claim has at least one service line (loop 2400)."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.claim.model import Claim
from edi837.rules.registry import rule
from edi837.rules.structure import TR3_CITE
from edi837.verdicts import Finding


@rule(
    "STR001",
    title="Claim has at least one service line",
    kind="structure",
    stc="A6:247",  # missing: 247 line information
    cite=f"{TR3_CITE}: loop 2400 is required",
    fix="Add the service line(s) (LX/SV1 or SV2).",
)
def service_line(claim: Claim) -> Iterator[Finding]:
    """A claim bills its services on 2400 lines; one without any bills nothing a payer
    can adjudicate, so the front end rejects it whole (and no line-level check runs on
    it). With TR3 validation on, the missing loop is TR3001's root cause and this
    finding is not repeated."""
    if not claim.lines:
        yield service_line.finding(
            f"claim {claim.CLM01} has no service line (2400 LX)",
            segment=claim.position,
            loop="2300",
        )
