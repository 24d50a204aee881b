"""Element checks of one segment against its map node: usage, length, type, codes, syntax.

The checks and their 999 IK403 codes follow pyx12's element validator, so our 999 and
pyx12's agree (tests/test_tr3_differential.py): 1 required element missing, 3 too many
elements/components, 4 too short, 5 too long, 6 invalid character (or a composite where
a simple element belongs, a control character, trailing spaces), 7 invalid code value
(or a value the map's own ``<regex>`` is not found in: 837I 2010AA N403 nine digits),
8 invalid date, 9 invalid time, 10 element marked not used (pyx12's choice); relational
(syntax) rules give 2 (P, C, L, R) and 10 (E).

A result is a tuple of ``ElementError``; a segment body already seen valid is not
checked again (the validator memoizes by body text, which makes repeated segments,
``DTP*472*D8*...`` or ``SV1*HC:S0353*...``, cost one dictionary look-up).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from edi837.x12.tr3.compile import Element, SegmentNode

_N = re.compile(r"-?[0-9]+\Z", re.ASCII)
_R = re.compile(r"-?[0-9]*(\.[0-9]+)?\Z", re.ASCII)
# pyx12's 5010 extended character set for AN/ID (anything else is IK403 6).
_AN_CHARS = r"""A-Z0-9!"&'()*+,\-./:;?= a-z%~@\[\]_{}\\|<>^`#$"""
_BAD_AN = re.compile(f"[^{_AN_CHARS}]", re.ASCII)
_DIGITS = re.compile(r"[0-9]+\Z", re.ASCII)
_CONTROL = re.compile("[\x01-\x07\x09-\x0d\x11-\x17\x1c-\x1f]")
_DATE_TYPES = ("RD8", "DT", "D8", "D6")
FAST_LIMIT = 4096  # nodes with their precompiled fast checks (a map has ~600)
_FAST: dict[SegmentNode, tuple[re.Pattern[str] | None, ...] | object] = {}
_FAST_COMPOSITE: dict[Element, tuple[re.Pattern[str] | None, ...] | object] = {}
_SEEN_ONCE = object()  # a node (or composite) asked about once: no pattern compiled yet


class ElementError(NamedTuple):
    """One element-level problem: where (1-based element, component), what (IK403)."""

    element: int
    component: int  # 0 for a simple element
    ref: str  # CLM01, SV101-02 (the map's id)
    data_ele: str  # the data element number (IK402)
    code: str  # IK403
    value: str
    what: str  # a short description, with no value in it
    segment_level: bool = False  # pyx12 reports it as IK304 8 without an IK4


def valid_date(val: str, kind: str = "DT") -> bool:
    """CCYYMMDD (or CCYYMMDDHHMM), from 1800 on, a real calendar day (pyx12's rule)."""
    n = len(val)
    if (kind == "D8" and n != 8) or (kind == "D6" and n != 6) or not _DIGITS.match(val):
        return False
    if n == 6:
        val = ("20" if int(val[:2]) < 50 else "19") + val
    elif n not in (8, 12):
        return False
    year, month, day = int(val[:4]), int(val[4:6]), int(val[6:8])
    if year < 1800 or not 1 <= month <= 12:
        return False
    if month in (4, 6, 9, 11):
        last = 30
    elif month == 2:
        last = 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    else:
        last = 31
    if not 1 <= day <= last:
        return False
    return len(val) != 12 or valid_time(val[8:12])


def valid_time(val: str) -> bool:
    """HHMM[SS[dd]] with hour <= 23, minutes and seconds <= 59 (pyx12's rule)."""
    if not _DIGITS.match(val) or val[0:2] > "23" or val[2:4] > "59":
        return False
    return len(val) <= 4 or (6 <= len(val) <= 8 and val[4:6] <= "59")


def valid_type(val: str, kind: str) -> bool:
    """Is ``val`` of X12 data type ``kind`` (N0/N2, R, ID, AN, DT, TM, D8, RD8)?"""
    if not kind or kind == "B":
        return True
    if kind[0] == "N":
        return bool(_N.match(val))
    if kind == "R":
        return bool(_R.match(val))
    if kind in ("ID", "AN"):
        return not _BAD_AN.search(val)
    if kind == "RD8":
        start, dash, end = val.partition("-")
        return bool(dash) and "-" not in end and valid_date(start, "D8") and valid_date(end, "D8")
    if kind in ("DT", "D8", "D6"):
        return valid_date(val, kind)
    if kind == "TM":
        return valid_time(val)
    return True


