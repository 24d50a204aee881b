"""A patient's accepted S-code services, in one place for the frequency rules.

"Once per 30 days" and "up to N months" are counted here and nowhere else:

* an interval of ``d`` days between two services means ``later - earlier`` in calendar
  days; "at least 30 days after" means ``later >= earlier + 30`` (day 30 accepted, day
  29 rejected) -- ``days_between`` and ``within`` below are the only implementation;
* "up to N months" counts S0354 *units* accepted under one authorization (order id).

Services come from this run's accepted claims and from the history store; a rejected
claim never enters a timeline (it was not reimbursed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Service:
    """One accepted S-code line."""

    procedure: str
    service_date: date
    units: int
    claim_id: str
    form: str
    order_id: str = ""
    member_id: str = ""
    source: str = ""  # origin: content hash of the file it came from and its CLM ordinal
    line: int = 0  # LX01
    # The claim a replacement chain stands for: the original's CLM01 (a replacement
    # inherits it), so a second replacement naming the original finds the one that stands.
    chain: str = ""
    # What makes a resent claim a duplicate (SC016): the line's charge (SV102/SV203,
    # normalized) and ordering NPI, and the claim's billing NPI.
    charge: str = ""
    ordering_npi: str = ""
    billing_npi: str = ""

    @property
    def stands_for(self) -> str:
        return self.chain or self.claim_id


def days_between(earlier: date, later: date) -> int:
    return (later - earlier).days


def within(a: date, b: date, days: int) -> bool:
    """True when the two dates are fewer than ``days`` apart (either order)."""
    return abs((b - a).days) < days


class Timeline:
    """The accepted services of one patient, newest knowledge first-class."""

    def __init__(self, services: Iterable[Service] = ()) -> None:
        self.services: list[Service] = list(services)

    def __iter__(self) -> Iterator[Service]:
        return iter(self.services)

    def __len__(self) -> int:
        return len(self.services)

    def of(self, procedure: str, *, excluding_claim: str = "") -> list[Service]:
        return [
            s
            for s in self.services
            if s.procedure == procedure and (not excluding_claim or s.claim_id != excluding_claim)
        ]

    def units_for_order(self, order_id: str, *, excluding_claim: str = "") -> int:
        return sum(
            s.units
            for s in self.services
            if s.procedure == "S0354"
            and s.order_id == order_id
            and (not excluding_claim or s.claim_id != excluding_claim)
        )

    def add(self, services: Iterable[Service]) -> None:
        self.services.extend(services)

    def standing_for(self, claim_ids: Iterable[str]) -> list[Service]:
        """The services of the claim that currently stands for one of these claim ids:
        the original itself, or the latest replacement in its chain."""
        ids = {c for c in claim_ids if c}
        return [s for s in self.services if s.claim_id in ids or s.stands_for in ids]

    def remove_claim(self, claim_ids: Iterable[str]) -> list[Service]:
        """Withdraw the services of the claim that stands for the given claim ids (a void
        or replacement); see ``standing_for``."""
        removed = self.standing_for(claim_ids)
        if removed:
            gone = {id(s) for s in removed}
            self.services = [s for s in self.services if id(s) not in gone]
        return removed

    def remove_origin(self, origin: str) -> list[Service]:
        """Take out one claim's services (by origin); returns them."""
        removed = [s for s in self.services if s.source == origin]
        if removed:
            self.services = [s for s in self.services if s.source != origin]
        return removed
