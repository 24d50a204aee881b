"""STR003: dates are valid CCYYMMDD."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.claim.model import Claim
from edi837.rules.registry import rule
from edi837.rules.structure import TR3_CITE
from edi837.verdicts import Finding


@rule(
    "STR003",
    title="Dates are valid CCYYMMDD",
    kind="structure",
    stc="A7:187",  # date(s) of service (DTP*472)
    branches={"statement_dates": "A7:188"},  # DTP*434 statement from-through dates
    cite=f"{TR3_CITE}: DTP03 / DMG02 date format",
    fix="Send a real calendar date.",
)
def dates(claim: Claim) -> Iterator[Finding]:
    """A service date (DTP*472) or statement period (DTP*434) that is not a calendar
    date (20260231, 2026-03-01) cannot be checked against an authorization, an interval
    or a filing limit, so the claim is rejected rather than judged on a guess. The
    reader notes each such date (the model then holds no date); this rule reports it."""
    for problem in claim.problems:
        if problem.rule == "STR003":
            branch = "statement_dates" if problem.message.startswith("DTP*434") else ""
            yield dates.finding(problem.message, segment=problem.where, loop="2300", branch=branch)
