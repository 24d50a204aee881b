"""STR007: every service line has its SV1 (837P) or SV2 (837I) segment."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.claim.model import Claim
from edi837.rules.registry import rule
from edi837.rules.structure import TR3_CITE
from edi837.verdicts import Finding


@rule(
    "STR007",
    title="Service line has SV1/SV2",
    kind="structure",
    stc="A6:247",  # missing: 247 line information
    cite=f"{TR3_CITE}: SV1 (837P) / SV2 (837I) is required in loop 2400",
    fix="Add the SV1/SV2 segment to the line.",
)
def service_segment(claim: Claim) -> Iterator[Finding]:
    """A 2400 line without SV1/SV2 names no procedure, charge or units: there is nothing
    on it to screen or pay. With TR3 validation on, the missing segment is TR3001's root
    cause and this finding is not repeated."""
    for line in claim.lines:
        if not line.procedure and not line.revenue_code:
            yield service_segment.finding(
                f"line {line.LX01} has no SV1/SV2 service segment",
                segment=line.position,
                loop="2300",
            )
