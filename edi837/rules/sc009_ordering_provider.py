"""SC009: the ordering provider is the authorization's, and in network."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.context import ClaimContext, ordering_candidates, role_entity
from edi837.rules.registry import rule
from edi837.verdicts import Finding


@rule(
    "SC009",
    title="Ordering provider matches the order and is in network",
    kind="claim",
    stc="A7:96:DK",
    branches={
        # the claim's ordering provider is not the order's (two fields that disagree)
        "other_provider": "A8:84",
    },
    cite="in_network_required",
    fix="Bill under the in-network ordering provider named on the order summary "
    "(837P: 2420E NM1*DK; 837I: attending 2310A or referring 2310F).",
)
def ordering_provider(ctx: ClaimContext) -> Iterator[Finding]:
    """The *ordering* (not servicing) provider bills the S-codes. On an 837P the line's
    2420E NM1*DK names it (falling back to rendering, then billing); an 837I has no
    ordering loop, so the attending or referring provider must be the order's provider.
    That provider must be in network in the provider feed; one missing from the feed is
    treated as not shown to be in network, and the message says so.

    277CA: out of network ``A7:96`` (no agreement with entity), the entity being the
    provider checked (DK 2420E, 82 rendering, 85 billing; 837I: 71 attending, DN
    referring); a provider other than the order's ``A8:84``."""
    claim, policy = ctx.claim, ctx.policy
    providers = ctx.run.providers
    line_auth = ctx.line_auth  # the order each line is billed under, whether SC008 runs or not
    for line in claim.lines:
        if not line.is_s_code:
            continue
        candidates = ordering_candidates(claim, line)
        auth = line_auth.get(line.LX01)
        chosen = candidates[0]
        if auth is not None and auth.ordering_npi:
            matching = [c for c in candidates if c[1].npi == auth.ordering_npi]
            if not matching:
                role, prov = candidates[0]
                yield ordering_provider.finding(
                    f"{line.procedure} line {line.LX01}: {role} NPI {prov.npi} is not the "
                    f"ordering provider {auth.ordering_npi} of order {auth.order_id}",
                    policy=policy,
                    line=line.LX01,
                    segment=prov.position or line.position,
                    loop="2420E" if role.startswith("ordering") else "2310",
                    value=prov.npi,
                    branch="other_provider",
                )
                continue
            chosen = matching[0]
        if providers is None or not policy.in_network_required:
            continue
        role, prov = chosen
        record = providers.get(prov.npi)
        if record is None or not record.in_network:
            state = "is not in the provider feed" if record is None else "is out of network"
            yield ordering_provider.finding(
                f"{line.procedure} line {line.LX01}: {role} NPI {prov.npi} {state}; only "
                "in-network ordering providers are eligible for S-codes",
                policy=policy,
                line=line.LX01,
                segment=prov.position or line.position,
                loop="2420E" if role.startswith("ordering") else "2310",
                value=prov.npi,
                entity=role_entity(role),
            )
