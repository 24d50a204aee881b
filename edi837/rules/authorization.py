"""Which authorization covers an S-code line: worked out once per claim, read by three rules.

SC008 reports why a line has no covering order, SC007 counts S0354 months under the
order that covers it and SC009 checks that the order's ordering provider billed it. They
all need the same answer, so it is computed here (``ClaimContext.authorizations``, on
first use) and not by SC008 for the others to read: with SC008 turned off
(``--ignore SC008``) SC007 and SC009 still see the order the line is billed under.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from edi837.claim.model import Claim, ServiceLine
from edi837.feeds import Authorization, AuthorizationFeed


class Outcome(Enum):
    """How the line's authorization was looked for, and what was found."""

    COVERED = "covered"  # REF*G1 names an order that covers the line
    MATCHED = "matched"  # no REF*G1: found by member, ordering NPI and date
    UNMATCHED = "unmatched"  # no REF*G1 and no authorized order fits
    UNKNOWN_ORDER = "unknown order"  # REF*G1 names an order the feed does not hold
    OTHER_MEMBER = "other member"  # the order was issued for another member
    REFUSED = "refused"  # the member's order does not cover the line (status, dates, code)


@dataclass(frozen=True, slots=True)
class AuthMatch:
    """The authorization answer for one S-code line.

    ``auth`` is the covering authorization (COVERED, MATCHED), else None. ``detail`` is
    what the finding needs to say: the refusal reason (REFUSED), the member the order
    was issued for (OTHER_MEMBER), the ordering NPIs tried (UNMATCHED).
    """

    line: ServiceLine
    day: date | None
    order_id: str  # REF*G1 as sent (line, else claim); "" when there is none
    outcome: Outcome
    auth: Authorization | None = None
    detail: str = ""
    branch: str = ""  # REFUSED: why, as SC008's 277CA branch (outside_dates, not_awarded...)


def match_authorizations(
    feed: AuthorizationFeed, claim: Claim, npis_of: Callable[[ServiceLine], set[str]]
) -> dict[int, AuthMatch]:
    """Every S-code line's answer by LX01, in line order. ``npis_of(line)`` gives the
    ordering provider NPIs a match without REF*G1 may name (``ordering_candidates``)."""
    out: dict[int, AuthMatch] = {}
    for line in claim.lines:
        if not line.is_s_code:
            continue
        day = claim.line_date(line)
        order_id = line.REF_G1 or claim.REF_G1
        if order_id:
            out[line.LX01] = _by_order(feed, claim, line, order_id, day)
        else:
            out[line.LX01] = _by_member(feed, claim, line, day, npis_of(line))
    return out


def _by_order(
    feed: AuthorizationFeed, claim: Claim, line: ServiceLine, order_id: str, day: date | None
) -> AuthMatch:
    orders = feed.for_order(order_id)
    if not orders:
        return AuthMatch(line, day, order_id, Outcome.UNKNOWN_ORDER)
    mine = [a for a in orders if a.member_id == claim.member_id]
    if not mine:
        return AuthMatch(line, day, order_id, Outcome.OTHER_MEMBER, detail=orders[0].member_id)
    reasons: list[tuple[str, str]] = []
    for auth in mine:
        reason = refusal(auth, line.procedure, day)
        if reason is None:
            return AuthMatch(line, day, order_id, Outcome.COVERED, auth)
        reasons.append(reason)
    branch, why = reasons[0]
    return AuthMatch(line, day, order_id, Outcome.REFUSED, detail=why, branch=branch)


def _by_member(
    feed: AuthorizationFeed, claim: Claim, line: ServiceLine, day: date | None, npis: set[str]
) -> AuthMatch:
    for a in feed.for_member(claim.member_id):
        if (
            a.status == "authorized"
            and a.ordering_npi in npis
            and day is not None
            and a.covers(day)
            and line.procedure in a.s_codes
        ):
            return AuthMatch(line, day, "", Outcome.MATCHED, a)
    return AuthMatch(line, day, "", Outcome.UNMATCHED, detail=", ".join(sorted(npis)))


def refusal(auth: Authorization, procedure: str, day: date | None) -> tuple[str, str] | None:
    """(branch, why) this authorization does not cover the line, or None when it does;
    the branch ("" = SC008's usual A7:84) picks the 277CA answer."""
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
