"""Columnar export: three Parquet tables that pandas, pyarrow and Spark read as they are.

``write_parquet(directory, verdicts)`` streams a verdict stream into three files, with
``pyarrow.parquet.ParquetWriter`` in row batches (only one batch per table is ever held):

``claims.parquet``, one row per claim
    ``file`` (the input as given), ``trace_id`` (ISA13.GS06.ST02.CLM01, as in the 277CA
    TRN), ``interchange`` (ISA13), ``group`` (GS06), ``transaction`` (ST02), ``claim_id``
    (CLM01), ``form`` (837P/837I), ``version`` (GS08 as sent), ``frequency`` (CLM05-3),
    ``member_id`` (2010BA NM109), ``patient_name`` ("LAST, FIRST" of the patient),
    ``billing_npi`` and ``billing_state`` (2010AA NM109, N402), ``total_charge`` (CLM02),
    ``status`` (accepted/rejected), ``s_code_line_count``, ``rejection_rules`` (the codes
    of the rejecting findings, sorted, no repeats), ``claim_segment_ordinal`` and
    ``claim_byte_offset`` (where the CLM segment is in the file).
``service_lines.parquet``, one row per service line (every line, not only S-codes)
    ``file``, ``claim_id``, ``trace_id``, ``claim_segment_ordinal``, ``line_number``
    (LX01), ``procedure_code`` (SV101-2/SV202-2), ``modifiers``, ``revenue_code`` (SV201,
    837I), ``units`` (SV104/SV205), ``charge`` (SV102/SV203), ``service_date`` (DTP*472,
    else the 837I statement start, as the rules read it), ``order_id`` (line REF*G1, else
    the claim's), ``line_control_number`` (REF*6R), ``is_s_code``,
    ``expected_reimbursement`` (accepted S-code lines only), ``segment_ordinal`` and
    ``byte_offset`` (of the LX).
``findings.parquet``, one row per finding
    ``file``, ``claim_id``, ``trace_id``, ``claim_segment_ordinal``, ``rule``, ``severity``
    (reject/warning/info), ``message``, ``fix``, ``citation``, ``line_number`` (LX01 of a
    line-level finding), ``loop``, ``segment_id``, ``segment_ordinal``, ``byte_offset`` (the
    segment the finding points at), ``value`` (as sent), ``stc_category`` and
    ``stc_status`` (277CA STC01-1 / STC01-2).

Types: identifiers and codes are strings (never numbers: CLM01, NPIs and control numbers
keep their leading zeros); an absent value is null, not "". Money (``total_charge``,
``charge``, ``expected_reimbursement``) is ``decimal128(20, 2)``: exact to the cent (as the
JSON report rounds it), wide enough for any X12 amount (R, at most 18 characters); pandas
reads it as ``decimal.Decimal``, Spark as ``DecimalType(20,2)``. ``units`` is ``float64``
(a count). ``service_date`` is ``date32``. Ordinals, offsets and counts are ``int64``
(``line_number``, ``s_code_line_count``: ``int32``). ``modifiers`` and
``rejection_rules`` are ``list<string>``.

A claim is identified by ``file`` + ``claim_segment_ordinal`` (unique even when a CLM01
repeats); its lines and findings carry both, so the tables join on them. Files are
written under a temporary name and renamed when complete, so a reader never sees half
a table.
"""

from __future__ import annotations

import decimal
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from edi837.atomic import atomic_path
from edi837.verdicts import Verdict

BATCH_ROWS = 10_000
"""Rows buffered per table before they are written as one row group."""

MONEY = pa.decimal128(20, 2)
_CENT = decimal.Decimal("0.01")
_MONEY_CONTEXT = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)

