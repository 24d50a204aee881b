"""The history tables' DDL, per dialect, and the migrations that build them.

Migrations are a list of steps, each a tuple of statements per dialect (the tables are
described in ``edi837.store.schema``). Each store's ``migrate`` runs the missing ones in
one transaction on open, under a lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL
``pg_advisory_xact_lock``), so concurrent openers do not race and reopening is a no-op.
Never edit a released step: append a new one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


def _tables(text_date: str, boolean: str, false: str, bigint: str, stamp: str) -> tuple[str, ...]:
    return (
        "CREATE TABLE patient (patient_key TEXT PRIMARY KEY)",
        "CREATE TABLE claim ("
        " patient_key TEXT NOT NULL,"
        " claim_id TEXT NOT NULL,"
        " member_id TEXT NOT NULL,"
        " form TEXT NOT NULL,"
        " frequency TEXT NOT NULL,"
        " status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),"
        " source_file TEXT NOT NULL DEFAULT '',"
        " sender TEXT NOT NULL DEFAULT '',"
        " isa13 TEXT NOT NULL DEFAULT '',"
        " content_hash TEXT NOT NULL DEFAULT '',"
        f" recorded_at {stamp} NOT NULL,"
        " PRIMARY KEY (patient_key, claim_id))",
        "CREATE INDEX claim_by_member ON claim (member_id)",
        "CREATE TABLE service ("
        " patient_key TEXT NOT NULL,"
        " claim_id TEXT NOT NULL,"
        " seq INTEGER NOT NULL,"
        " procedure TEXT NOT NULL,"
        f" service_date {text_date} NOT NULL,"
        " units INTEGER NOT NULL,"
        " order_id TEXT NOT NULL DEFAULT '',"
        " line INTEGER NOT NULL DEFAULT 0,"
        " member_id TEXT NOT NULL DEFAULT '',"
        " form TEXT NOT NULL,"
        " source TEXT NOT NULL DEFAULT '',"
        f" withdrawn {boolean} NOT NULL DEFAULT {false},"
        " PRIMARY KEY (patient_key, claim_id, seq))",
        f"CREATE TABLE counter (kind TEXT PRIMARY KEY, value {bigint} NOT NULL)",
    )


def _by_origin(
    text_date: str, boolean: str, false: str, stamp: str, now: str, all_withdrawn: str
) -> tuple[str, ...]:
    """Version 2: claims and services keyed by origin (file content hash and CLM ordinal),
    not by (patient, CLM01); services carry what duplicate detection and replacement
    chains need. Existing rows move over: a service's origin is its ``source`` (made
    unique per claim where it was a plain file name, as imports wrote it); a claim row
    takes the origin of its services from its own file, else ``HASH:CLM01=ID``; service
    origins without a claim row get an accepted one."""
    return (
        "CREATE TABLE service_v2 ("
        " patient_key TEXT NOT NULL,"
        " claim_id TEXT NOT NULL,"
        " seq INTEGER NOT NULL,"
        " procedure TEXT NOT NULL,"
        f" service_date {text_date} NOT NULL,"
        " units INTEGER NOT NULL,"
        " order_id TEXT NOT NULL DEFAULT '',"
        " line INTEGER NOT NULL DEFAULT 0,"
        " member_id TEXT NOT NULL DEFAULT '',"
        " form TEXT NOT NULL,"
        " source TEXT NOT NULL,"
        f" withdrawn {boolean} NOT NULL DEFAULT {false},"
        " chain TEXT NOT NULL DEFAULT '',"
        " charge TEXT NOT NULL DEFAULT '',"
        " ordering_npi TEXT NOT NULL DEFAULT '',"
        " billing_npi TEXT NOT NULL DEFAULT '',"
        " PRIMARY KEY (patient_key, source, seq))",
        "INSERT INTO service_v2 (patient_key, source, seq, claim_id, procedure, service_date,"
        " units, order_id, line, member_id, form, withdrawn)"
        " SELECT patient_key, CASE WHEN source LIKE '%:%' THEN source"
        " ELSE source || ':CLM01=' || claim_id END, seq, claim_id, procedure, service_date,"
        " units, order_id, line, member_id, form, withdrawn FROM service",
        "CREATE TABLE claim_v2 ("
        " patient_key TEXT NOT NULL,"
        " claim_id TEXT NOT NULL,"
        " origin TEXT NOT NULL,"
        " member_id TEXT NOT NULL,"
        " form TEXT NOT NULL,"
        " frequency TEXT NOT NULL,"
        " status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),"
        " source_file TEXT NOT NULL DEFAULT '',"
        " sender TEXT NOT NULL DEFAULT '',"
        " isa13 TEXT NOT NULL DEFAULT '',"
        " content_hash TEXT NOT NULL DEFAULT '',"
        " chain TEXT NOT NULL DEFAULT '',"
        " withdrawn_by TEXT NOT NULL DEFAULT '',"
        " reasons TEXT NOT NULL DEFAULT '',"
        f" recorded_at {stamp} NOT NULL,"
        " PRIMARY KEY (patient_key, origin))",
        "INSERT INTO claim_v2 (patient_key, origin, claim_id, member_id, form, frequency,"
        " status, source_file, sender, isa13, content_hash, recorded_at)"
        " SELECT c.patient_key, COALESCE((SELECT min(s.source) FROM service_v2 s"
        " WHERE s.patient_key = c.patient_key AND s.claim_id = c.claim_id"
        " AND (c.content_hash = '' OR s.source LIKE c.content_hash || ':%')),"
        " c.content_hash || ':CLM01=' || c.claim_id), c.claim_id, c.member_id, c.form,"
        " c.frequency, c.status, c.source_file, c.sender, c.isa13, c.content_hash,"
        " c.recorded_at FROM claim c",
        "INSERT INTO claim_v2 (patient_key, origin, claim_id, member_id, form, frequency,"
        " status, withdrawn_by, recorded_at)"
        " SELECT s.patient_key, s.source, min(s.claim_id), min(s.member_id), min(s.form), '1',"
        f" 'accepted', CASE WHEN {all_withdrawn} THEN 'migrated' ELSE '' END, {now}"
        " FROM service_v2 s WHERE NOT EXISTS (SELECT 1 FROM claim_v2 c"
        " WHERE c.patient_key = s.patient_key AND c.origin = s.source)"
        " GROUP BY s.patient_key, s.source",
        "DROP TABLE service",
        "DROP TABLE claim",
        "ALTER TABLE service_v2 RENAME TO service",
        "ALTER TABLE claim_v2 RENAME TO claim",
        "CREATE INDEX claim_by_member ON claim (member_id)",
    )


MIGRATIONS: list[Migration] = [
    Migration(
        "patients, claims, S-code services, control-number counters",
        sqlite=_tables("TEXT", "INTEGER", "0", "INTEGER", "TEXT"),
        postgres=_tables("DATE", "BOOLEAN", "FALSE", "BIGINT", "TIMESTAMPTZ"),
    ),
    Migration(
        "claims and services keyed by origin; duplicate and replacement-chain columns",
        sqlite=_by_origin(
            "TEXT",
            "INTEGER",
            "0",
            "TEXT",
            "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            "min(s.withdrawn) = 1",
        ),
        postgres=_by_origin(
            "DATE", "BOOLEAN", "FALSE", "TIMESTAMPTZ", "now()", "bool_and(s.withdrawn)"
        ),
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)
