"""``check``: one screening run end to end, as the CLI, the drop folder and Spark run it.

Read and judge the batch (locally or on Spark), then answer it in one pass that feeds
the report and every output asked for (``edi837.outputs``). The callers differ only in
where their report goes and which outputs they ask for; what a run does is here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from edi837.control import ControlNumbers, control_numbers
from edi837.outputs import OutputOptions, answer_with
from edi837.rules.context import RunContext
from edi837.screening import FileResult, Screening
from edi837.store.base import HistoryStore
from edi837.writers.base import Writer
from edi837.writers.report import Report, ReportWriter, Summary


@dataclass
class CheckResult:
    """What a run answered: the counts, each input, the files written."""

    summary: Summary
    files: list[FileResult]
    written: dict[str, list[str]] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)  # paths named twice, screened once

    @property
    def has_errors(self) -> bool:
        """An input could not be read, or had envelope errors (exit code 2)."""
        return any(f.errors for f in self.files)

    @property
    def exit_code(self) -> int:
        """0 every claim accepted, 1 some rejected, 2 an input unreadable or in error."""
        return 2 if self.has_errors else 1 if self.summary.rejected else 0


def check(
    paths: Iterable[str | Path] | str | Path,
    run: RunContext,
    *,
    history: HistoryStore | None = None,
    report: Report | None = None,
    meta: dict[str, object] | None = None,
    outputs: OutputOptions | None = None,
    numbers: ControlNumbers | None = None,
    writers: Iterable[Writer] = (),
    engine: str | None = None,
    history_url: str | None = None,
    progress: Callable[[int], None] | None = None,
    on_read: Callable[[list[FileResult]], None] | None = None,
) -> CheckResult:
    """Screen ``paths`` and answer every claim once.

    ``report`` (a ``edi837.writers.report`` format) gets ``meta`` in its header;
    ``outputs`` names the acknowledgments, splits, annotated copies and Parquet tables
    (control numbers from ``numbers``); ``writers`` are more outputs of your own.
    ``engine`` is None for this process or a Spark master (``local[2]``), which then
    opens ``history_url`` in its tasks. ``progress`` is called with the bytes read;
    ``on_read`` with the inputs once read and judged (before anything is answered).
    """
    if engine is None:
        screening = Screening(paths, run, history, progress=progress)
    else:
        from edi837.spark import SparkScreening  # needs the edi837[spark] extra

        screening = SparkScreening(paths, run, master=engine, history_url=history_url)
    extra = list(writers)
    if report is not None:
        extra.insert(0, ReportWriter(report, meta or {}))
    with screening:
        files = screening.prepare()
        if on_read is not None:
            on_read(files)
        if numbers is None:  # the counter under EDI837_HOME (or the PostgreSQL store's)
            numbers = control_numbers(None, history)
        options = outputs or OutputOptions()
        summary, written = answer_with(screening, options, numbers, extra)
        return CheckResult(summary, files, written, list(screening.duplicates))