CLAIMS_SCHEMA = pa.schema([
    ("file", pa.string()),
    ("trace_id", pa.string()),
    ("interchange", pa.string()),
    ("group", pa.string()),
    ("transaction", pa.string()),
    ("claim_id", pa.string()),
    ("form", pa.string()),
    ("version", pa.string()),
    ("frequency", pa.string()),
    ("member_id", pa.string()),
    ("patient_name", pa.string()),
    ("billing_npi", pa.string()),
    ("billing_state", pa.string()),
    ("total_charge", MONEY),
    ("status", pa.string()),
    ("s_code_line_count", pa.int32()),
    ("rejection_rules", pa.list_(pa.string())),
    ("claim_segment_ordinal", pa.int64()),
    ("claim_byte_offset", pa.int64()),
])  # fmt: skip

SERVICE_LINES_SCHEMA = pa.schema([
    ("file", pa.string()),
    ("claim_id", pa.string()),
    ("trace_id", pa.string()),
    ("claim_segment_ordinal", pa.int64()),
    ("line_number", pa.int32()),
    ("procedure_code", pa.string()),
    ("modifiers", pa.list_(pa.string())),
    ("revenue_code", pa.string()),
    ("units", pa.float64()),
    ("charge", MONEY),
    ("service_date", pa.date32()),
    ("order_id", pa.string()),
    ("line_control_number", pa.string()),
    ("is_s_code", pa.bool_()),
    ("expected_reimbursement", MONEY),
    ("segment_ordinal", pa.int64()),
    ("byte_offset", pa.int64()),
])  # fmt: skip

FINDINGS_SCHEMA = pa.schema([
    ("file", pa.string()),
    ("claim_id", pa.string()),
    ("trace_id", pa.string()),
    ("claim_segment_ordinal", pa.int64()),
    ("rule", pa.string()),
    ("severity", pa.string()),
    ("message", pa.string()),
    ("fix", pa.string()),
    ("citation", pa.string()),
    ("line_number", pa.int32()),
    ("loop", pa.string()),
    ("segment_id", pa.string()),
    ("segment_ordinal", pa.int64()),
    ("byte_offset", pa.int64()),
    ("value", pa.string()),
    ("stc_category", pa.string()),
    ("stc_status", pa.string()),
])  # fmt: skip

TABLES: dict[str, pa.Schema] = {
    "claims": CLAIMS_SCHEMA,
    "service_lines": SERVICE_LINES_SCHEMA,
    "findings": FINDINGS_SCHEMA,
}


def _money(value: decimal.Decimal | None) -> decimal.Decimal | None:
    if value is None:
        return None
    return value.quantize(_CENT, context=_MONEY_CONTEXT)


def _text(value: str) -> str | None:
    return value or None


