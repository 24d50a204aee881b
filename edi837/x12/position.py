"""Where a segment sits in its file, and the two 837 forms edi837 reads."""

from __future__ import annotations

from typing import NamedTuple

from edi837.safetext import shown_segment_id

FORM_837P = "837P"  # 005010X222A1, professional (CMS-1500)
FORM_837I = "837I"  # 005010X223A2, institutional (UB-04)


class Position(NamedTuple):
    """Where a segment sits in its file: 1-based segment ordinal and byte offset.

    A NamedTuple, not a dataclass: one is made for every claim, line and provider, and
    tuple construction is several times cheaper on the reader's hot path.
    """

    ordinal: int
    offset: int
    segment_id: str = ""

    def __str__(self) -> str:
        seg = f" ({shown_segment_id(self.segment_id)})" if self.segment_id else ""
        return f"seg {self.ordinal}{seg} @{self.offset}"
