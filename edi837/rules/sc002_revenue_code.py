"""SC002: on an 837I (UB-04) an S-code line carries revenue code 0960."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.claim.model import FORM_837I
from edi837.rules.context import ClaimContext
from edi837.rules.registry import rule
from edi837.verdicts import Finding


@rule(
    "SC002",
    title="UB-04 S-code line needs revenue code 0960",
    kind="claim",
    stc="A7:455",
    cite="required_revenue_code",
    fix="Put revenue code 0960 in SV201 of the S-code line.",
)
def revenue_code(ctx: ClaimContext) -> Iterator[Finding]:
    """SV201 of an S-code line on an 837I must be the profile's revenue code (0960).
    0980 gets its own message: BCBSMA retired it in December 2021 *for all dates of
    service* (so an old service date does not make 0980 acceptable)."""
    policy = ctx.policy
    required = policy.required_revenue_code
    if ctx.claim.form != FORM_837I or not required:
        return
    for line in ctx.claim.lines:
        if not line.is_s_code or line.revenue_code == required:
            continue
        seen = line.revenue_code or "(none)"
        if line.revenue_code in policy.retired_revenue_codes:
            yield revenue_code.finding(
                f"{line.procedure} on line {line.LX01} uses retired revenue code {seen}; "
                f"{required} replaced it in December 2021 for all dates of service",
                policy=policy,
                line=line.LX01,
                segment=line.service_at,
                loop="2400",
                value=seen,
                fix=f"Change SV201 from {seen} to {required} and resubmit.",
            )
        else:
            yield revenue_code.finding(
                f"{line.procedure} on line {line.LX01} has revenue code {seen}, "
                f"expected {required}",
                policy=policy,
                line=line.LX01,
                segment=line.service_at,
                loop="2400",
                value=seen,
            )
