"""The Spark tasks of ``edi837.spark``: what runs on executors, and the rows they trade.

Each task is a picklable callable handed to ``DataFrame.mapInArrow``: it receives Arrow
record batches and yields Arrow record batches whose schema is exactly the one Spark
expects (derived from the Spark schema by pyspark itself, see ``arrow_schema``). Claims,
digests and findings travel between the steps pickled in a ``binary`` column, so the
executors run the project's own reader, rules and judge on the project's own objects.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import IO, TYPE_CHECKING, Any

from edi837.errors import X12SyntaxError
from edi837.judge import Judge, sort_key
from edi837.screening import FileResult, answer_file, archive_members, read_file
from edi837.sources import ZipArchiveInput
from edi837.verdicts import Finding
from edi837.writers.claim_json import claim_json

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PICKLE = pickle.HIGHEST_PROTOCOL
ROWS_PER_BATCH = 2048  # rows per Arrow batch handed back to Spark
SORT_COLUMNS = ("patient", "day", "rank", "tiebreak", "key")
"""The columns of ``edi837.judge.sort_key`` as the read step emits them."""


# -- schemas ----------------------------------------------------------------------------


def schemas() -> dict[str, Any]:
    """Spark schemas of the three stages (built lazily: pyspark is optional)."""
    from pyspark.sql import types as T

    def s(*fields: tuple[str, Any]) -> T.StructType:
        return T.StructType([T.StructField(n, t, True) for n, t in fields])

    string, integer, long = T.StringType(), T.IntegerType(), T.LongType()
    binary = T.BinaryType()
    segment = s(("ordinal", long), ("offset", long))
    line = s(
        ("line", integer),
        ("procedure", string),
        ("revenue_code", string),
        ("service_date", string),
        ("units", string),
        ("charge", string),
        ("order_id", string),
        ("expected_reimbursement", string),
    )
    finding = s(
        ("rule", string),
        ("severity", string),
        ("message", string),
        ("fix", string),
        ("citation", string),
        ("line", integer),
        ("loop", string),
        ("segment", s(("id", string), ("ordinal", long), ("offset", long))),
        ("value", string),
        ("category", string),
        ("status_code", string),
    )
    return {
        # step 1: a digest row per S-code claim; a file row (patient null) per file.
        # content_hash and issues (pickled envelope issues, null if none) are the file's,
        # for the judge (as Screening passes them)
        "read": s(
            ("file_index", integer),
            ("file", string),
            ("patient", string),
            ("day", integer),
            ("rank", integer),
            ("tiebreak", string),
            ("key", long),
            ("content_hash", string),
            ("issues", binary),
            ("body", binary),
        ),
        # step 2: a row per claim with timeline findings (body: pickled list[Finding])
        "judged": s(("file_index", integer), ("key", long), ("status", string), ("body", binary)),
        # step 3: claim_json, plus where the claim sits in the input
        "claims": s(
            ("file", string),
            ("claim_id", string),
            ("trace_id", string),
            ("form", string),
            ("version", string),
            ("version_note", string),
            ("interchange", string),
            ("group", string),
            ("transaction", string),
            ("segment", segment),
            ("frequency", string),
            ("member_id", string),
            ("patient", string),
            ("billing_npi", string),
            ("total_charge", string),
            ("status", string),
            ("s_code_lines", T.ArrayType(line, True)),
            ("findings", T.ArrayType(finding, True)),
            ("file_index", integer),
            ("claim_index", long),
        ),
    }


def claims_schema() -> Any:
    """The Spark schema of ``screen()``'s DataFrame."""
    return schemas()["claims"]


def arrow_schema(spark: SparkSession, schema: Any) -> Any:
    """The Arrow schema Spark expects back from mapInArrow for ``schema``."""
    from pyspark.sql.pandas.types import to_arrow_schema

    large = spark.conf.get("spark.sql.execution.arrow.useLargeVarTypes", "false") == "true"
    try:
        return to_arrow_schema(schema, prefers_large_types=large)
    except TypeError:  # an older signature
        return to_arrow_schema(schema)


def _batches(rows: Iterable[tuple], schema: Any, size: int = ROWS_PER_BATCH) -> Iterator[Any]:
    """Tuples (in schema order) as Arrow record batches of ``size`` rows."""
    import pyarrow as pa

    chunk: list[tuple] = []

    def batch() -> Any:
        columns = list(zip(*chunk, strict=True))
        return pa.RecordBatch.from_arrays(
            [pa.array(col, type=field.type) for col, field in zip(columns, schema, strict=True)],
            schema=schema,
        )

    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield batch()
            chunk = []
    if chunk:
        yield batch()


def _rows(batches: Iterable[Any], *columns: str) -> Iterator[tuple]:
    for b in batches:
        yield from zip(*(b.column(c).to_pylist() for c in columns), strict=True)


# -- file results travel pickled; X12SyntaxError needs help (keyword-only init) ----------


def pack_file(result: FileResult) -> bytes:
    """A FileResult as bytes (its ``fatal`` error carried as plain fields)."""
    fatal = result.fatal
    error = None
    if fatal is not None:
        error = (
            type(fatal),
            fatal.msg,
            fatal.file,
            fatal.segment_ordinal,
            fatal.byte_offset,
            fatal.segment_id,
        )
    result.fatal = None
    try:
        return pickle.dumps((result, error), PICKLE)
    finally:
        result.fatal = fatal


def unpack_file(body: bytes) -> FileResult:
    """The FileResult ``pack_file`` made, with its ``fatal`` error rebuilt."""
    result, error = pickle.loads(body)
    if error is not None:
        cls, msg, file, ordinal, offset, segment_id = error
        result.fatal = cls(
            msg, file=file, segment_ordinal=ordinal, byte_offset=offset, segment_id=segment_id
        )
    return result


