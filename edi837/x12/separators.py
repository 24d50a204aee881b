"""The four X12 delimiters, as an interchange's ISA header declares them.

Separators travel with everything parsed from (or written for) an interchange, so a
segment can always be turned back into its wire text with the sender's own characters.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Separators:
    """Element, repetition (ISA11), component (ISA16) and segment terminator characters."""

    element: str = "*"
    repetition: str = "^"
    component: str = ":"
    segment: str = "~"

    def __post_init__(self) -> None:
        chars = (self.element, self.repetition, self.component, self.segment)
        if any(len(c) != 1 for c in chars):
            raise ValueError(f"each separator must be one character: {chars!r}")
        if len(set(chars)) != 4:
            raise ValueError(f"separators must be distinct: {chars!r}")
        if any(c.isalnum() for c in chars):
            raise ValueError(f"separators cannot be letters or digits: {chars!r}")


DEFAULT = Separators()
