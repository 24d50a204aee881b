"""TR3 (SNIP 1-2) validation of 837P/837I from pyx12's maps, compiled once, walked fast.

``compile`` turns pyx12's XML maps into a cached tree; ``validator`` walks it over the
segments the claim reader already tokenizes; ``elements`` checks each segment's elements.
``validate_path`` runs the walk alone over a file (tests, benchmarks).
"""

from __future__ import annotations

import os

from edi837.x12.tokenizer import SegmentReader
from edi837.x12.tr3.validator import TR3Error, TR3Validator, padded_ordinals
from edi837.x12.versions import form_for_version

__all__ = ["TR3Error", "TR3Validator", "validate_path"]

_OUTSIDE = frozenset({"ISA", "IEA", "GS", "GE"})


def validate_path(path: str | os.PathLike[str], *, fast: bool = True) -> list[TR3Error]:
    """Every TR3 error of a file's 837 transaction sets (the envelope is not checked here);
    ``fast=False``: without the transition cache and whole-segment patterns (tests)."""
    validator = TR3Validator(fast=fast)
    gs08 = ""
    inside = False
    n_set = 0
    with open(path, "rb") as stream:
        reader = SegmentReader(stream, name=os.fspath(path))
        for batch in reader.batches():
            ele, comp = batch.separators.element, batch.separators.component
            ordinal = batch.first_ordinal
            validator.padded = padded_ordinals(batch)
            for body, offset in zip(batch.bodies, batch.offsets, strict=True):
                k = body.find(ele)
                sid = body[:k] if k >= 0 else body
                if sid in _OUTSIDE:
                    if sid == "GS":
                        parts = body.split(ele)
                        gs08 = parts[8] if len(parts) > 8 else ""
                    inside = False
                elif sid == "ST":
                    parts = body.split(ele)
                    n_set += 1
                    label = parts[3] if len(parts) > 3 and parts[3] else gs08
                    validator.begin_set(form_for_version(label) or "", n_set)
                    inside = True
                if inside:
                    validator.segment(sid, body, ordinal, offset, ele, comp)
                if sid == "SE":
                    inside = False
                ordinal += 1
    return validator.errors
