"""SC008: an authorized order covers the member, the date and the billed S-code."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.claim.model import ServiceLine
from edi837.feeds import Authorization
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
    feed = ctx.run.authorizations
    if feed is None:
        return
    claim = ctx.claim
    for line in claim.lines:
        if not line.is_s_code:
            continue
        day = claim.line_date(line)
        order_id = ctx.order_id(line)
        if order_id:
            yield from _by_order(ctx, line, order_id, day)
            continue
        candidates = ordering_candidates(claim, line)
        npis = {p.npi for _, p in candidates}
        entity = role_entity(candidates[0][0])
        matches = [
            a
            for a in feed.for_member(claim.member_id)
            if a.status == "authorized"
            and a.ordering_npi in npis
            and day is not None
            and a.covers(day)
            and line.procedure in a.s_codes
        ]
        if matches:
            auth = matches[0]
            ctx.line_auth[line.LX01] = auth
            yield authorization.finding(
                f"{line.procedure} on {day} has no REF*G1 order id; matched order "
                f"{auth.order_id} by member {claim.member_id}, ordering NPI "
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
        else:
            yield authorization.finding(
                f"{line.procedure} on {day} has no REF*G1 order id and no authorized order "
                f"for member {claim.member_id}, ordering NPI(s) {', '.join(sorted(npis))} "
                "covers that date and code",
                line=line.LX01,
                segment=line.date_at,
                loop="2300",
                branch="missing",
                entity=entity,
                fix="Add the order id from the order summary in REF*G1, or obtain an "
                "authorization before billing the S-code.",
            )


def _by_order(ctx: ClaimContext, line: ServiceLine, order_id: str, day) -> Iterator[Finding]:
    claim = ctx.claim
    where = {"line": line.LX01, "segment": line.date_at, "loop": "2400", "value": order_id}
    entity = role_entity(ordering_candidates(claim, line)[0][0])
    orders = ctx.run.authorizations.for_order(order_id)  # type: ignore[union-attr]
    if not orders:
        yield authorization.finding(
            f"order id {order_id} (REF*G1) is not in the authorization feed",
            branch="unknown",
            entity=entity,
            fix="Check the order id against the order summary; correct REF*G1.",
            **where,
        )
        return
    mine = [a for a in orders if a.member_id == claim.member_id]
    if not mine:
        yield authorization.finding(
            f"order {order_id} was issued for member {orders[0].member_id}, but this claim "
            f"is for member {claim.member_id}",
            branch="other_member",
            fix="Use the order id issued for this member, or correct the member id.",
            **where,
        )
        return
    problems: list[tuple[str, str]] = []
    for auth in mine:
        refusal = _refusal(auth, line.procedure, day)
        if refusal is None:
            ctx.line_auth[line.LX01] = auth
            return
        problems.append(refusal)
    branch, reason = problems[0]
    yield authorization.finding(f"{line.procedure} on {day}: {reason}", branch=branch, **where)


def _refusal(auth: Authorization, procedure: str, day) -> tuple[str, str] | None:
    """(branch, why) this authorization does not cover the line, or None when it does;
    the branch ("" = the rule's usual A7:84) picks the 277CA answer."""
    if auth.status != "authorized":
        return "", f"order {auth.order_id} is {auth.status}; no S-codes are awarded"
    if day is None:
        return "no_date", f"no service date to check against order {auth.order_id}"
    if not auth.covers(day):
        return "outside_dates", (
            f"outside order {auth.order_id}'s valid dates {auth.valid_from} to {auth.valid_to}"
        )
    if procedure not in auth.s_codes:
        return "not_awarded", (
            f"order {auth.order_id} awards {', '.join(sorted(auth.s_codes)) or 'no S-code'},"
            f" not {procedure}"
        )
    return None
