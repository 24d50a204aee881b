"""The history store interface: what the judge needs to remember across runs.

The judge works one patient at a time: it loads that patient's accepted S-code services,
judges the run's claims for the patient in service-date order, then records what it
accepted, voided or replaced. ``MemoryHistory`` keeps nothing between runs (--no-history);
SQLite and PostgreSQL stores implement the same interface.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from edi837.timeline import Service


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """What the store remembers of one judged claim."""

    patient_key: str
    member_id: str
    claim_id: str
    form: str
    frequency: str
    status: str  # accepted / rejected
    services: tuple[Service, ...]  # accepted S-code lines (empty when rejected)
    source_file: str = ""
    sender: str = ""
    isa13: str = ""
    content_hash: str = ""


class HistoryStore:
    """Base class; the default implementation keeps history for one run only."""

    def services(self, patient_key: str) -> list[Service]:
        """Accepted S-code services of a patient, from earlier runs."""
        return []

    def lock_patients(self, patient_keys: Iterable[str]) -> None:
        """Serialize concurrent workers on these patients (no-op without sharing)."""

    def record(self, record: ClaimRecord) -> None:
        """Remember a judged claim (replacing an earlier record of the same claim id)."""

    def withdraw(self, patient_key: str, claim_ids: Iterable[str]) -> None:
        """A void or replacement: the original's services no longer count."""

    def begin(self) -> None:
        """Start the transaction that one batch's verdicts are written in."""

    def commit(self) -> None:
        """Make the batch's verdicts durable, all or nothing."""

    def rollback(self) -> None:
        """Drop the batch's uncommitted verdicts."""

    def close(self) -> None:
        """Release the connection."""


@dataclass
class MemoryHistory(HistoryStore):
    """History kept in memory: used by tests and to seed a run from a list of services."""

    by_patient: dict[str, list[Service]] = field(default_factory=dict)
    records: dict[tuple[str, str], ClaimRecord] = field(default_factory=dict)

    def services(self, patient_key: str) -> list[Service]:
        return list(self.by_patient.get(patient_key, []))

    def record(self, record: ClaimRecord) -> None:
        self.records[(record.patient_key, record.claim_id)] = record
        if record.status == "accepted":
            # Replace this claim's own services (same claim id, same origin); another
            # claim reusing the CLM01 keeps its services.
            origins = {s.source for s in record.services}
            kept = [s for s in self.by_patient.get(record.patient_key, [])
                    if s.claim_id != record.claim_id or s.source not in origins]
            self.by_patient[record.patient_key] = kept + list(record.services)

    def withdraw(self, patient_key: str, claim_ids: Iterable[str]) -> None:
        ids = set(claim_ids)
        self.by_patient[patient_key] = [
            s for s in self.by_patient.get(patient_key, []) if s.claim_id not in ids
        ]