def _value_errors(
    spec: Element, val: str, pos: int, comp: int, type_list: tuple[str, ...]
) -> list[ElementError]:
    """Checks of one non-empty value, in pyx12's order."""
    ref, num = spec.ref, spec.data_ele
    if spec.usage == "N":
        return [ElementError(pos, comp, ref, num, "10", val, "element marked not used")]
    out: list[ElementError] = []
    kind = spec.kind
    measured = (
        len(val.replace("-", "").replace(".", ""))
        if kind and (kind == "R" or kind[0] == "N")
        else len(val)
    )
    if measured < spec.min_len:
        out.append(
            ElementError(pos, comp, ref, num, "4", val, f"too short ({measured} < {spec.min_len})")
        )
    if measured > spec.max_len:
        out.append(
            ElementError(pos, comp, ref, num, "5", val, f"too long ({measured} > {spec.max_len})")
        )
    if _CONTROL.search(val):
        out.append(ElementError(pos, comp, ref, num, "6", val, "control character"))
        return out
    if kind in ("AN", "ID") and val[-1] == " " and len(val.rstrip()) >= spec.min_len:
        out.append(ElementError(pos, comp, ref, num, "6", val, "trailing spaces"))
    if spec.codes is not None and val not in spec.codes:
        out.append(ElementError(pos, comp, ref, num, "7", val, "not a valid code"))
    if not valid_type(val, kind):
        if kind in _DATE_TYPES:
            out.append(ElementError(pos, comp, ref, num, "8", val, "invalid date"))
        elif kind == "TM":
            out.append(ElementError(pos, comp, ref, num, "9", val, "invalid time"))
        else:
            out.append(
                ElementError(pos, comp, ref, num, "6", val, f"invalid character for type {kind}")
            )
    if type_list and not any(valid_type(val, t) for t in type_list):
        if "TM" in type_list:
            out.append(ElementError(pos, comp, ref, num, "9", val, "invalid time"))
        elif any(t in type_list for t in _DATE_TYPES):
            out.append(ElementError(pos, comp, ref, num, "8", val, "invalid date"))
    if spec.regex is not None and spec.regex.search(val) is None:  # search, as pyx12 does
        out.append(
            ElementError(pos, comp, ref, num, "7", val, "does not match the guide's pattern")
        )
    return out


def fast_pattern(spec: Element) -> re.Pattern[str] | None:
    """A pattern whose full match proves ``_value_errors`` finds nothing in a value
    (without extra types; the code list is checked apart), or None.

    Why: most values are new (names, ids, amounts), so the body memo misses on them;
    one regex match replaces the length, character, type and trailing-space checks.
    The pattern is stricter than the checks (an ``N`` value with a sign, an ``AN`` one
    ending in a space go the long way), never looser.
    """
    kind, low, high = spec.kind, max(spec.min_len, 1), spec.max_len
    if spec.usage == "N" or not kind or high >= 1 << 30 or low > high or spec.regex is not None:
        return None  # an element with the map's own regex always takes the long way
    if kind in ("AN", "ID"):
        last = _AN_CHARS.replace(" ", "")
        return re.compile(f"[{_AN_CHARS}]{{{low - 1},{high - 1}}}[{last}]", re.ASCII)
    if kind[0] == "N" and kind[1:].isdigit():
        return re.compile(f"[0-9]{{{low},{high}}}", re.ASCII)
    if kind == "R":
        return re.compile(
            f"[0-9]{{{low},{high}}}|(?=[0-9.]{{{low + 1},{high + 1}}}\\Z)[0-9]*\\.[0-9]+",
            re.ASCII,
        )
    return None


def _fast_checks(node: SegmentNode) -> tuple[re.Pattern[str] | None, ...]:
    """The node's per-element fast patterns; none the first time (see ``_patterns``)."""
    return _patterns(_FAST, node, node.elements)


def _composite_fast(spec: Element) -> tuple[re.Pattern[str] | None, ...]:
    return _patterns(_FAST_COMPOSITE, spec, spec.components or ())


