"""pyx12 as an oracle: the one module that imports pyx12 to *read* X12 (STYLE.md).

edi837 reads 837s with its own streaming reader; tests and benchmarks compare it with
pyx12 4.0.0, whose 5010 maps are the reference for X12 structure. Two entry points:

* :func:`pyx12_claims` walks the claims with pyx12's ``X12ContextReader`` (loop 2300
  trees) and returns, per claim, CLM01 and each service line's procedure code and raw
  DTP*472 date: the facts a differential test compares with ``ClaimReader``;
* :func:`pyx12_validate` runs pyx12's validator (``x12n_document``) and returns its
  verdict with the error messages it logs on the ``pyx12`` logger;
* :func:`pyx12_issues` (``edi837 check --validate``) turns pyx12's full TR3 validation
  into ``SyntaxIssue`` objects with 999 coordinates, so they fold into our 999 and report.

pyx12's quirks are handled here, not in callers: it opens a path as strict ASCII (so
files are opened here as Latin-1 and a UTF-8 byte-order mark is skipped), and it reads
the separators from fixed ISA columns (an ISA that is not 106 characters fails; that is
pyx12's answer and is passed on as its exception).
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import pyx12.error_handler
import pyx12.params
import pyx12.x12context
import pyx12.x12n_document

from edi837.verdicts import Severity
from edi837.x12.envelope import EnvelopeTracker, Transaction
from edi837.x12.position import Position
from edi837.x12.syntax_issue import SyntaxIssue
from edi837.x12.tokenizer import SegmentReader, read_segments

ClaimFacts = tuple[str, list[tuple[str, str]]]
"""(CLM01, [(procedure code SV101-2 / SV202-2, DTP*472 DTP03 or ""), ...])."""

_BOM = "\xef\xbb\xbf"  # a UTF-8 byte-order mark read as Latin-1


@contextmanager
def _open_text(source: str | os.PathLike[str]) -> Iterator[TextIO]:
    """The file as text pyx12 can read: Latin-1 (one byte, one character), BOM skipped."""
    from edi837.sources import open_text

    with open_text(source) as handle:
        if handle.read(3) != _BOM:
            handle.seek(0)
        yield handle


def _service_line(loop: pyx12.x12context.X12DataNode) -> tuple[str, str]:
    """(procedure, DTP*472 date) of one 2400 loop, by pyx12's own element paths."""
    procedure = loop.get_value("SV101-2") or loop.get_value("SV202-2") or ""
    service_date = loop.get_value("DTP[472]03") or ""
    return procedure, service_date


def pyx12_claims(path: str | os.PathLike[str]) -> list[ClaimFacts]:
    """Every claim of an 837P/837I file as pyx12's X12ContextReader sees it, in file order.

    Raises whatever pyx12 raises for a file it cannot read (``pyx12.errors.X12Error``
    for a bad ISA, ``EngineError`` when no map matches GS08).
    """
    claims: list[ClaimFacts] = []
    params = pyx12.params.params()
    errh = pyx12.error_handler.errh_null()
    with _open_text(path) as handle:
        reader = pyx12.x12context.X12ContextReader(params, errh, handle)
        try:
            for node in reader.iter_segments("2300"):
                if node.id != "2300":
                    continue
                lines = [_service_line(loop) for loop in node.select("2400")]
                claims.append((node.get_value("CLM01") or "", lines))
        finally:
            reader.close()
    return claims


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _errors_logged() -> Iterator[_Collect]:
    """Collect the ERROR records pyx12 logs while the block runs (its only error channel)."""
    logger = logging.getLogger("pyx12")
    handler = _Collect()
    saved_level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.ERROR:
        logger.setLevel(logging.ERROR)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)


def pyx12_validate(source: str | os.PathLike[str]) -> tuple[bool, list[str]]:
    """pyx12's validation of an X12 document: (valid, error messages it logged).

    ``source`` is a path, or the X12 text itself (a ``str`` starting with ``ISA`` or a
    byte-order mark). ``x12n_document`` returns only True/False; the detail goes to the
    ``pyx12`` logger, whose ERROR records are collected here for the duration of the call.
    """
    params = pyx12.params.params()
    with _errors_logged() as handler:
        if isinstance(source, str) and source.lstrip(_BOM + "\ufeff").startswith("ISA"):
            text = source.lstrip(_BOM + "\ufeff")
            valid = pyx12.x12n_document.x12n_document(params, io.StringIO(text), None, None)
        else:
            with _open_text(Path(source)) as handle:
                valid = pyx12.x12n_document.x12n_document(params, handle, None, None)
    return bool(valid), handler.messages


