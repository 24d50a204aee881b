"""The history tables, their migrations, and the SQL both backends share.

Tables (one set per SQLite file or PostgreSQL schema):

``schema_version(version, description, applied_at)``
    one row per applied migration; ``migrations.MIGRATIONS[i]`` is version ``i + 1``.
``patient(patient_key)``
    one row per patient ever screened: the anchor that PostgreSQL workers lock
    (``SELECT ... FOR UPDATE``) to serialize on a patient. Carries no facts.
``claim(patient_key, claim_id, origin, member_id, form, frequency, status, source_file,
sender, isa13, content_hash, recorded_at, chain, withdrawn_by, reasons)``
    the verdict of each judged claim, keyed by (patient, origin): the origin is the
    file's content hash and the claim's CLM ordinal (never the CLM01, which providers
    reuse). ``accepted`` or ``rejected``; an accepted origin is answered accepted again
    whenever it is re-screened (it was forwarded). A rejected claim owns no services and
    never counts; ``reasons`` keeps its rejecting findings for ``history show``.
    ``chain`` is the original CLM01 a replacement stands for; ``withdrawn_by`` the origin
    of the void or replacement that withdrew the claim. ``recorded_at`` is for humans
    reading the table; no verdict ever depends on it (and re-recording an identical
    verdict leaves it alone, so re-screening changes nothing).
``service(patient_key, claim_id, seq, procedure, service_date, units, order_id, line,
member_id, form, source, withdrawn, chain, charge, ordering_npi, billing_npi)``
    the S-code lines of accepted claims, keyed by (patient, source = origin, seq).
    ``line`` is LX01. A void or replacement sets ``withdrawn``; ``services()`` returns
    only lines not withdrawn. ``charge`` and the NPIs are what duplicate detection
    (SC016) compares.
``counter(kind, value)``
    control-number counters (``next_control_number``).

The tables' DDL and migrations are in ``edi837.store.migrations``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from edi837.errors import Edi837Error
from edi837.store.base import ClaimRecord, HistoryStore
from edi837.store.migrations import SCHEMA_VERSION  # noqa: F401 - edi837.store exports it
from edi837.timeline import Service


class StoreError(Edi837Error):
    """The history store cannot be opened or used (bad URL, newer schema, ...)."""


def describe_url(url: str | None) -> str:
    """The URL fit for a message: a password in it is replaced by ***."""
    if not url:
        return "none"
    try:
        password = urlsplit(url).password
    except ValueError:
        return url
    return url.replace(f":{password}@", ":***@", 1) if password else url


_CLAIM_COLUMNS = (
    "claim_id",
    "member_id",
    "form",
    "frequency",
    "status",
    "source_file",
    "sender",
    "isa13",
    "content_hash",
    "chain",
    "withdrawn_by",
    "reasons",
)
_SERVICE_COLUMNS = (
    "patient_key",
    "source",
    "seq",
    "claim_id",
    "procedure",
    "service_date",
    "units",
    "order_id",
    "line",
    "member_id",
    "form",
    "chain",
    "charge",
    "ordering_npi",
    "billing_npi",
)

_UPSERT_CLAIM = (
    f"INSERT INTO claim (patient_key, origin, {', '.join(_CLAIM_COLUMNS)}, recorded_at)"
    f" VALUES (?, ?, {', '.join('?' * len(_CLAIM_COLUMNS))}, {{now}})"
    " ON CONFLICT (patient_key, origin) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*_CLAIM_COLUMNS, "recorded_at"))
    + " WHERE "
    + " OR ".join(f"claim.{c} <> excluded.{c}" for c in _CLAIM_COLUMNS)
)
_INSERT_SERVICE = (
    f"INSERT INTO service ({', '.join(_SERVICE_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_SERVICE_COLUMNS))})"
)


class TimelineRow(NamedTuple):
    """One row of `history show` / `history export`: an accepted or withdrawn service
    line, or (``procedure`` empty, no date) a claim whose latest verdict is rejected.
    Named, so the readers say ``row.service_date`` and not ``row[5]``; the fields are in
    the order of the SELECTs below."""

    patient_key: str
    member_id: str
    claim_id: str
    seq: int
    procedure: str
    service_date: date | None
    units: int
    order_id: str
    line: int
    form: str
    status: str  # accepted, withdrawn, rejected
    frequency: str
    source_file: str
    sender: str
    isa13: str
    reasons: str = ""  # a rejected claim's reasons, "SC006: ...; SC007: ..."


@dataclass
class _Pending:
    """Writes queued in a run's transaction, in the order they are flushed."""

    claims: list[tuple[Any, ...]] = field(default_factory=list)  # upsert rows
    deletes: list[tuple[str, str]] = field(default_factory=list)  # (patient, origin)
    services: list[tuple[Any, ...]] = field(default_factory=list)  # insert rows
    withdrawals: list[tuple[str, str, str]] = field(default_factory=list)  # patient, origin, by
    touched: set[tuple[str, str]] = field(default_factory=set)  # (patient, origin) queued