def _patterns(cache: dict, key: object, specs: tuple[Element, ...]) -> tuple:
    """``fast_pattern`` of each spec, compiled the second time ``key`` is asked about.

    The first time, every value goes the long way (None is "no fast check", which the
    callers treat as a pattern that did not match): compiling a node's patterns costs
    more than checking one body, and most nodes of a small file are seen once.
    """
    found = cache.get(key)
    if found is None:
        if len(cache) >= FAST_LIMIT:
            cache.clear()
        cache[key] = _SEEN_ONCE
        return (None,) * len(specs)
    if found is _SEEN_ONCE:
        found = cache[key] = tuple(fast_pattern(spec) for spec in specs)
    return found


def _empty_errors(spec: Element, pos: int, comp: int, in_r_composite: bool) -> list[ElementError]:
    if spec.usage != "R":
        return []
    if comp and comp == 1 and not in_r_composite:
        return []
    return [ElementError(pos, comp, spec.ref, spec.data_ele, "1", "", "required element missing")]


def _composite_errors(spec: Element, val: str, pos: int, comp_sep: str) -> list[ElementError]:
    parts = val.split(comp_sep) if val else []
    empty = not any(parts)
    if empty and spec.usage in ("N", "S"):
        return []
    ref, num = spec.ref, spec.data_ele
    if spec.usage == "R" and empty:
        return [ElementError(pos, 0, ref, num, "1", "", "required composite missing", True)]
    if spec.usage == "N":
        return [ElementError(pos, 0, ref, num, "5", val, "composite marked not used", True)]
    out: list[ElementError] = []
    components = spec.components or ()
    if len(parts) > len(components):
        out.append(ElementError(pos, 0, ref, num, "3", val, "too many components", True))
    r_comp = spec.usage == "R"
    fast = _composite_fast(spec)
    for k, sub in enumerate(components):
        sval = parts[k] if k < len(parts) else ""
        if sval:
            if comp_sep in sval:
                continue
            pattern = fast[k]
            if (
                pattern is not None
                and pattern.fullmatch(sval)
                and (sub.codes is None or sval in sub.codes)
            ):
                continue  # valid: ``_value_errors`` would find nothing
            out += _value_errors(sub, sval, pos, k + 1, ())
        else:
            out += _empty_errors(sub, pos, k + 1, r_comp)
    return out


def check_segment(node: SegmentNode, el: list[str], comp_sep: str) -> tuple[ElementError, ...]:
    """Every element error of one segment (``el[0]`` is the segment id)."""
    specs = node.elements
    n = len(el) - 1
    out: list[ElementError] = []
    if n > len(specs):
        extra = len(specs) + 1
        out.append(
            ElementError(
                extra, 0, f"{node.id}{extra:02d}", "", "3", el[extra], "too many elements", True
            )
        )
    type_list: tuple[str, ...] = ()
    dtp_type: tuple[str, ...] = ()
    fast = _fast_checks(node)
    for i, spec in enumerate(specs):
        pos = i + 1
        if pos > n:
            # Absent elements: only a required one is an error (the DTP and 1250 type
            # bookkeeping below matters only to a later element with a value).
            if spec.usage == "R":
                if spec.kind == "C":
                    out += _composite_errors(spec, "", pos, comp_sep)
                else:
                    out += _empty_errors(spec, pos, 0, True)
            continue
        val = el[pos]
        if spec.kind == "C":
            if pos <= n or spec.usage == "R":
                out += _composite_errors(spec, val, pos, comp_sep)
            continue
        if pos == 2 and node.id == "DTP" and val in ("RD8", "D8", "D6", "DT", "TM"):
            dtp_type = (val,)
        if spec.data_ele == "1250" and spec.codes:
            type_list += tuple(sorted(spec.codes))
        if not val:
            if spec.usage == "R":
                out += _empty_errors(spec, pos, 0, True)
            continue
        if pos == 3 and node.id == "ST":
            continue  # ST03 version labels (errata, bare) are the envelope tracker's
        if comp_sep in val:
            out.append(
                ElementError(
                    pos,
                    0,
                    spec.ref,
                    spec.data_ele,
                    "6",
                    val,
                    "a composite where a simple element belongs",
                )
            )
            continue
        if pos == 3 and node.id == "DTP":
            extra_types = dtp_type
        elif spec.data_ele == "1251" and type_list:
            extra_types = type_list
        else:
            pattern = fast[i]
            if (
                pattern is not None
                and pattern.fullmatch(val)
                and (spec.codes is None or val in spec.codes)
            ):
                continue  # valid: the checks below would find nothing
            extra_types = ()
        out += _value_errors(spec, val, pos, 0, extra_types)
    out += syntax_errors(node, el)
    return tuple(out)


