"""What ``edi837 history show`` tells about a member: per patient (the member and any
dependants), the S-code timeline, the rejected claims with their reasons, the S0354
months used of the months each order allows, and the next date an S0354 would be
accepted.

The month limit is the policy's, as SC007 computes it (the authorization feed's
``s0354_max_months`` and ``regimen`` when a feed is given, else the profile default).
The next date is the first day after the patient's accepted services that SC005 and
SC006 would accept: the latest S0354 plus the interval, and the S0353 plus the gap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from edi837.feeds import AuthorizationFeed
from edi837.policy import Policy
from edi837.store.schema import SqlHistory, TimelineRow


@dataclass
class OrderUsage:
    order_id: str
    used: int  # S0354 units accepted (not withdrawn) under the order
    allowed: int | None  # None: the profile sets no limit and the feed gives none
    regimen: str = ""

    @property
    def used_up(self) -> bool:
        return self.allowed is not None and self.used >= self.allowed


@dataclass
class PatientSummary:
    patient_key: str
    services: list[TimelineRow] = field(default_factory=list)
    rejected: list[TimelineRow] = field(default_factory=list)
    orders: list[OrderUsage] = field(default_factory=list)
    next_s0354: date | None = None
    next_note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "patient_key": self.patient_key,
            "services": [_service(r) for r in self.services],
            "rejected": [_rejected(r) for r in self.rejected],
            "orders": [
                {
                    "order_id": o.order_id,
                    "s0354_months_used": o.used,
                    "s0354_months_allowed": o.allowed,
                    "regimen": o.regimen,
                }
                for o in self.orders
            ],
            "next_s0354": self.next_s0354.isoformat() if self.next_s0354 else None,
            "next_s0354_note": self.next_note,
        }


def _service(r: TimelineRow) -> dict[str, Any]:
    return {
        "date": r.service_date.isoformat(),
        "procedure": r.procedure,
        "units": r.units,
        "claim_id": r.claim_id,
        "form": r.form,
        "frequency": r.frequency,
        "order_id": r.order_id,
        "status": r.status,
        "source_file": r.source_file,
        "isa13": r.isa13,
    }


def _rejected(r: TimelineRow) -> dict[str, Any]:
    return {
        "claim_id": r.claim_id,
        "form": r.form,
        "frequency": r.frequency,
        "source_file": r.source_file,
        "isa13": r.isa13,
        "reasons": reasons(r),
    }


def reasons(row: TimelineRow) -> list[str]:
    """A rejected claim's reasons, one per finding ("SC006: ...")."""
    return [part for part in (row.reasons or "").split("; ") if part]


def member_summary(
    store: SqlHistory, member: str, policy: Policy, authorizations: AuthorizationFeed | None = None
) -> list[PatientSummary]:
    """One summary per patient key of the member (empty: the store knows no such member)."""
    patients: dict[str, PatientSummary] = {}

    def of(key: str) -> PatientSummary:
        return patients.setdefault(key, PatientSummary(key))

    for row in store.timeline_rows(member):
        of(row.patient_key).services.append(row)
    for row in store.rejected_rows(member):
        of(row.patient_key).rejected.append(row)
    for summary in patients.values():
        _fill(summary, policy, authorizations)
    return [patients[k] for k in sorted(patients)]


def _fill(
    summary: PatientSummary, policy: Policy, authorizations: AuthorizationFeed | None
) -> None:
    standing = [r for r in summary.services if r.status == "accepted"]
    used: dict[str, int] = defaultdict(int)
    for r in standing:
        if r.procedure == "S0354":
            used[r.order_id] += r.units
    for order_id in sorted(used):
        auths = authorizations.for_order(order_id) if authorizations else []
        months = auths[0].s0354_max_months if auths else None
        regimen = auths[0].regimen if auths else ""
        summary.orders.append(
            OrderUsage(order_id, used[order_id], policy.max_months(months, regimen), regimen)
        )
    s0354 = [r.service_date for r in standing if r.procedure == "S0354"]
    s0353 = [r.service_date for r in standing if r.procedure == "S0353"]
    candidates = [d + timedelta(days=policy.s0354_min_interval_days) for d in s0354]
    candidates += [d + timedelta(days=policy.s0354_gap_after_s0353_days) for d in s0353]
    if not candidates:
        summary.next_note = "no accepted S0353 or S0354: any date the order covers"
        return
    latest = max(s0354 + s0353)
    summary.next_s0354 = max(candidates)
    summary.next_note = (
        f"{(summary.next_s0354 - latest).days} days after the latest "
        f"accepted S-code service ({latest})"
    )
    if summary.orders and all(o.used_up for o in summary.orders):
        summary.next_note += "; the order's S0354 months are used up: a new order is needed"