@dataclass
class _Ahead:
    """One prefetched patient: services and claims until the judge takes them."""

    services: list[Service] | None = field(default_factory=list)
    claims: dict[str, ClaimRecord] | None = field(default_factory=dict)
    withdrawn: list[tuple[str, Service]] = field(default_factory=list)  # (withdrawn_by, it)


class SqlHistory(HistoryStore):
    """The history store over a DB-API connection; subclasses supply the dialect.

    SQL here is written with ``?`` placeholders; ``_sql`` turns them into the driver's.
    Every write goes through the connection the judge's transaction is open on, so a
    run's verdicts become visible all at once at ``commit()``, or not at all.
    """

    dialect = ""
    NOW = ""  # SQL expression for recorded_at (humans only)

    def __init__(self, url: str) -> None:
        self.url = url
        self._in_tx = False
        self._pending = _Pending()
        self._ahead: dict[str, _Ahead] = {}

    # -- dialect hooks ---------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def _write_rows(self, kind: str, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Write a flush's rows of one kind ("claims", "deletes", "services"): ``sql``
        by ``executemany``, unless the dialect has a bulk form."""
        self._executemany(sql, rows)

    def _date_param(self, day: date) -> Any:
        return day

    def _date_value(self, value: Any) -> date:
        return value

    def _begin_sql(self) -> str:
        return "BEGIN"

    def _rollback_quietly(self) -> None:
        raise NotImplementedError

    # -- transactions ------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        return self._in_tx

    def begin(self) -> None:
        if self._in_tx:
            raise StoreError("a history transaction is already open on this store")
        self._forget()
        self._execute(self._begin_sql())
        self._in_tx = True

    def commit(self) -> None:
        if self._in_tx:
            try:
                self._flush()
            except BaseException:
                self.rollback()
                raise
            self._forget()
            self._execute("COMMIT")
            self._in_tx = False

    def rollback(self) -> None:
        self._forget()
        if self._in_tx:
            self._in_tx = False
            self._rollback_quietly()

    def _forget(self) -> None:
        """Drop queued writes and read-ahead: they belong to one transaction."""
        self._pending = _Pending()
        self._ahead = {}

    def __enter__(self) -> SqlHistory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the judge's interface ----------------------------------------------------
    _SERVICE_COLUMNS_SQL = (
        "procedure, service_date, units, claim_id, form, order_id, member_id,"
        " source, line, chain, charge, ordering_npi, billing_npi"
    )
    _SERVICE_SELECT = f"SELECT {_SERVICE_COLUMNS_SQL} FROM service"
    _SERVICE_ORDER = "service_date, claim_id, source, seq"
    _CLAIM_SELECT = (
        "SELECT origin, claim_id, member_id, form, frequency, status, source_file, sender,"
        " isa13, content_hash, chain, withdrawn_by, reasons, patient_key FROM claim"
    )

    def _service(self, r: Sequence[Any]) -> Service:
        return Service(
            r[0],
            self._date_value(r[1]),
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            r[12],
        )

    @staticmethod
    def _claim(patient_key: str, r: Sequence[Any]) -> ClaimRecord:
        return ClaimRecord(
            patient_key,
            r[2],
            r[1],
            r[3],
            r[4],
            r[5],
            (),
            source_file=r[6],
            sender=r[7],
            isa13=r[8],
            content_hash=r[9],
            origin=r[0],
            chain=r[10],
            withdrawn_by=r[11],
            reasons=r[12],
        )

    def _keys_in(self, column: str, keys: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        """``column`` is one of ``keys``: SQL and its parameters (PostgreSQL: ``= ANY``)."""
        return f"{column} IN ({', '.join('?' * len(keys))})", tuple(keys)

    def prefetch(self, patient_keys: Sequence[str]) -> None:
        """Three queries for the whole chunk (services, claims, withdrawn services)
        instead of two or three per patient. Each patient's services and claims are
        handed out once (the judge reads a patient once), and forgotten when the store
        writes for that patient; the next chunk's prefetch replaces this one's."""
        self._flush()
        keys = list(dict.fromkeys(patient_keys))
        self._ahead = {}
        if not keys:
            return
        ahead = {k: _Ahead() for k in keys}
        where, params = self._keys_in("patient_key", keys)
        for r in self._execute(
            f"SELECT patient_key, {self._SERVICE_COLUMNS_SQL} FROM service"
            f" WHERE {where} AND NOT withdrawn ORDER BY patient_key, {self._SERVICE_ORDER}",
            params,
        ).fetchall():
            ahead[r[0]].services.append(self._service(r[1:]))
        for r in self._execute(f"{self._CLAIM_SELECT} WHERE {where}", params).fetchall():
            ahead[r[13]].claims[r[0]] = self._claim(r[13], r)
        where, params = self._keys_in("s.patient_key", keys)
        for r in self._execute(
            "SELECT c.withdrawn_by, s.patient_key, "
            + ", ".join(f"s.{c.strip()}" for c in self._SERVICE_COLUMNS_SQL.split(","))
            + " FROM service s JOIN claim c ON c.patient_key = s.patient_key"
            f" AND c.origin = s.source WHERE {where} AND s.withdrawn"
            " ORDER BY s.patient_key, "
            + ", ".join(f"s.{c.strip()}" for c in self._SERVICE_ORDER.split(",")),
            params,
        ).fetchall():
            ahead[r[1]].withdrawn.append((r[0], self._service(r[2:])))
        self._ahead = ahead

    def services(self, patient_key: str) -> list[Service]:
        ahead = self._ahead.get(patient_key)
        if ahead is not None and ahead.services is not None:
            services, ahead.services = ahead.services, None
            return services
        self._flush()
        rows = self._execute(
            self._SERVICE_SELECT + " WHERE patient_key = ? AND NOT withdrawn"
            f" ORDER BY {self._SERVICE_ORDER}",
            (patient_key,),
        ).fetchall()
        return [self._service(r) for r in rows]

    def withdrawn_services(self, patient_key: str, by: str) -> list[Service]:
        if not by:
            return []
        ahead = self._ahead.get(patient_key)
        if ahead is not None:
            return [s for withdrawn_by, s in ahead.withdrawn if withdrawn_by == by]
        self._flush()
        rows = self._execute(
            self._SERVICE_SELECT + " WHERE patient_key = ? AND withdrawn AND source IN"
            " (SELECT origin FROM claim WHERE patient_key = ? AND withdrawn_by = ?)"
            f" ORDER BY {self._SERVICE_ORDER}",
            (patient_key, patient_key, by),
        ).fetchall()
        return [self._service(r) for r in rows]

    def claims(self, patient_key: str) -> dict[str, ClaimRecord]:
        ahead = self._ahead.get(patient_key)
        if ahead is not None and ahead.claims is not None:
            claims, ahead.claims = ahead.claims, None
            return claims
        self._flush()
        rows = self._execute(f"{self._CLAIM_SELECT} WHERE patient_key = ?", (patient_key,))
        return {r[0]: self._claim(patient_key, r) for r in rows.fetchall()}

    def record(self, record: ClaimRecord) -> None:
        """Queued (inside a transaction) and written with the chunk's other records by
        ``executemany``: before the next read, the next chunk, or commit."""
        origin = record.key
        patient = record.patient_key
        self._ahead.pop(patient, None)
        pending = self._pending
        if (patient, origin) in pending.touched:
            self._flush()  # a second write of one origin: keep the order of the two
            pending = self._pending
        pending.touched.add((patient, origin))
        pending.claims.append(
            (
                patient,
                origin,
                record.claim_id,
                record.member_id,
                record.form,
                record.frequency,
                record.status,
                record.source_file,
                record.sender,
                record.isa13,
                record.content_hash,
                record.chain,
                record.withdrawn_by,
                record.reasons,
            )
        )
        if record.status == "accepted":  # a rejected claim is seen, never counted
            pending.deletes.append((patient, origin))
            pending.services.extend(
                (
                    patient,
                    origin,
                    seq,
                    s.claim_id or record.claim_id,
                    s.procedure,
                    self._date_param(s.service_date),
                    s.units,
                    s.order_id,
                    s.line,
                    s.member_id or record.member_id,
                    s.form or record.form,
                    s.chain,
                    s.charge,
                    s.ordering_npi,
                    s.billing_npi,
                )
                for seq, s in enumerate(record.services, 1)
            )
        if not self._in_tx:
            self._flush()

    def withdraw(self, patient_key: str, origins: Iterable[str], by: str = "") -> None:
        """Queued like ``record``; applied after the queued records (a record of an
        origin already withdrawn in the queue flushes the queue first)."""
        keys = sorted({o for o in origins if o})
        if not keys:
            return
        self._ahead.pop(patient_key, None)
        pending = self._pending
        for origin in keys:
            pending.touched.add((patient_key, origin))
            pending.withdrawals.append((patient_key, origin, by or "withdrawn"))
        if not self._in_tx:
            self._flush()

    def _flush(self) -> None:
        """Write the queued records and withdrawals: claim upserts, then the accepted
        claims' old service rows out and new ones in, then withdrawals, each one
        ``executemany``. Equivalent to writing them one by one, because a queue never
        holds two writes of one (patient, origin) but a record followed by withdrawals
        (see ``record``): a withdrawal only touches its own origin's rows."""
        pending = self._pending
        if not pending.touched:
            return
        self._pending = _Pending()
        if pending.claims:
            self._write_rows("claims", _UPSERT_CLAIM.replace("{now}", self.NOW), pending.claims)
        if pending.deletes:
            self._write_rows(
                "deletes",
                "DELETE FROM service WHERE patient_key = ? AND source = ?",
                pending.deletes,
            )
        if pending.services:
            self._write_rows("services", _INSERT_SERVICE, pending.services)
        if pending.withdrawals:
            self._executemany(
                "UPDATE service SET withdrawn = TRUE WHERE patient_key = ? AND NOT withdrawn"
                " AND source = ?",
                [(p, o) for p, o, _ in pending.withdrawals],
            )
            self._executemany(
                "UPDATE claim SET withdrawn_by = ? WHERE patient_key = ? AND origin = ?",
                [(by, p, o) for p, o, by in pending.withdrawals],
            )

    # -- control numbers ------------------------------------------------------------
    _COUNTER_SQL = (
        "INSERT INTO counter (kind, value) VALUES (?, 1) ON CONFLICT (kind)"
        " DO UPDATE SET value = counter.value + 1 RETURNING value"
    )

    def next_control_number(self, kind: str) -> int:
        """The next number of a monotonically increasing counter (1, 2, ...) per kind,
        e.g. "277CA", "999", "split"; unique across every worker sharing the store."""
        raise NotImplementedError

    # -- reading, for people (history show / export) -----------------------------
    def schema_version(self) -> int:
        self._flush()
        row = self._execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def timeline_rows(
        self, member: str | None = None, *, include_withdrawn: bool = True
    ) -> list[TimelineRow]:
        """Service lines (accepted, and withdrawn if asked) in date order; a member's
        only (patient key MEMBER or MEMBER/...) if ``member`` is given."""
        self._flush()
        where, params = self._member_filter("s", member)
        if not include_withdrawn:
            where.append("NOT s.withdrawn")
        rows = self._execute(
            "SELECT s.patient_key, s.member_id, s.claim_id, s.seq, s.procedure,"
            " s.service_date, s.units, s.order_id, s.line, s.form,"
            " CASE WHEN s.withdrawn THEN 'withdrawn' ELSE 'accepted' END,"
            " COALESCE(c.frequency, ''), COALESCE(c.source_file, s.source),"
            " COALESCE(c.sender, ''), COALESCE(c.isa13, '')"
            " FROM service s LEFT JOIN claim c"
            " ON c.patient_key = s.patient_key AND c.origin = s.source"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + " ORDER BY s.service_date, s.patient_key, s.claim_id, s.source, s.seq",
            params,
        ).fetchall()
        return [self._row(r) for r in rows]

    def rejected_rows(self, member: str | None = None) -> list[TimelineRow]:
        """Claims whose latest verdict is rejected (seen; they never count)."""
        self._flush()
        where, params = self._member_filter("c", member)
        where.append("c.status = 'rejected'")
        rows = self._execute(
            "SELECT c.patient_key, c.member_id, c.claim_id, 0, '', NULL, 0, '', 0, c.form,"
            " c.status, c.frequency, c.source_file, c.sender, c.isa13, c.reasons FROM claim c"
            f" WHERE {' AND '.join(where)} ORDER BY c.patient_key, c.claim_id, c.origin",
            params,
        ).fetchall()
        return [self._row(r) for r in rows]

    def _row(self, r: Sequence[Any]) -> TimelineRow:
        day = self._date_value(r[5]) if r[5] is not None else None
        return TimelineRow(*r[:5], day, *r[6:])  # type: ignore[arg-type]

    @staticmethod
    def _member_filter(alias: str, member: str | None) -> tuple[list[str], list[Any]]:
        if member is None:
            return [], []
        prefix = member + "/"
        return (
            [f"({alias}.patient_key = ? OR substr({alias}.patient_key, 1, ?) = ?)"],
            [member, len(prefix), prefix],
        )

    def counts(self) -> dict[str, int]:
        self._flush()
        out = {}
        for table in ("patient", "claim", "service", "counter"):
            out[table] = int(self._execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        return out

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every history table, sorted: for tests and for diffing a store."""
        self._flush()
        out = {}
        for table, order in (
            ("patient", "patient_key"),
            ("claim", "patient_key, claim_id, origin"),
            ("service", "patient_key, claim_id, source, seq"),
            ("counter", "kind"),
        ):
            rows = self._execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
            out[table] = [tuple(r) for r in rows]
        return out
