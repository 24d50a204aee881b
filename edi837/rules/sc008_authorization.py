"""SC008: an authorized order covers the member, the date and the billed S-code."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.authorization import AuthMatch, Outcome
from edi837.rules.context import ClaimContext, ordering_candidates, role_entity
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
    branches={
        # REF*G1 absent and no authorization found by member, ordering NPI and date
        "missing": "A6:252:DK",
        # REF*G1 absent, an authorization found: a warning (never in a 277CA)
        "matched": "A6:252:DK",
        # REF*G1 names no order in the feed
        "unknown": "A7:252:DK",
        # the order was issued for another member: REF*G1 against the subscriber
        "other_member": "A8:252:IL",
        # the service date is outside the order's valid dates
        "outside_dates": "A8:84",
        # the billed S-code is not among the order's awarded codes
        "not_awarded": "A8:84",
        # no service date to hold against the order's dates
        "no_date": "A6:187",
    },
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
    reports that once) rather than rejecting every claim.

    277CA answers by what is wrong: a missing order id ``A6:252`` (missing), an order id
    the feed does not know ``A7:252`` (invalid), an order of another member ``A8:252:IL``
    and a date or code the order does not cover ``A8:84`` (relational: two fields that
    do not agree), an order not authorized ``A7:84``. 252's entity is the ordering
    provider the order was issued to, as the claim names it (DK 2420E, 82 rendering,
    85 billing; 837I: 71 attending, DN referring)."""
    for m in ctx.authorizations.values():
        yield from _findings(ctx, m)


def _findings(ctx: ClaimContext, m: AuthMatch) -> Iterator[Finding]:
    line, day, order_id, member = m.line, m.day, m.order_id, ctx.claim.member_id
    where = {"line": line.LX01, "segment": line.date_at, "loop": "2400", "value": order_id}
    # 252's entity: the ordering provider the order was issued to, as the claim names it
    entity = role_entity(ordering_candidates(ctx.claim, line)[0][0])
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
            branch="matched",
            entity=entity,
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
            branch="missing",
            entity=entity,
            fix="Add the order id from the order summary in REF*G1, or obtain an "
            "authorization before billing the S-code.",
        )
    elif m.outcome is Outcome.UNKNOWN_ORDER:
        yield authorization.finding(
            f"order id {order_id} (REF*G1) is not in the authorization feed",
            branch="unknown",
            entity=entity,
            fix="Check the order id against the order summary; correct REF*G1.",
            **where,
        )
    elif m.outcome is Outcome.OTHER_MEMBER:
        yield authorization.finding(
            f"order {order_id} was issued for member {m.detail}, but this claim "
            f"is for member {member}",
            branch="other_member",
            fix="Use the order id issued for this member, or correct the member id.",
            **where,
        )
    elif m.outcome is Outcome.REFUSED:
        yield authorization.finding(
            f"{line.procedure} on {day}: {m.detail}", branch=m.branch, **where
        )
