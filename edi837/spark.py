"""Screen 837 batches on Apache Spark with the very same reader, rules and judge.

Optional: ``pip install 'edi837[spark]'`` (pyspark 4, pyarrow, pandas; Java 17).

Two ways in:

* ``screen(spark, paths, ...) -> DataFrame``, for use inside a Spark job: one row per
  claim, the columns of the JSON report's claim object (``claim_json``, schema
  ``edi837.report/1``) plus ``file_index`` and ``claim_index`` (input order).
  ``s_code_lines`` and ``findings`` are arrays of structs (queryable with ``explode``;
  nested fields as in the JSON report, amounts and dates as the same strings);
  ``df.toJSON()`` gives the report's claim objects (null fields left out).
* ``SparkScreening`` (``edi837 check --engine spark[:MASTER]``): steps 1 and 2 on Spark
  (``run_spark_engine``), step 3 on the driver through the report writers, so the report,
  277CA, 999 and split files are the ones the single-process engine writes.

How the three steps of ``edi837.screening`` are spread:

1. **read**: a list of the input paths, parallelized: ``spark.range(k, numPartitions=k)``
   is one row per task, each task reading a group of files (one file per task when there
   are fewer files than ``TASKS_PER_CORE`` x cores; else files packed by size, largest
   first, because a Python task costs about as much to schedule as reading a 1,000-claim
   file). Each file is read by ``read_file`` and leaves its digests (patient key, the
   columns of ``sort_key``, the pickled digest) and one row holding the pickled
   ``FileResult``. A list of paths rather than the ``binaryFile`` source because the
   reader streams from a path (``binaryFile`` holds a whole file in one row, 2 GB at
   most) and step 3 reads the file again. Each task opens its own input through
   ``edi837.sources``: a URL (``s3://``, ``abfs://``, ``gs://``, ``hdfs://``) is read as a
   stream by the executor itself, so nothing needs a shared mount (the executors need
   fsspec and the store's credentials in their environment); a local path must name the
   same file on the driver and every executor (local mode, or a shared mount). Digests
   of a file that turns out unreadable part-way are held in a task-local temporary file
   and dropped, as ``Screening`` drops them from its spool.
2. **judge**: digests are ``repartition``-ed by patient key and
   ``sortWithinPartitions``-ed by the ``sort_key`` columns; ``mapInArrow`` runs the same
   ``Judge`` over each patient's digests (re-sorted in Python with ``sort_key`` itself, so
   the order does not depend on Spark's collation). No rule is rewritten in Spark SQL.
   Each task opens the history store named by ``history_url`` (``None``: an in-memory
   store per task, so nothing is remembered across runs) and judges its partition in one
   transaction (``run_in_transaction``: a transient failure re-runs the partition), locking
   its patients first as the single-process engine does. Cross-file rules (S0353 once,
   S0354 interval, voids of claims in other files) still hold without a store, because all
   of a patient's claims in the batch meet in one partition. ``screen()`` materializes
   this step once (``localCheckpoint``), so the history is written once per call however
   many actions run on the returned DataFrame.
3. **answer**: the judged findings (only claims that have some) and the file rows are
   range-partitioned by file index; each task collects a file's findings, then re-reads
   the file with ``answer_file`` and emits its claim rows in input order.

``screen()`` leaves the read step persisted and the judge step checkpointed on the
executors (the returned DataFrame is computed from them); ``spark.catalog.clearCache()``
or the end of the session frees them.

The judge writes history in one transaction per task, not per run: two tasks never share
a patient, so this changes nothing in the verdicts, but a failed run may leave some
tasks' patients committed. A Spark task retried after its commit finds its claims already
recorded, as a re-screened file does in the local engine: the store keeps one record per
(patient, claim id), so each claim is counted once.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import warnings
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from edi837.atomic import atomic_open
from edi837.engines.spark_tasks import (
    SORT_COLUMNS,
    AnswerFiles,
    JudgePatients,
    ReadFiles,
    arrow_schema,
    claims_schema,
    pack_files,
    schemas,
    unpack_file,
)
from edi837.errors import Edi837Error
from edi837.feeds import AuthorizationFeed, ProviderFeed
from edi837.judged import JudgedFindings
from edi837.policy import Policy
from edi837.rules.context import RunContext
from edi837.screening import FileResult, Screening, expand_paths

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "DEFAULT_MASTER",
    "SparkScreening",
    "claims_schema",
    "parse_engine",
    "run_context",
    "run_spark_engine",
    "screen",
    "spark_session",
]

DEFAULT_MASTER = "local[2]"
TASKS_PER_CORE = 2
"""Files are read (and answered) in at most this many tasks per core, packed by size:
a Python task costs a tenth of a second or so to schedule, as much as reading a
1,000-claim file."""


# -- the session ------------------------------------------------------------------------


_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = spark: %p %c{1}: %m%n
"""


