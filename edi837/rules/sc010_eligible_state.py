"""SC010: the billing provider practises in a state the program covers (carelon-ma)."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.context import ClaimContext
from edi837.rules.registry import rule
from edi837.verdicts import Finding


@rule(
    "SC010",
    title="Provider state eligible for the program",
    kind="claim",
    stc="A7:677:85",  # 677 needs an entity: the billing provider
    cite="eligible_states",
    fix="Only providers in the program's states may bill these S-codes; do not bill "
    "them from this location.",
)
def eligible_state(ctx: ClaimContext) -> Iterator[Finding]:
    """When the profile lists eligible states, the billing provider's 2010AA N4 state must
    be one of them. Empty list: no state restriction."""
    states = ctx.policy.eligible_states
    if not states:
        return
    billing = ctx.claim.billing
    if billing.state.upper() not in states:
        yield eligible_state.finding(
            f"billing provider {billing.npi} is in {billing.state or '(no N4 state)'}, not one "
            f"of the program's states ({', '.join(states)})",
            policy=ctx.policy,
            segment=billing.position,
            loop="2010AA",
            value=billing.state,
        )
