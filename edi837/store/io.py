"""History as CSV: seed a store from the payer's paid S-code services, and export one.

The import file is the payer's record of S-code services it has already reimbursed, one
row per service line, with a header row:

    member_id,procedure,service_date,order_id,form,claim_id

``service_date`` is YYYY-MM-DD, ``procedure`` S0353 or S0354, ``form`` 837P or 837I.
Optional columns: ``units`` (default 1), ``line`` (LX01; default the row's position in
its claim), ``patient_key`` (default the member id; a dependant's key is
``MEMBER/LAST/FIRST/BIRTHDATE``) and ``status`` (rows whose status is neither empty nor
``accepted`` are skipped). Other columns are ignored. Rows of one (patient, claim id)
make one accepted claim, which replaces an earlier record of that claim id in the store.

Every bad row is reported (``FILE:LINE: message``) and then nothing is imported: a
half-imported history would let a claim through that the full one would stop.

``export`` writes the same columns plus ``units``, ``line``, ``patient_key`` and
``status``, so an export imports back to the same accepted services.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from edi837.errors import Edi837Error
from edi837.numeric import ascii_int
from edi837.store import run_in_transaction
from edi837.store.base import ClaimRecord, HistoryStore
from edi837.store.schema import SqlHistory
from edi837.timeline import Service

FIELD_LIMIT = 1 << 20  # longer CSV fields are reported with their line (csv's default: 128 KiB)
IMPORT_COLUMNS = ("member_id", "procedure", "service_date", "order_id", "form", "claim_id")
EXPORT_COLUMNS = (*IMPORT_COLUMNS, "units", "line", "patient_key", "status")
PROCEDURES = ("S0353", "S0354")
FORMS = ("837P", "837I")
MAX_REPORTED = 100


class HistoryImportError(Edi837Error):
    """Rows of a history CSV that cannot be imported, each as ``FILE:LINE: message``."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class ImportSummary:
    services: int = 0
    claims: int = 0
    patients: int = 0
    skipped: int = 0  # rows with a status other than accepted


