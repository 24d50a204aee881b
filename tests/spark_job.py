"""A Spark job run in a fresh process by the object-storage tests (and bench_spark_s3).

A process of its own because the JVM (and with it every executor) inherits the
environment -- the object store's endpoint and credentials -- when it starts, and Spark
allows one master per process.

    python -m tests.spark_job MASTER [--py-files ZIP] [--authorizations CSV]
        [--providers CSV] URL_OR_PATH...

prints one JSON object: ``verdicts`` ([claim id, status, [rule codes]] in input order),
``files`` (the inputs' names, whether each was readable, its content hash), ``modules``
(where the executors imported edi837 from) and ``seconds`` (the screening alone, session
start excluded).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date

from edi837.spark import SparkScreening, run_context, spark_session


def main(argv: list[str]) -> None:
    master, *rest = argv
    options: dict[str, str] = {}
    while rest and rest[0].startswith("--"):
        options[rest[0][2:]] = rest[1]
        rest = rest[2:]
    py_files = options.get("py-files")
    conf = {"spark.executor.memory": "768m"}
    if py_files:
        conf["spark.submit.pyFiles"] = py_files  # as spark-submit --py-files sets it
    spark = spark_session(master, conf=conf)
    try:
        if py_files:
            spark.sparkContext.addPyFile(py_files)
        sc = spark.sparkContext
        modules = sorted(
            set(sc.parallelize(range(4), 4).map(lambda _: __import__("edi837").__file__).collect())
        )
        start = time.perf_counter()
        screening = SparkScreening(
            rest,
            run_context(
                "bcbsma", options.get("authorizations"), options.get("providers"), date(2026, 11, 2)
            ),
            spark=spark,
        )
        with screening:
            files = screening.prepare()
            verdicts = [
                [v.claim.CLM01, v.status, sorted(f.rule for f in v.findings)]
                for v in screening.verdicts()
            ]
        seconds = time.perf_counter() - start
    finally:
        spark.stop()
    print(
        json.dumps(
            {
                "verdicts": verdicts,
                "files": [[f.path, f.readable, f.content_hash] for f in files],
                "modules": modules,
                "seconds": seconds,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