_LINE = re.compile(r"Line:(\d+) ")


def _run_validator(path: str | os.PathLike[str]) -> tuple[str, list[str]]:
    """(pyx12's 999 text, its logged error messages) for one file."""
    ack = io.StringIO()
    with _errors_logged() as handler:
        try:
            with _open_text(Path(path)) as handle:
                pyx12.x12n_document.x12n_document(pyx12.params.params(), handle, ack, None, None)
        except Exception as exc:  # noqa: BLE001 - pyx12 raises a zoo; report, never crash
            handler.messages.append(f"pyx12 could not validate the file: {exc}")
    return ack.getvalue(), handler.messages


def pyx12_issues(path: str | os.PathLike[str], tracker: EnvelopeTracker) -> list[SyntaxIssue]:
    """pyx12's TR3 findings for a file edi837 has read, as 999-ready ``SyntaxIssue``s.

    Each IK3 of pyx12's 999 becomes an error on its transaction set (with pyx12's logged
    message for that segment when there is one); anything pyx12 says that does not map
    onto a segment (no map for an errata label, say) becomes a warning, never a
    rejection: a validator that cannot tell must not reject claims.
    """
    ack, messages = _run_validator(path)
    by_line: dict[int, list[str]] = {}
    loose: list[str] = []
    for message in messages:
        found = _LINE.search(message)
        (by_line.setdefault(int(found.group(1)), []) if found else loose).append(message)
    sets = {(st.ST02, st.ST01): st for st in tracker.transactions}
    wanted: list[tuple[Transaction, list[str], list[list[str]]]] = []
    current: tuple[Transaction, list[str], list[list[str]]] | None = None
    if ack.startswith("ISA"):
        for seg in SegmentReader(io.BytesIO(ack.encode("latin-1")), name="pyx12-999"):
            if seg.id == "AK2":
                st = sets.get((seg[2], seg[1]))
                current = None if st is None else (st, [], [])
            elif seg.id == "IK3" and current is not None:
                current = (current[0], seg.elements, [])
                wanted.append(current)
            elif seg.id == "IK4" and current is not None and current[1]:
                current[2].append(seg.elements)
    offsets = _offsets(path, {st.position.ordinal + int(ik3[2] or 1) - 1 for st, ik3, _ in wanted})
    issues: list[SyntaxIssue] = []
    for st, ik3, ik4s in wanted:
        ordinal = st.position.ordinal + int(ik3[2] or 1) - 1
        text = "; ".join(by_line.pop(ordinal, [])) or f"pyx12: {ik3[1]} error code {ik3[4]}"
        ik4 = ik4s[0] if ik4s else None
        issues.append(
            SyntaxIssue(
                Severity.REJECT,
                "TR3",
                f"TR3 validation (pyx12): {text}",
                Position(ordinal, offsets.get(ordinal, 0), ik3[1]),
                "transaction",
                interchange=st.interchange,
                group=st.group,
                transaction=st.index,
                ik3=(
                    ik3[1],
                    int(ik3[2] or 0),
                    ik3[3] if len(ik3) > 3 else "",
                    ik3[4] if len(ik3) > 4 else "8",
                ),
                ik4=(ik4[1], ik4[2], ik4[3], ik4[4] if len(ik4) > 4 else "") if ik4 else None,
                ik5="5",
            )
        )
    for message in loose + [m for ms in by_line.values() for m in ms]:
        issues.append(
            SyntaxIssue(Severity.WARNING, "TR3_NOTE", f"pyx12: {message}", Position(0, 0), "file")
        )
    return issues


def _offsets(path: str | os.PathLike[str], ordinals: set[int]) -> dict[int, int]:
    if not ordinals:
        return {}
    found: dict[int, int] = {}
    for seg in read_segments(path):
        if seg.ordinal in ordinals:
            found[seg.ordinal] = seg.offset
            if len(found) == len(ordinals):
                break
    return found