def read_history_csv(path: str | Path) -> tuple[list[ClaimRecord], int]:
    """The claims a history CSV describes (accepted, in file order) and the number of
    skipped rows; raises ``HistoryImportError`` listing every bad row."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise HistoryImportError([f"{name}:0: cannot open: {exc.strerror}"]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HistoryImportError(
            [f"{name}:0: not UTF-8 text ({exc.reason} at byte {exc.start})"]
        ) from None
    content_hash = hashlib.blake2b(data, digest_size=16).hexdigest()
    errors: list[str] = []
    claims: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = {}
    skipped = 0
    for line_no, row in _rows(name, text, errors):
        if row.get("status", "") not in ("", "accepted"):
            skipped += 1
            continue
        problem = _check(row)
        if problem:
            errors.append(f"{name}:{line_no}: {problem}")
            continue
        key = (row.get("patient_key") or row["member_id"], row["claim_id"])
        claims.setdefault(key, []).append((line_no, row))
    records = []
    for (patient_key, claim_id), rows in claims.items():
        record = _claim(name, patient_key, claim_id, rows, content_hash, errors)
        if record is not None:
            records.append(record)
    if errors:
        more = len(errors) - MAX_REPORTED
        shown = errors[:MAX_REPORTED] + ([f"{name}: ... and {more} more"] if more > 0 else [])
        raise HistoryImportError(shown)
    return records, skipped


def _rows(name: str, text: str, errors: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        errors.append(
            f"{name}:1: header lacks column(s) {', '.join(missing)}; expected "
            f"{','.join(IMPORT_COLUMNS)}"
        )
        return
    reader.fieldnames = header
    for row in _guarded(reader, name, errors):
        if None in row:
            errors.append(f"{name}:{reader.line_num}: more fields than the header has")
            continue
        if not any((v or "").strip() for v in row.values()):
            continue
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def _guarded(reader: csv.DictReader, name: str, errors: list[str]) -> Iterator[dict[str, str]]:
    """The reader's rows; a row the csv module refuses (a field over its size limit, a
    NUL) is reported with its line and ends the file (nothing is imported anyway)."""
    try:
        yield from reader
    except csv.Error as exc:
        errors.append(f"{name}:{reader.line_num}: unreadable CSV row ({exc})")


def _check(row: dict[str, str]) -> str:
    """What is wrong with one row ('' if nothing); normalizes procedure and form."""
    for column in ("member_id", "claim_id"):
        if not row[column]:
            return f"{column} is empty"
    row["procedure"] = row["procedure"].upper()
    if row["procedure"] not in PROCEDURES:
        return f"procedure {row['procedure']!r} is not S0353 or S0354"
    try:
        date.fromisoformat(row["service_date"])
    except ValueError:
        return f"service_date {row['service_date']!r} is not a date (YYYY-MM-DD)"
    if len(row["service_date"]) != 10:
        return f"service_date {row['service_date']!r} is not a date (YYYY-MM-DD)"
    row["form"] = row["form"].upper()
    if row["form"] not in FORMS:
        return f"form {row['form']!r} is not 837P or 837I"
    for column, low in (("units", 1), ("line", 0)):
        value = row.get(column, "")
        number = ascii_int(value)
        if value and (number is None or number < low):
            return f"{column} {value[:20]!r} is not a whole number of at least {low}"
    key = row.get("patient_key", "")
    if key and key != row["member_id"] and not key.startswith(row["member_id"] + "/"):
        return (
            f"patient_key {key!r} does not belong to member {row['member_id']!r} "
            "(expected the member id, or MEMBER/... for a dependant)"
        )
    return ""


def _claim(
    name: str,
    patient_key: str,
    claim_id: str,
    rows: list[tuple[int, dict[str, str]]],
    content_hash: str,
    errors: list[str],
) -> ClaimRecord | None:
    first_line, first = rows[0]
    origin = f"{content_hash}:CLM01={claim_id}"
    seen: dict[int, int] = {}
    services = []
    bad = False
    for position, (line_no, row) in enumerate(rows, 1):
        for column in ("member_id", "form"):
            if row[column] != first[column]:
                errors.append(
                    f"{name}:{line_no}: claim {claim_id!r} has {column} "
                    f"{row[column]!r} here but {first[column]!r} on line {first_line}"
                )
                bad = True
        lx = int(row["line"]) if row.get("line") else position
        if lx in seen:
            errors.append(f"{name}:{line_no}: claim {claim_id!r} line {lx} repeats line {seen[lx]}")
            bad = True
        seen[lx] = line_no
        services.append(
            Service(
                row["procedure"],
                date.fromisoformat(row["service_date"]),
                int(row["units"]) if row.get("units") else 1,
                claim_id,
                row["form"],
                row["order_id"],
                row["member_id"],
                origin,
                lx,
            )
        )
    if bad:
        return None
    return ClaimRecord(
        patient_key,
        first["member_id"],
        claim_id,
        first["form"],
        "1",
        "accepted",
        tuple(services),
        source_file=name,
        sender="",
        isa13="",
        content_hash=content_hash,
        origin=origin,
        chain=claim_id,
    )


def import_history(store: HistoryStore, path: str | Path) -> ImportSummary:
    """Read a history CSV and record its claims in one transaction (all or nothing)."""
    records, skipped = read_history_csv(path)

    def write() -> None:
        store.lock_patients(r.patient_key for r in records)
        for r in records:
            store.record(r)

    run_in_transaction(store, write)
    return ImportSummary(
        services=sum(len(r.services) for r in records),
        claims=len(records),
        patients=len({r.patient_key for r in records}),
        skipped=skipped,
    )


def export_history(
    store: SqlHistory, out: TextIO, *, include_all: bool = False, member: str | None = None
) -> int:
    """Write the store's accepted services as CSV (``EXPORT_COLUMNS``); with
    ``include_all``, also withdrawn services and rejected claims. Returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    rows = store.timeline_rows(member, include_withdrawn=include_all)
    if include_all:
        rows += store.rejected_rows(member)
    for r in rows:
        service = bool(r.procedure)  # else a rejected claim: no line, units or date
        writer.writerow(
            [
                r.member_id,
                r.procedure,
                r.service_date.isoformat() if r.service_date else "",
                r.order_id,
                r.form,
                r.claim_id,
                r.units if service else "",
                r.line if service else "",
                r.patient_key,
                r.status,
            ]
        )
    return len(rows)
