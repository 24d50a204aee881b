"""Reading a reference feed's CSV: rows by column name, every bad row reported.

Why apart from the feeds: how a CSV export goes wrong (another encoding, a short row,
a field a megabyte long, a column named twice) is the same for every feed, and the
report of it (every bad row by line number, the first ``MAX_SHOWN`` listed, the rest
counted) is what a billing analyst fixes the file from. ``edi837.feeds`` checks the
values of each row it is given.
"""

from __future__ import annotations

import csv
import heapq
import io
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

from edi837.errors import FeedError
from edi837.safetext import escape

__all__ = ["MAX_SHOWN", "FeedProblems", "feed_rows"]

MAX_SHOWN = 20  # bad rows listed one by one; the rest are counted
_FIELD_LIMIT = 1 << 20  # a CSV field this long is reported, not a crash (default 131,072)


class FeedProblems:
    """Every bad row of one feed; ``raise_if_any`` turns them into one ``FeedError``
    listing the first ``MAX_SHOWN`` (one line each) and how many more there are. Only
    those first rows are kept (a feed of a million bad rows is counted, not stored)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.undecodable = False  # a line is not UTF-8 (``_report_undecodable`` finds it)
        self._first: list[tuple[int, int, int, str]] = []  # max-heap: (-line, first, -n, message)

    def add(self, line: int, message: str, *, first: bool = False) -> None:
        """Note a problem; ``first``: listed before the line's other problems."""
        self.count += 1
        item = (-line, first, -self.count, message)
        if len(self._first) < MAX_SHOWN:
            heapq.heappush(self._first, item)
        elif item > self._first[0]:
            heapq.heapreplace(self._first, item)

    @property
    def found(self) -> list[tuple[int, str]]:
        """The first ``MAX_SHOWN`` problems by line (in the order found within a line)."""
        return [(-line, message) for line, _, _, message in sorted(self._first, reverse=True)]

    def raise_if_any(self) -> None:
        if not self.count:
            return
        found = self.found
        first_line, first = found[0]
        error = FeedError(first, file=self.name, line=first_line)
        shown = [f"{escape(self.name)}:{line}: {message}" for line, message in found]
        if self.count > MAX_SHOWN:
            shown.append(f"{escape(self.name)}: ... and {self.count - MAX_SHOWN} more bad row(s)")
        error.lines = shown
        error.args = ("\n".join(shown),)
        raise error


def _report_undecodable(handle: BinaryIO, problems: FeedProblems, lines: int = 0) -> None:
    """Report every line (or the first ``lines``) that is not UTF-8, at its own number.
    Lines are split as ``bytes.splitlines`` splits them (LF, CR or CRLF), as the text
    reader did. Only run on a feed already known to be bad: reading the file twice is
    cheaper than checking every line of every good feed in Python."""
    handle.seek(0)
    number = 0
    for chunk in handle:  # split at LF; a lone CR inside is split below
        if number == 0 and chunk.startswith(b"\xef\xbb\xbf"):
            chunk = chunk[3:]
        for raw in chunk.splitlines(keepends=True) if b"\r" in chunk else (chunk,):
            number += 1
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.add(
                    number,
                    f"not UTF-8 text at byte {exc.start} of the line "
                    "(a CSV export in another encoding?)",
                    first=True,
                )
            if number == lines:
                return


def _undecodable(row: list[str]) -> bool:
    """Whether a row holds bytes that were not UTF-8 (read as lone surrogates)."""
    text = "".join(row)
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def feed_rows(
    path: str | Path,
    columns: tuple[str, ...],
    problems: FeedProblems,
    optional: tuple[str, ...] = (),
) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(line number, values of ``columns`` then ``optional``, stripped) for every
    non-blank row; other columns are allowed and ignored, bad rows go to ``problems``.

    Read as ``csv.DictReader`` reads (a column named twice: its last value; a short row:
    empty values), without building a dict per row. The file is streamed (a UTF-8
    byte-order mark skipped); a row on a line that is not UTF-8 is not checked further,
    the line is reported (``_report_undecodable``).
    """
    name = str(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the last row
    except OSError as exc:
        raise FeedError(f"cannot open: {exc.strerror}", file=name, line=0) from None
    with handle:
        text = io.TextIOWrapper(handle, "utf-8-sig", errors="surrogateescape", newline="")
        yield from _csv_rows(text, name, columns, problems, optional)
        if problems.undecodable or problems.count:
            _report_undecodable(text.detach(), problems)


def _csv_rows(
    text: io.TextIOWrapper,
    name: str,
    columns: tuple[str, ...],
    problems: FeedProblems,
    optional: tuple[str, ...],
) -> Iterator[tuple[int, tuple[str, ...]]]:
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    reader = csv.reader(text)
    try:
        first = next(reader, [])
    except csv.Error as exc:
        raise FeedError(f"unreadable CSV header ({exc})", file=name, line=1) from None
    header = [h.strip() for h in first]
    missing = [c for c in columns if c not in header]
    if missing and _undecodable(first):  # the header itself is not UTF-8: say that
        _report_undecodable(text.detach(), problems, lines=1)
        problems.raise_if_any()
    if missing:
        raise FeedError(
            f"header lacks column(s) {', '.join(missing)}; expected {','.join(columns)}",
            file=name,
            line=1,
        )
    if _undecodable(first):
        problems.undecodable = True
    last = {h: i for i, h in enumerate(header)}  # a repeated name: its last column wins
    kept = sorted(last.values())  # what a DictReader row's values are
    # A column the header lacks (an optional one) reads past the header: always "".
    wanted = [last.get(c, len(header)) for c in (*columns, *optional)]
    need = max(wanted) + 1
    width = len(header)
    missing_optional = need > width
    values_of = itemgetter(*wanted)
    strip = str.strip
    join = "".join
    read = reader.__next__
    while True:
        start = reader.line_num + 1
        try:
            row = read()
        except StopIteration:
            return
        except csv.Error as exc:
            problems.add(start, f"unreadable CSV row ({exc})")
            continue
        if not row:
            continue
        if missing_optional:  # values past the header are not that column's
            del row[width:]
        if len(row) < need:
            row += [""] * (need - len(row))
        values = tuple(map(strip, values_of(row)))
        if not any(values) and not any(row[i].strip() for i in kept if i < len(row)):
            continue  # a blank row (a DictReader would read only these columns)
        if not join(row).isascii() and _undecodable(row):
            problems.undecodable = True
            continue  # the line will be reported; the row is not checked
        yield reader.line_num, values
