"""STR006: 837P service lines carry a service date (DTP*472)."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.claim.model import FORM_837I, Claim
from edi837.rules.registry import rule
from edi837.rules.structure import TR3_CITE
from edi837.verdicts import Finding


@rule(
    "STR006",
    title="837P lines carry a service date",
    kind="structure",
    stc="A6:187",  # missing date(s) of service
    cite=f"{TR3_CITE}: 837P 2400 DTP*472 is required",
    fix="Add DTP*472 to the line.",
)
def service_date(claim: Claim) -> Iterator[Finding]:
    """Every 837P line needs its date of service (DTP*472): the frequency, interval and
    authorization rules all count from it. An 837I line may go without one (the
    statement period, DTP*434, dates it). A DTP*472 that is there but not a date is
    STR003's, not a missing date."""
    if claim.form == FORM_837I:
        return
    for line in claim.lines:
        if line.date_position is None:
            yield service_date.finding(
                f"line {line.LX01} has no service date (DTP*472 is required on an 837P)",
                segment=line.position,
                loop="2400",
            )
