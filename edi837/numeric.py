"""Whole numbers from text, bounded before ``int()``.

``str.isdigit`` accepts superscripts and other Unicode digits (``'²'``) that ``int``
then refuses, and ``int`` refuses more than 4,300 digits: either would escape as an
exception from a reader. Inputs here are ASCII digits with a known largest width.
"""

from __future__ import annotations


def ascii_int(text: str, max_digits: int = 9) -> int | None:
    """``int(text)`` when ``text`` is 1..``max_digits`` ASCII digits, else ``None``."""
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None
