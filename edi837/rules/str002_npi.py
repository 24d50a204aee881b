"""STR002: every NPI the claim names carries a valid check digit."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from edi837.claim.model import Claim
from edi837.npi import is_valid_npi
from edi837.rules.registry import rule
from edi837.verdicts import Finding


@lru_cache(maxsize=8192)
def _npi_ok(npi: str) -> bool:
    return is_valid_npi(npi)  # the same few NPIs recur on every claim of a batch


@rule(
    "STR002",
    title="NPIs carry a valid check digit",
    kind="structure",
    stc="A7:562:85",  # entity by the NPI's role: 85, 71 attending, DN, 82, DK
    branches={"missing": "A6:562:85"},
    cite="CMS NPI standard: Luhn check digit over 80840 + first 9 digits",
    fix="Correct the NPI (a typo usually breaks the check digit).",
)
def npi(claim: Claim) -> Iterator[Finding]:
    """The billing (2010AA), attending, referring, rendering (2310) and line ordering
    (2420E) NPIs must pass the Luhn check digit, and the billing provider must have an
    NPI at all (NM108 XX): a typo usually breaks the check digit, and a payer cannot
    match a provider by an NPI that is no NPI (nor can the provider feed and the order's
    ordering provider be checked against it). Not checked on a claim without lines
    (STR001 rejects it whole)."""
    if not claim.lines:
        return
    for role, prov, entity in (
        ("billing provider 2010AA", claim.billing, "85"),
        ("attending provider 2310A", claim.attending, "71"),
        ("referring provider", claim.referring, "DN"),
        ("rendering provider 2310B", claim.rendering, "82"),
    ):
        if prov is not None and prov.npi and not _npi_ok(prov.npi):
            yield npi.finding(
                f"{role} NPI {prov.npi} fails the NPI check digit",
                segment=prov.position,
                loop="2300",
                entity=entity,
            )
    if not claim.billing.npi:
        yield npi.finding(
            "billing provider 2010AA has no NPI (NM108 XX)",
            segment=claim.position,
            loop="2300",
            branch="missing",
        )
    for line in claim.lines:
        ordering = line.ordering
        if ordering is not None and ordering.npi and not _npi_ok(ordering.npi):
            yield npi.finding(
                f"ordering provider 2420E NPI {ordering.npi} fails the NPI check digit",
                segment=ordering.position,
                loop="2300",
                entity="DK",
            )