def syntax_errors(node: SegmentNode, el: list[str]) -> list[ElementError]:
    """The segment's relational (syntax) rule errors: P, R, E, C, L."""
    n = len(el) - 1
    out: list[ElementError] = []
    for rule, idx in node.syntax:
        present = [i <= n and el[i] != "" for i in idx]
        count = sum(present)
        bad = False
        if rule == "P":
            bad = 0 < count < len(idx)
        elif rule == "R":
            bad = count == 0
        elif rule == "E":
            bad = count > 1
        elif rule == "C":
            bad = present[0] and not all(present[1:])
        elif rule == "L":
            bad = present[0] and not any(present[1:])
        if bad:
            first = next((i for i, p in zip(idx, present, strict=True) if not p), idx[0])
            out.append(
                ElementError(
                    first,
                    0,
                    f"{node.id}{first:02d}",
                    "",
                    "10" if rule == "E" else "2",
                    "",
                    f"syntax rule {rule}{''.join(f'{i:02d}' for i in idx)}",
                    True,
                )
            )
    return out


# -- whole-segment patterns -----------------------------------------------------------
# Most bodies the memo misses (names, ids, HL numbers, REF values) are valid. One
# pattern per node and separators matches exactly such bodies: each element empty when
# the guide lets it be, else one of its fast patterns (codes as alternatives); nothing
# past the last element, nothing required left out, and the syntax rules (P, R, E, C,
# L) as look-aheads on which elements have a value. A body it matches has no error at
# all (``check_segment`` would return ``()``); one it does not goes the long way.
# Dates are part of the pattern where their type is known from the map: a 1251 value
# after a 1250 qualifier with codes (DMG02, PAT06) and DTP03 after each DTP02 code (one
# alternative per code); D8 and RD8 only, and never 29 February (those, DT, TM and
# anything else take the long way). ST, other date or time types and long code lists
# get no pattern.
CODE_LIMIT = 300
SEGMENT_LIMIT = 4096
_SEGMENT: dict[tuple[SegmentNode, str, str], re.Pattern[str] | object | None] = {}
_UNSEEN = object()  # segment_pattern: a node never asked about
NOT_YET = object()  # segment_pattern: first sight of a node, its pattern not built yet
_AN_SET = frozenset(c for c in map(chr, range(128)) if not _BAD_AN.match(c))


_YEAR = "(?:1[89][0-9]{2}|[2-9][0-9]{3})"  # valid_date: from 1800 on
_MONTH_DAY = (  # a real day of the month; 29 February is left to valid_date (leap years)
    "(?:(?:0[13578]|1[02])(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)(?:0[1-9]|[12][0-9]|30)"
    "|02(?:0[1-9]|1[0-9]|2[0-8]))"
)
_D8 = _YEAR + _MONTH_DAY
# date type -> (regex text of a value valid_type accepts, a sample of the same shape)
_DATES = {"D8": (_D8, "20260101"), "RD8": (f"{_D8}-{_D8}", "20260101-20260102")}


@lru_cache(maxsize=64)
def _class(chars: frozenset[str]) -> str:
    """A character class of ``chars`` written as ranges (``[ -)+-9;-~]``): the same
    set as one item per character, but quick for ``re`` to compile."""
    out: list[str] = []
    codes = sorted(map(ord, chars))
    start = 0
    for i in range(1, len(codes) + 1):
        if i == len(codes) or codes[i] != codes[i - 1] + 1:
            low, high = chr(codes[start]), chr(codes[i - 1])
            out.append(re.escape(low) if low == high else f"{re.escape(low)}-{re.escape(high)}")
            start = i
    return "[" + "".join(out) + "]"


def _value_regex(spec: Element, an: frozenset[str]) -> str | None:
    """Regex text for a non-empty valid value of a simple element (None: cannot say)."""
    kind, low, high = spec.kind, max(spec.min_len, 1), spec.max_len
    single = fast_pattern(spec)
    if single is None:
        return None
    if spec.codes is not None:
        codes = [c for c in spec.codes if single.fullmatch(c) and not (set(c) - an)]
        if not codes or len(spec.codes) > CODE_LIMIT:
            return None
        return "(?:" + "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True)) + ")"
    if kind in ("AN", "ID"):
        return f"(?:{_class(an)}{{{low - 1},{high - 1}}}{_class(an - {' '})})"
    if kind == "R":  # the run of digits and dots is the whole value (separators are not)
        return (
            f"(?:[0-9]{{{low},{high}}}|(?=[0-9.]{{{low + 1},{high + 1}}}(?![0-9.]))[0-9]*\\.[0-9]+)"
        )
    return f"(?:{single.pattern})"


