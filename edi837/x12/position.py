"""Where a segment sits in its file, and the two 837 forms edi837 reads."""

from __future__ import annotations

from dataclasses import dataclass

FORM_837P = "837P"  # 005010X222A1, professional (CMS-1500)
FORM_837I = "837I"  # 005010X223A2, institutional (UB-04)


@dataclass(slots=True, frozen=True)
class Position:
    """Where a segment sits in its file: 1-based segment ordinal and byte offset."""

    ordinal: int
    offset: int
    segment_id: str = ""

    def __str__(self) -> str:
        seg = f" ({self.segment_id})" if self.segment_id else ""
        return f"seg {self.ordinal}{seg} @{self.offset}"
