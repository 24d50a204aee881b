"""SC008: an authorized order covers the member, the date and the billed S-code."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.authorization import AuthMatch, Outcome
from edi837.rules.context import ClaimContext
from edi837.rules.registry import rule
from edi837.verdicts import Finding, Severity

CITE = (
    'bcbsma-quality-cancer-care-program-faq.txt, order summary: "A valid date range; An '
    'order ID number ...; S-Codes awarded"; "an order ID number will not be given if '
    'the request is denied"'
)


@rule(
    "SC008",
    title="Authorization exists, is authorized, covers date and code",
    kind="claim",
    stc="A7:84",
    cite=CITE,
    fix="Bill only S-codes awarded on an authorized order, within its valid dates, with its "
    "order id in REF*G1.",
)
def authorization(ctx: ClaimContext) -> Iterator[Finding]:
    """The order id is REF*G1 on the line (837P) or claim (2300). With it, the order must
    exist for this member, be ``authorized`` (not non-authorized or cancelled), contain the
    service date in its valid range and award the billed code. Without REF*G1 the line is
    matched by member, ordering NPI and date: a match is a warning (add the order id), no
    match is a rejection. Without an authorization feed this rule cannot run (the run
    reports that once) rather than rejecting every claim."""
    for m in ctx.authorizations.values():
        yield from _findings(ctx, m)


def _findings(ctx: ClaimContext, m: AuthMatch) -> Iterator[Finding]:
    line, day, order_id, member = m.line, m.day, m.order_id, ctx.claim.member_id
    where = {"line": line.LX01, "segment": line.date_at, "loop": "2400", "value": order_id}
    if m.outcome is Outcome.MATCHED:
        auth = m.auth
        assert auth is not None
        yield authorization.finding(
            f"{line.procedure} on {day} has no REF*G1 order id; matched order "
            f"{auth.order_id} by member {member}, ordering NPI "
            f"{auth.ordering_npi} and date",
            policy=None,
            line=line.LX01,
            segment=line.date_at,
            loop="2400",
            severity=Severity.WARNING,
            value="",
            fix=f"Send REF*G1*{auth.order_id} on the claim (2300) or the line (2400).",
        )
    elif m.outcome is Outcome.UNMATCHED:
        yield authorization.finding(
            f"{line.procedure} on {day} has no REF*G1 order id and no authorized order "
            f"for member {member}, ordering NPI(s) {m.detail} "
            "covers that date and code",
            line=line.LX01,
            segment=line.date_at,
            loop="2300",
            category="A6",
            status_code="252",
            fix="Add the order id from the order summary in REF*G1, or obtain an "
            "authorization before billing the S-code.",
        )
    elif m.outcome is Outcome.UNKNOWN_ORDER:
        yield authorization.finding(
            f"order id {order_id} (REF*G1) is not in the authorization feed",
            category="A7",
            status_code="252",
            fix="Check the order id against the order summary; correct REF*G1.",
            **where,
        )
    elif m.outcome is Outcome.OTHER_MEMBER:
        yield authorization.finding(
            f"order {order_id} was issued for member {m.detail}, but this claim "
            f"is for member {member}",
            category="A8",
            status_code="252",
            fix="Use the order id issued for this member, or correct the member id.",
            **where,
        )
    elif m.outcome is Outcome.REFUSED:
        yield authorization.finding(f"{line.procedure} on {day}: {m.detail}", **where)
