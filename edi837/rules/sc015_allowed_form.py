"""SC015: the claim form is one the program accepts for S-codes."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.context import ClaimContext
from edi837.rules.registry import rule
from edi837.verdicts import Finding


@rule(
    "SC015",
    title="Claim form allowed for S-codes",
    kind="claim",
    stc="A7:732",
    detail="A7:276",  # the inconsistent information: the claim form
    cite="allowed_forms",
    fix="Bill the S-code on a form the program accepts.",
)
def allowed_form(ctx: ClaimContext) -> Iterator[Finding]:
    """The profile's ``allowed_forms`` (837P, 837I) lists the forms the program pays
    S-codes on; the shipped profiles allow both. 277CA ``A7:732`` with ``A7:276``
    (UB04/HCFA-1450/1500 claim form) in STC10."""
    allowed = ctx.policy.allowed_forms
    if ctx.claim.form not in allowed:
        yield allowed_form.finding(
            f"S-codes billed on an {ctx.claim.form}; this program accepts {' or '.join(allowed)}",
            policy=ctx.policy,
            segment=ctx.claim.position,
            loop="2300",
            value=ctx.claim.form,
        )
