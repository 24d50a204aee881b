"""pyx12 as an oracle: the one module that imports pyx12 to *read* X12 (STYLE.md).

edi837 reads 837s with its own streaming reader; tests and benchmarks compare it with
pyx12 4.0.0, whose 5010 maps are the reference for X12 structure. Two entry points:

* :func:`pyx12_claims` walks the claims with pyx12's ``X12ContextReader`` (loop 2300
  trees) and returns, per claim, CLM01 and each service line's procedure code and raw
  DTP*472 date: the facts a differential test compares with ``ClaimReader``;
* :func:`pyx12_validate` runs pyx12's validator (``x12n_document``) and returns its
  verdict with the error messages it logs on the ``pyx12`` logger.

pyx12's quirks are handled here, not in callers: it opens a path as strict ASCII (so
files are opened here as Latin-1 and a UTF-8 byte-order mark is skipped), and it reads
the separators from fixed ISA columns (an ISA that is not 106 characters fails; that is
pyx12's answer and is passed on as its exception).
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import pyx12.error_handler
import pyx12.params
import pyx12.x12context
import pyx12.x12n_document

ClaimFacts = tuple[str, list[tuple[str, str]]]
"""(CLM01, [(procedure code SV101-2 / SV202-2, DTP*472 DTP03 or ""), ...])."""

_BOM = "\xef\xbb\xbf"  # a UTF-8 byte-order mark read as Latin-1


@contextmanager
def _open_text(source: str | os.PathLike[str]) -> Iterator[TextIO]:
    """The file as text pyx12 can read: Latin-1 (one byte, one character), BOM skipped."""
    with open(source, encoding="latin-1", newline="") as handle:
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


def pyx12_validate(source: str | os.PathLike[str]) -> tuple[bool, list[str]]:
    """pyx12's validation of an X12 document: (valid, error messages it logged).

    ``source`` is a path, or the X12 text itself (a ``str`` starting with ``ISA`` or a
    byte-order mark). ``x12n_document`` returns only True/False; the detail goes to the
    ``pyx12`` logger, whose ERROR records are collected here for the duration of the call.
    """
    logger = logging.getLogger("pyx12")
    handler = _Collect()
    saved_level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.ERROR:
        logger.setLevel(logging.ERROR)
    try:
        params = pyx12.params.params()
        if isinstance(source, str) and source.lstrip(_BOM + "\ufeff").startswith("ISA"):
            text = source.lstrip(_BOM + "\ufeff")
            valid = pyx12.x12n_document.x12n_document(params, io.StringIO(text), None, None)
        else:
            with _open_text(Path(source)) as handle:
                valid = pyx12.x12n_document.x12n_document(params, handle, None, None)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
    return bool(valid), handler.messages