def _log_config() -> str:
    """A log4j2 file that keeps the JVM to errors (Spark's default chats on stderr)."""
    path = Path(tempfile.gettempdir()) / f"edi837-spark-log4j2-{os.getuid()}.properties"
    if not path.exists() or path.read_text() != _LOG4J2:
        with atomic_open(path) as out:  # concurrent drivers never share a temporary
            out.write(_LOG4J2)
    return path.as_uri()


def spark_session(
    master: str = DEFAULT_MASTER, app_name: str = "edi837", conf: dict[str, str] | None = None
) -> SparkSession:
    """A SparkSession for edi837: no web UI, no console progress bar, small shuffles,
    executors running this interpreter, JVM logging at ERROR; in local mode bound to
    127.0.0.1 only. ``conf`` adds or overrides settings. An already running session is
    returned as it is (Spark allows one per process)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise Edi837Error("the Spark engine needs pyspark: pip install 'edi837[spark]'") from None
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    local = master.startswith("local")
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.pyspark.python": sys.executable,
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={_log_config()}",
    }
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        settings["spark.driver.host"] = "127.0.0.1"
        settings["spark.driver.bindAddress"] = "127.0.0.1"
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def parse_engine(value: str) -> str | None:
    """``--engine``: ``local`` -> None; ``spark`` or ``spark:MASTER`` -> the master URL."""
    name, _, master = value.partition(":")
    if name == "local" and not master:
        return None
    if name == "spark":
        return master or DEFAULT_MASTER
    raise ValueError(f"{value!r}: expected local, spark or spark:MASTER (e.g. spark:local[4])")


def run_context(
    policy: str | Policy = "bcbsma",
    authorizations: str | os.PathLike[str] | AuthorizationFeed | None = None,
    providers: str | os.PathLike[str] | ProviderFeed | None = None,
    received: date | None = None,
) -> RunContext:
    """A RunContext from a policy name/path and feed paths (or already loaded objects)."""
    return RunContext.build(policy, authorizations, providers, received)


# -- wiring -----------------------------------------------------------------------------


class _Plan:
    """The DataFrames of one run over ``files`` ((given, local) path pairs)."""

    def __init__(
        self,
        spark: SparkSession,
        files: list[tuple[str, str]],
        run: RunContext,
        history_url: str | None,
    ) -> None:
        self.spark = spark
        self.files = files
        self.history_url = history_url
        self.run = spark.sparkContext.broadcast(run)
        self.schemas = schemas()
        cores = max(1, spark.sparkContext.defaultParallelism)
        self.groups = pack_files(files, TASKS_PER_CORE * cores)

    def read(self) -> DataFrame:
        """Step 1, persisted: both later steps consume it."""
        from pyspark import StorageLevel

        n = len(self.groups)
        schema = self.schemas["read"]
        task = ReadFiles(self.files, self.groups, self.run, arrow_schema(self.spark, schema))
        df = self.spark.range(n, numPartitions=n).mapInArrow(task, schema)
        return df.persist(StorageLevel.MEMORY_AND_DISK)

    def judge(self, read: DataFrame) -> DataFrame:
        """Step 2: the findings of the claims the timeline rules had something to say on."""
        from pyspark.sql import functions as F

        partitions = max(1, self.spark.sparkContext.defaultParallelism)
        task = JudgePatients(
            self.run, self.history_url, arrow_schema(self.spark, self.schemas["judged"])
        )
        return (
            read.where(F.col("patient").isNotNull())
            .repartition(partitions, "patient")
            .sortWithinPartitions(*SORT_COLUMNS)
            .select(*JudgePatients.COLUMNS)
            .mapInArrow(task, self.schemas["judged"])
        )

    def answer(self, read: DataFrame, judged: DataFrame) -> DataFrame:
        """Step 3: claim rows, each file answered by one task."""
        from pyspark.sql import functions as F

        files = read.where(F.col("patient").isNull()).select(
            "file_index", F.lit(1).alias("kind"), F.lit(-1).cast("long").alias("key"), "body"
        )
        findings = judged.select("file_index", F.lit(0).alias("kind"), "key", "body")
        task = AnswerFiles(self.run, arrow_schema(self.spark, self.schemas["claims"]))
        return (
            findings.unionByName(files)
            .repartitionByRange(len(self.groups), "file_index")
            .sortWithinPartitions("file_index", "kind")
            .mapInArrow(task, self.schemas["claims"])
        )


def screen(
    spark: SparkSession,
    paths: Iterable[str | os.PathLike[str]],
    *,
    policy: str | Policy = "bcbsma",
    authorizations: str | os.PathLike[str] | AuthorizationFeed | None = None,
    providers: str | os.PathLike[str] | ProviderFeed | None = None,
    received: date | None = None,
    history_url: str | None = None,
) -> DataFrame:
    """Screen a batch on ``spark``: a DataFrame with one row per claim (see the module doc).

    ``paths`` are files, directories, globs or URLs (``s3://``, ``abfs://``...; expanded
    on the driver, ZIP archives into their members): each executor task opens its own URL;
    a local path must be readable at that path on the executors. The policy and feeds
    are loaded here and broadcast. Reading and judging run now (the history store is
    written once, here); the claim rows are computed when the DataFrame is used, by
    re-reading each file on an executor.
    """
    run = run_context(policy, authorizations, providers, received)
    files = _local_files(paths)
    if not files:
        return spark.createDataFrame([], claims_schema())
    plan = _Plan(spark, files, run, history_url)
    read = plan.read()
    judged = plan.judge(read).localCheckpoint(eager=True)
    return plan.answer(read, judged)


def _local_files(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[str, str]]:
    files = expand_paths(paths)
    if "-" in files:
        raise Edi837Error("the Spark engine cannot read standard input; pass file paths")
    return [(p, _where(p)) for p in files]


def _where(path: str) -> str:
    """Where an executor reads ``path`` from: a URL as it is (each task opens its own, no
    shared mount needed), a local path made absolute."""
    from edi837.sources import MEMBER_SEP, is_url

    if is_url(path):
        return path
    archive, sep, member = path.rpartition(MEMBER_SEP)
    if sep and not os.path.exists(path) and os.path.exists(archive):
        return f"{Path(archive).resolve()}{MEMBER_SEP}{member}"
    return str(Path(path).resolve())


def run_spark_engine(
    paths: Iterable[str | os.PathLike[str]],
    run: RunContext,
    *,
    history_url: str | None = None,
    master: str = DEFAULT_MASTER,
    spark: SparkSession | None = None,
) -> tuple[list[FileResult], JudgedFindings]:
    """Steps 1 and 2 on Spark; returns what ``Screening`` keeps after ``prepare()``:
    the ``FileResult`` of every input (in input order) and the timeline findings by claim
    key. Uses ``spark`` if given, else the active session, else starts one on ``master``
    (and stops it when done)."""
    return _prepare(_local_files(paths), run, history_url, master, spark)


def _prepare(
    files: list[tuple[str, str]],
    run: RunContext,
    history_url: str | None,
    master: str,
    spark: SparkSession | None,
) -> tuple[list[FileResult], JudgedFindings]:
    if not files:
        return [], JudgedFindings()
    own = False
    if spark is None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise Edi837Error(
                "the Spark engine needs pyspark: pip install 'edi837[spark]'"
            ) from None
        spark = SparkSession.getActiveSession()
        if spark is None:
            spark, own = spark_session(master), True
    try:
        plan = _Plan(spark, files, run, history_url)
        read = plan.read()
        try:
            judged = JudgedFindings()
            judged.update(
                (r.key, pickle.loads(r.body))
                for r in plan.judge(read).select("key", "body").toLocalIterator()
            )
            from pyspark.sql import functions as F

            rows = read.where(F.col("patient").isNull()).select("body").collect()
            results = sorted((unpack_file(r.body) for r in rows), key=lambda f: f.index)
        finally:
            read.unpersist()
            plan.run.unpersist()
    finally:
        if own:
            spark.stop()
    for result, (given, local) in zip(results, files, strict=True):
        result.path, result.local_path = given, local
    return results, judged


class SparkScreening(Screening):
    """A ``Screening`` whose steps 1 and 2 run on Spark; ``verdicts()`` (step 3) runs in
    this process, so every report and acknowledgment writer works unchanged.

    ``history_url`` is opened by each judging task (``None``: no history across runs).
    Standard input (``-``) is spooled to a temporary file first, which the executors must
    be able to read (local mode).
    """

    peek_archives = True  # the tasks are given the inputs: ZIP members listed up front

    def __init__(
        self,
        paths: Iterable[str | Path],
        run: RunContext,
        *,
        master: str = DEFAULT_MASTER,
        history_url: str | None = None,
        spark: SparkSession | None = None,
    ) -> None:
        super().__init__(paths, run)
        self.master = master
        self.history_url = history_url
        self.spark = spark

    def prepare(self) -> list[FileResult]:
        if not self._prepared:
            self._prepared = True
            files = [(p, _where(self._materialize(p))) for p in self.paths]
            self._judged.close()
            self.files, self._judged = _prepare(  # spooled past a few thousand claims
                files, self.run, self.history_url, self.master, self.spark
            )
        return self.files