def _sequence(parts: list[tuple[str, bool]], sep: str) -> str:
    """``p1(sep p2(sep p3 ...)?)?``: later parts may be left off only when none of them
    is required."""
    text = ""
    required_after = False
    for regex, required in reversed(parts):
        tail = text
        if tail:
            tail = tail if required_after else f"(?:{tail})?"
        text = f"{sep}{regex}{tail}"
        required_after = required_after or required
    return text


def _element_regex(spec: Element, an: frozenset[str], comp: str) -> tuple[str, bool] | None:
    if spec.usage == "N":
        return "", False
    required = spec.usage == "R"
    if spec.kind != "C":
        value = _value_regex(spec, an)
        if value is None:
            return None
        return (value if required else f"(?:{value})?"), required
    subs = spec.components or ()
    if not subs or (required and subs[0].usage != "R"):
        return None
    parts: list[tuple[str, bool]] = []
    for sub in subs:
        if sub.usage == "N":
            parts.append(("", False))
            continue
        value = _value_regex(sub, an)
        if value is None:
            return None
        parts.append((value if sub.usage == "R" else f"(?:{value})?", sub.usage == "R"))
    body = _sequence(parts, re.escape(comp))[len(re.escape(comp)) :]
    return (body if required else f"(?:{body})?"), required


def _date_regex(spec: Element, kind: str) -> str | None:
    """Regex text for a value of ``spec`` that is a valid ``kind`` date (D8, RD8) and
    passes the element's own checks (its AN/ID fast pattern), or None."""
    date = _DATES.get(kind)
    if date is None or spec.codes is not None or spec.kind not in ("AN", "ID"):
        return None
    single = fast_pattern(spec)
    if single is None or not single.fullmatch(date[1]):
        return None  # a date this element's length or characters would refuse
    return date[0]


def _typed_regex(spec: Element, types: tuple[str, ...]) -> tuple[str, bool] | None:
    """A 1251 value checked against the node's 1250 codes (``check_segment``'s
    ``type_list``): valid when it passes its own checks and is one of the dates."""
    if spec.usage == "N":
        return "", False
    alts = [rx for t in dict.fromkeys(types) if (rx := _date_regex(spec, t)) is not None]
    if not alts:
        return None
    value = "(?:" + "|".join(alts) + ")"
    required = spec.usage == "R"
    return (value if required else f"(?:{value})?"), required


def _dtp_regex(
    qualifier: Element, value: Element, an: frozenset[str], ele: str
) -> tuple[str, bool] | None:
    """DTP02 and DTP03 as one part: for each DTP02 code, DTP03 of that date type (a
    code that is no date type: DTP03 with its own checks only, as ``check_segment``)."""
    if qualifier.usage != "R" or value.usage != "R" or "C" in (qualifier.kind, value.kind):
        return None
    single = fast_pattern(qualifier)
    if single is None or not qualifier.codes or len(qualifier.codes) > CODE_LIMIT:
        return None
    plain = _value_regex(value, an)
    alts: list[str] = []
    for code in sorted(qualifier.codes):
        if not single.fullmatch(code) or set(code) - an:
            continue
        rx = _date_regex(value, code) if code in _DATE_TYPES or code == "TM" else plain
        if rx is not None:
            alts.append(re.escape(code) + re.escape(ele) + rx)
    return ("(?:" + "|".join(alts) + ")", True) if alts else None


