"""What every output of a screening run is: a writer fed by the one answer pass.

flake8's formatter plugins are the model. The answer pass (``Screening.answer``) reads
each input once more and hands every writer the same events, in file order::

    start(files)                    the batch is read and judged: every input is known
      begin_file(file)              per input (unreadable ones too: a 999 or TA1 may be due)
        segment(seg)                a segment outside any claim (only if ``segments``)
        claim(verdict)              a claim, finished; ``verdict.claim.raw`` holds its
                                    own segments as read (CLM up to the next HL/CLM/SE)
      end_file(file)
    finish(summary)                 the batch is answered (``Summary``: the counts)

A claim comes before the segment that ends it (the next HL, CLM or SE), so a writer that
copies the input (the splits, the annotated copy) sees the segments in file order.
``abort`` is called instead of the remaining events when the run fails: a writer removes
what it has half-written (``edi837.atomic`` outputs are simply not renamed into place).
Writers keep nothing per claim beyond what they write, so memory stays flat.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edi837.screening import FileResult
    from edi837.verdicts import Verdict
    from edi837.writers.report import Summary
    from edi837.x12.tokenizer import Segment


class Writer:
    """Base class: an output overrides the events it needs; ``written`` lists the paths."""

    segments = False  # wants ``segment()`` for the segments outside claims

    def __init__(self) -> None:
        self.written: list[str] = []
        self._outputs = contextlib.ExitStack()

    def start(self, files: list[FileResult]) -> None: ...

    def begin_file(self, file: FileResult) -> None: ...

    def segment(self, seg: Segment) -> None: ...

    def claim(self, verdict: Verdict) -> None: ...

    def end_file(self, file: FileResult) -> None: ...

    def finish(self, summary: Summary) -> None:
        """Close every output still open (renaming each into place)."""
        self._outputs.close()

    def abort(self, exc: BaseException) -> None:
        """The run failed: close every open output as failed (its temp file is removed)."""
        self._outputs.__exit__(type(exc), exc, exc.__traceback__)

    # -- helpers -----------------------------------------------------------------------
    def open(self, manager: contextlib.AbstractContextManager[Any]) -> Any:
        """Enter an output's context (e.g. ``atomic_open``) until ``finish`` or ``abort``."""
        return self._outputs.enter_context(manager)

    def close_outputs(self) -> None:
        """Close the outputs opened so far (a per-file output at the end of its input)."""
        outputs, self._outputs = self._outputs, contextlib.ExitStack()
        outputs.close()
