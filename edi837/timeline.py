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
            s for s in self.services
            if s.procedure == procedure and (not excluding_claim or s.claim_id != excluding_claim)
        ]

    def units_for_order(self, order_id: str, *, excluding_claim: str = "") -> int:
        return sum(
            s.units for s in self.services
            if s.procedure == "S0354" and s.order_id == order_id
            and (not excluding_claim or s.claim_id != excluding_claim)
        )

    def add(self, services: Iterable[Service]) -> None:
        self.services.extend(services)

    def remove_claim(self, claim_ids: Iterable[str]) -> list[Service]:
        """Withdraw every service of the given claim ids (a void or replacement)."""
        ids = {c for c in claim_ids if c}
        removed = [s for s in self.services if s.claim_id in ids]
        if removed:
            self.services = [s for s in self.services if s.claim_id not in ids]
        return removed