def _syntax_regex(node: SegmentNode, ele: str) -> str:
    """Look-aheads that hold when no syntax rule of the node is broken (``syntax_errors``
    finds nothing). Element ``k`` has a value when, after the id and ``k - 1`` elements,
    a separator is followed by anything but a separator.

    A rule the rest of the pattern already keeps gets none: the pattern gives every R
    element a value and leaves every N one (and any past the last) empty, so P0809 on
    two R elements, or C1110 with NM111 not used, cannot be broken by a body it matches.
    """
    other = f"[^{re.escape(ele)}]"
    sep = re.escape(ele)
    specs = node.elements

    def known(k: int) -> bool | None:  # element k has a value: always, never, or maybe
        if k > len(specs) or specs[k - 1].usage == "N":
            return False
        return True if specs[k - 1].usage == "R" else None

    def has(k: int) -> str:  # possessive and unrolled: one pass, no backtracking
        return f"{other}*+" + f"{sep}{other}*+" * (k - 1) + f"{sep}{other}"

    def yes(k: int) -> str:
        return f"(?={has(k)})"

    def no(k: int) -> str:
        return f"(?!{has(k)})"

    out = ""
    for rule, idx in node.syntax:
        first, rest = idx[0], idx[1:]
        states = [known(k) for k in idx]
        if rule == "P":  # all or none
            if all(states) or not any(x is not False for x in states):
                continue
            out += f"(?:{''.join(map(yes, idx))}|{''.join(map(no, idx))})"
        elif rule == "R":  # at least one
            if any(states):
                continue
            out += f"(?:{'|'.join(map(yes, idx))})"
        elif rule == "E":  # not two
            if sum(x is not False for x in states) <= 1:
                continue
            out += "".join(f"(?!{yes(a)}{yes(b)})" for n, a in enumerate(idx) for b in idx[n + 1 :])
        elif rule == "C":  # the first asks for all the others
            if states[0] is False or all(states[1:]):
                continue
            out += f"(?:{no(first)}|{''.join(map(yes, rest))})"
        elif rule == "L":  # the first asks for one of the others
            if states[0] is False or any(states[1:]):
                continue
            out += f"(?:{no(first)}|{'|'.join(map(yes, rest))})"
    return out


def _build(node: SegmentNode, ele: str, comp: str) -> re.Pattern[str] | None:
    if node.id == "ST" or not ele or not comp or ele == comp:
        return None
    if any(c.isalnum() or c in ".- " for c in ele + comp):
        return None
    an = _AN_SET - {ele, comp}
    parts: list[tuple[str, bool]] = []
    specs = node.elements
    types: tuple[str, ...] = ()  # check_segment's type_list: the 1250 codes so far
    i = 0
    while i < len(specs):
        spec = specs[i]
        part: tuple[str, bool] | None
        if node.id == "DTP" and i == 1:  # DTP02 says what DTP03 is
            if len(specs) < 3:
                return None
            part = _dtp_regex(spec, specs[2], an, ele)
            i += 1
        elif spec.data_ele == "1251" and types and spec.kind != "C":
            part = _typed_regex(spec, types)
        else:
            part = _element_regex(spec, an, comp)
        if spec.data_ele == "1250" and spec.codes and spec.kind != "C":
            types += tuple(sorted(spec.codes))
        if part is None:
            return None
        parts.append(part)
        i += 1
    sep = re.escape(ele)
    tail = _sequence(parts, sep)
    if tail and not any(r for _, r in parts):
        tail = f"(?:{tail})?"
    return re.compile(_syntax_regex(node, ele) + re.escape(node.id) + tail, re.ASCII)


def segment_pattern(node: SegmentNode, ele: str, comp: str) -> re.Pattern[str] | object | None:
    """The node's whole-segment pattern for these separators (None: it has none), or
    ``NOT_YET`` the first time the node is asked about.

    Why not at once: building a pattern costs as much as checking ~50 bodies the long
    way, and most nodes of a small file (its envelope, its one submitter and billing
    provider) are asked about once; the second time, the pattern is built and kept.
    """
    key = (node, ele, comp)
    pattern = _SEGMENT.get(key, _UNSEEN)
    if pattern is _UNSEEN:
        if len(_SEGMENT) >= SEGMENT_LIMIT:
            _SEGMENT.clear()
        _SEGMENT[key] = _SEEN_ONCE
        return NOT_YET
    if pattern is _SEEN_ONCE:
        pattern = _SEGMENT[key] = _build(node, ele, comp)
    return pattern


def quick_check(node: SegmentNode, body: str, ele: str, comp: str) -> bool:
    """Does ``body`` match the node's whole-segment pattern (no element or syntax
    errors: ``check_segment`` would find nothing)? False says only "check the long
    way" (also the first time a node is asked about: ``segment_pattern``)."""
    pattern = segment_pattern(node, ele, comp)
    if pattern is None or pattern is NOT_YET:
        return False
    return pattern.fullmatch(body) is not None  # type: ignore[union-attr]
