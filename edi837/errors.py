"""Exceptions that carry a position in the input.

Every error a user sees names the file, the segment ordinal and the byte offset, so the
message alone is enough to open the file at the right place at 3 a.m.
"""

from __future__ import annotations

from edi837.safetext import escape, shown_segment_id


class Edi837Error(Exception):
    """Base class for errors edi837 reports to a user (never shown as a traceback)."""


class X12SyntaxError(Edi837Error):
    """The input cannot be read as X12 at a known position."""

    def __init__(
        self,
        msg: str,
        *,
        file: str,
        segment_ordinal: int = 0,
        byte_offset: int = 0,
        segment_id: str = "",
    ) -> None:
        self.msg = msg
        self.file = file
        self.segment_ordinal = segment_ordinal
        self.byte_offset = byte_offset
        self.segment_id = segment_id
        super().__init__(str(self))

    def __str__(self) -> str:
        seg = f" ({shown_segment_id(self.segment_id)})" if self.segment_id else ""
        return (
            f"{escape(self.file)}:seg {self.segment_ordinal}{seg} @{self.byte_offset}: {self.msg}"
        )


class UnsupportedVersionError(X12SyntaxError):
    """An interchange that is X12 but not 5010 (e.g. 4010): refused, never guessed at."""


class FeedError(Edi837Error):
    """A reference feed (authorizations, providers, history CSV) has a bad row."""

    def __init__(self, msg: str, *, file: str, line: int) -> None:
        self.file, self.line, self.msg = file, line, msg
        self.lines = [f"{escape(file)}:{line}: {msg}"]  # every bad row, one line each
        super().__init__(self.lines[0])


class PolicyError(Edi837Error):
    """A policy profile cannot be loaded."""
