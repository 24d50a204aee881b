"""The history store interface: what the judge needs to remember across runs.

The judge works one patient at a time: it loads that patient's accepted S-code services,
judges the run's claims for the patient in service-date order, then records what it
accepted, voided or replaced. It takes the patients in chunks of ``LOCK_CHUNK``, in
code-point order of their keys: ``lock_patients(chunk)``, then ``prefetch(chunk)`` (one
query per table for the whole chunk), then the chunk's patients one by one; so no
statement, lock list or read-ahead grows with the batch. ``MemoryHistory`` keeps every
patient in memory (tests, seeding a run); ``edi837.store.MemoryStore`` (--no-history)
only the patient being judged. SQLite and PostgreSQL stores implement the same interface.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from edi837.timeline import Service

LOCK_CHUNK = 1000
"""Patients per ``lock_patients`` statement and per ``prefetch``: bounds the statements'
size and what is read ahead, whatever the batch holds."""


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
    # The claim's identity across runs: its file's content hash and CLM ordinal (see
    # ``Judge.origin``). Records are keyed by (patient, origin), never by CLM01: patient
    # control numbers are reused.
    origin: str = ""
    chain: str = ""  # the original CLM01 this claim stands for (a replacement's REF*F8)
    withdrawn_by: str = ""  # origin of the void or replacement that withdrew it
    reasons: str = ""  # a rejected claim's rejecting findings, "SC006: ...; SC004: ..."

    @property
    def key(self) -> str:
        """``origin``, else one derived from the services or file and CLM01 (imports,
        hand-built records)."""
        if self.origin:
            return self.origin
        sources = sorted({s.source for s in self.services if s.source})
        if sources:
            return sources[0]
        return f"{self.content_hash or self.source_file}:CLM01={self.claim_id}"


class HistoryStore:
    """Base class; the default implementation keeps history for one run only."""

    def services(self, patient_key: str) -> list[Service]:
        """Accepted S-code services of a patient, from earlier runs."""
        return []

    def claims(self, patient_key: str) -> dict[str, ClaimRecord]:
        """The patient's judged claims by origin (without services): whether an origin
        was accepted before, what withdrew it, where it came from."""
        return {}

    def withdrawn_services(self, patient_key: str, by: str) -> list[Service]:
        """The services a void or replacement (origin ``by``) withdrew."""
        return []

    def lock_patients(self, patient_keys: Iterable[str]) -> None:
        """Serialize concurrent workers on these patients (no-op without sharing).

        Called once per chunk of patients as the judge goes, chunks in ascending
        code-point order of the keys: every worker takes its locks in the same order."""

    def prefetch(self, patient_keys: Sequence[str]) -> None:
        """Read these (locked) patients' services and claims ahead, one query per table,
        for the judge's ``services``/``claims``/``withdrawn_services`` calls that follow
        (each patient's once). A hint: the reads give the same answers without it."""

    def record(self, record: ClaimRecord) -> None:
        """Remember a judged claim (replacing an earlier record of the same origin)."""

    def withdraw(self, patient_key: str, origins: Iterable[str], by: str = "") -> None:
        """A void or replacement (origin ``by``): these claims' services no longer count."""

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
    """History kept in memory: used by tests and to seed a run from a list of services.

    Everything is filed by patient (``claims`` is a look-up, not a scan of every record).
    """

    by_patient: dict[str, list[Service]] = field(default_factory=dict)
    records: dict[str, dict[str, ClaimRecord]] = field(default_factory=dict)  # patient, origin
    withdrawn: dict[str, list[Service]] = field(default_factory=dict)

    def services(self, patient_key: str) -> list[Service]:
        return list(self.by_patient.get(patient_key, []))

    def claims(self, patient_key: str) -> dict[str, ClaimRecord]:
        return dict(self.records.get(patient_key, {}))

    def withdrawn_services(self, patient_key: str, by: str) -> list[Service]:
        if not by:
            return []
        records = self.records.get(patient_key, {})
        origins = {o for o, r in records.items() if r.withdrawn_by == by}
        return [s for s in self.withdrawn.get(patient_key, []) if s.source in origins]

    def record(self, record: ClaimRecord) -> None:
        key = record.key
        patient = record.patient_key
        self.records.setdefault(patient, {})[key] = replace(record, origin=key, services=())
        if record.status == "accepted":
            kept = [s for s in self.by_patient.get(patient, []) if s.source != key]
            self.by_patient[patient] = kept + [
                s if s.source else replace(s, source=key) for s in record.services
            ]

    def withdraw(self, patient_key: str, origins: Iterable[str], by: str = "") -> None:
        gone = set(origins)
        services = self.by_patient.get(patient_key, [])
        self.withdrawn.setdefault(patient_key, []).extend(s for s in services if s.source in gone)
        self.by_patient[patient_key] = [s for s in services if s.source not in gone]
        records = self.records.get(patient_key, {})
        for origin in gone:
            old = records.get(origin)
            if old is not None:
                records[origin] = replace(old, withdrawn_by=by)