class _Spool:
    """Pickled records in an anonymous temporary file, read back in order (any times)."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile(prefix="edi837-spark-")  # noqa: SIM115
        self.count = 0

    def add(self, record: object) -> None:
        pickle.dump(record, self.file, PICKLE)
        self.count += 1

    def __iter__(self) -> Iterator[Any]:
        self.file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self.file)
        self.file.seek(0, os.SEEK_END)

    def close(self) -> None:
        self.file.close()


# -- the three tasks (picklable callables run by mapInArrow on executors) ----------------


def pack_files(files: list[tuple[str, str]], tasks: int) -> list[list[int]]:
    """File indexes in at most ``tasks`` groups of about equal bytes (largest first into
    the lightest group); a file that cannot be sized on the driver counts as empty."""
    loads = [0] * max(1, min(tasks, len(files)))
    groups: list[list[int]] = [[] for _ in loads]
    sizes = []
    from edi837.sources import source_size

    for index, (_, local) in enumerate(files):
        sizes.append((source_size(local), index))
    for size, index in sorted(sizes, key=lambda s: (-s[0], s[1])):
        k = loads.index(min(loads))
        groups[k].append(index)
        loads[k] += size
    return [sorted(g) for g in groups if g]


class ReadFiles:
    """Step 1: each input id names a group of files; emit each file's digests, then its
    FileResult."""

    def __init__(self, files: list[tuple[str, str]], groups: list[list[int]], run: Any,
                 schema: Any) -> None:  # fmt: skip
        self.files = files  # (path as given, path to read)
        self.groups = groups  # file indexes per task
        self.run = run  # Broadcast[RunContext]
        self.schema = schema

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        for (group,) in _rows(batches, "id"):
            for index in self.groups[group]:
                yield from _batches(self.read(index), self.schema)

    def read(self, index: int) -> Iterator[tuple]:
        given, local = self.files[index]
        result = FileResult(given, index, local_path=local)
        spool = _Spool()
        try:
            try:
                for digest in read_file(result, self.run.value):
                    spool.add((*sort_key(digest), pickle.dumps(digest, PICKLE)))
            except ZipArchiveInput:
                # The driver replaced every ZIP it could list by its members: this one
                # it could not (cut short, garbage after the magic), so it is unreadable.
                if archive_members(result) is not None:
                    result.fatal = X12SyntaxError(
                        "a ZIP archive that changed since the run listed it", file=given
                    )
            issues = pickle.dumps(result.issues, PICKLE) if result.issues else None
            if result.fatal is None:
                for patient, day, rank, tiebreak, key, body in spool:
                    yield (index, given, patient, day, rank, tiebreak, key,
                           result.content_hash, issues, body)  # fmt: skip
        finally:
            spool.close()
        yield (index, given, None, None, None, None, None, result.content_hash, issues,
               pack_file(result))  # fmt: skip


class JudgePatients:
    """Step 2: one partition of patients, judged in one history-store transaction.

    The partition is spooled to a temporary file first: the transaction may have to run
    again (``run_in_transaction``), and the findings are handed back only once committed.
    """

    COLUMNS = ("file", "patient", "content_hash", "issues", "body")

    def __init__(self, run: Any, history_url: str | None, schema: Any) -> None:
        self.run = run
        self.history_url = history_url
        self.schema = schema

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        spool = _Spool()
        patients: set[str] = set()
        hashes: dict[str, str] = {}
        issues: dict[str, Any] = {}
        try:
            for file, patient, content_hash, file_issues, body in _rows(batches, *self.COLUMNS):
                spool.add((patient, body))
                patients.add(patient)
                if file not in hashes:
                    hashes[file] = content_hash
                    if file_issues is not None:
                        issues[file] = pickle.loads(file_issues)
            if not spool.count:
                return
            from edi837.store import open_store, run_in_transaction

            store = open_store(self.history_url)
            try:
                judged = run_in_transaction(
                    store, lambda: self.judge(store, spool, patients, hashes, issues)
                )
            finally:
                store.close()
        finally:
            spool.close()
        yield from _batches(judged, self.schema)

    def judge(self, store: Any, spool: _Spool, patients: set[str], hashes: dict[str, str],
              issues: dict[str, Any]) -> list[tuple]:  # fmt: skip
        judge = Judge(self.run.value, store, hashes, issues)
        store.lock_patients(sorted(patients))
        out = []
        for patient, rows in groupby(spool, key=itemgetter(0)):
            digests = sorted((pickle.loads(body) for _, body in rows), key=sort_key)
            for j in judge.judge_patient(patient, digests):
                if j.findings:
                    out.append((j.key >> 32, j.key, j.status, pickle.dumps(j.findings, PICKLE)))
        return out


class AnswerFiles:
    """Step 3: per file (judged rows first, then the file row), every claim's row."""

    def __init__(self, run: Any, schema: Any) -> None:
        self.run = run
        self.schema = schema

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        judged: dict[int, list[Finding]] = {}
        for _, kind, key, body in _rows(batches, "file_index", "kind", "key", "body"):
            if kind == 0:
                judged[key] = pickle.loads(body)
                continue
            result = unpack_file(body)
            chunk: list[dict[str, Any]] = []
            for n, verdict in enumerate(answer_file(result, self.run.value, judged)):
                chunk.append({**claim_json(verdict), "file_index": result.index, "claim_index": n})
                if len(chunk) >= ROWS_PER_BATCH:
                    yield pa.RecordBatch.from_pylist(chunk, schema=self.schema)
                    chunk = []
            if chunk:
                yield pa.RecordBatch.from_pylist(chunk, schema=self.schema)
            judged = {}