def _rows(verdict: Verdict) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The claim row, its line rows and its finding rows."""
    claim = verdict.claim
    env = claim.envelope
    ordinal = claim.position.ordinal
    common = {
        "file": env.file,
        "claim_id": claim.CLM01,
        "trace_id": _text(verdict.trace_id),
        "claim_segment_ordinal": ordinal,
    }
    claim_row = {
        **common,
        "interchange": _text(env.ISA13),
        "group": _text(env.GS06),
        "transaction": _text(env.ST02),
        "form": claim.form,
        "version": _text(env.GS08),
        "frequency": _text(claim.frequency),
        "member_id": _text(claim.member_id),
        "patient_name": _text(claim.patient_person.name),
        "billing_npi": _text(claim.billing.npi),
        "billing_state": _text(claim.billing.state),
        "total_charge": _money(claim.total_charge),
        "status": verdict.status,
        "s_code_line_count": sum(1 for ln in claim.lines if ln.is_s_code),
        "rejection_rules": sorted({f.rule for f in verdict.findings if f.rejects}),
        "claim_byte_offset": claim.position.offset,
    }
    lines = [
        {
            **common,
            "line_number": ln.LX01,
            "procedure_code": _text(ln.procedure),
            "modifiers": list(ln.modifiers),
            "revenue_code": _text(ln.revenue_code),
            "units": float(ln.units),
            "charge": _money(ln.charge),
            "service_date": claim.line_date(ln),
            "order_id": ln.REF_G1 or claim.REF_G1 or None,
            "line_control_number": _text(ln.REF_6R),
            "is_s_code": ln.is_s_code,
            "expected_reimbursement": _money(verdict.reimbursement.get(ln.LX01)),
            "segment_ordinal": ln.position.ordinal,
            "byte_offset": ln.position.offset,
        }
        for ln in claim.lines
    ]
    findings = [
        {
            **common,
            "rule": f.rule,
            "severity": str(f.severity),
            "message": f.message,
            "fix": _text(f.fix),
            "citation": _text(f.citation),
            "line_number": f.line,
            "loop": _text(f.loop),
            "segment_id": _text(f.segment.segment_id) if f.segment else None,
            "segment_ordinal": f.segment.ordinal if f.segment else None,
            "byte_offset": f.segment.offset if f.segment else None,
            "value": _text(f.value),
            "stc_category": _text(f.category),
            "stc_status": _text(f.status_code),
        }
        for f in verdict.findings
    ]
    return claim_row, lines, findings


class _Table:
    """One Parquet file being written: rows are buffered and flushed as row groups."""

    def __init__(self, directory: Path, name: str, schema: pa.Schema, batch_rows: int) -> None:
        self.target = directory / f"{name}.parquet"
        self._atomic = atomic_path(self.target)  # a unique temporary beside the target
        self.tmp = self._atomic.__enter__()
        self.schema = schema
        self.batch_rows = batch_rows
        self.writer = pq.ParquetWriter(self.tmp, schema)
        self.pending: list[dict[str, Any]] = []
        self.rows = 0

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        self.pending.extend(rows)
        if len(self.pending) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.writer.write_batch(pa.RecordBatch.from_pylist(self.pending, schema=self.schema))
            self.rows += len(self.pending)
            self.pending = []

    def close(self) -> None:
        self.flush()
        self.writer.close()
        self._atomic.__exit__(None, None, None)

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            failure = RuntimeError("Parquet table abandoned")
            self._atomic.__exit__(RuntimeError, failure, None)


def write_parquet(
    directory: str | os.PathLike[str],
    verdicts: Iterable[Verdict],
    *,
    batch_rows: int = BATCH_ROWS,
) -> dict[str, int]:
    """Write ``claims.parquet``, ``service_lines.parquet`` and ``findings.parquet`` into
    ``directory`` (created if needed) from a verdict stream; returns the rows per table.

    The stream is consumed once; at most ``batch_rows`` rows per table are held.
    """
    tables = ParquetTables(directory, batch_rows=batch_rows)
    try:
        for verdict in verdicts:
            tables.add(verdict)
    except BaseException:
        tables.abort()
        raise
    return tables.close()


class ParquetTables:
    """The three tables written verdict by verdict (the answer pass's push form)."""

    def __init__(self, directory: str | os.PathLike[str], *, batch_rows: int = BATCH_ROWS) -> None:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.tables: dict[str, _Table] = {}
        try:
            for name, schema in TABLES.items():
                self.tables[name] = _Table(out, name, schema, batch_rows)
        except BaseException:
            self.abort()
            raise
        self._claims, self._lines, self._findings = (self.tables[n] for n in TABLES)

    def add(self, verdict: Verdict) -> None:
        claim_row, line_rows, finding_rows = _rows(verdict)
        self._claims.add((claim_row,))
        self._lines.add(line_rows)
        self._findings.add(finding_rows)

    def close(self) -> dict[str, int]:
        """Flush and close every table; returns the rows per table."""
        try:
            for table in self.tables.values():
                table.flush()
        except BaseException:
            self.abort()
            raise
        for table in self.tables.values():
            table.close()
        return {name: table.rows for name, table in self.tables.items()}

    def abort(self) -> None:
        for table in self.tables.values():
            table.abort()
