"""The 999 implementation acknowledgment (005010X231A1): what could not be *read*.

One 999 transaction set per functional group received (``AK1`` = GS01/GS06/GS08), with
one ``AK2`` per transaction set in it: ``IK3``/``IK4`` for each syntax error the reader
located (segment position in the set, element, code), then ``IK5`` ``A`` (accepted) or
``R`` (rejected, with the IK502.. codes). ``AK9`` closes the group with the counts and
the group-level codes (AK905..). Clean groups are acknowledged too (``IK5*A``,
``AK9*A``), so a 999 can be written for every file.

A set is rejected exactly when the reader rejects its claims (``SyntaxIssue.rejects``):
its own errors, or an error at group, interchange or file level covering it.

Interchange-level errors (ISA/IEA: IEA02 differs from ISA13, a wrong IEA01, a missing
IEA, a bad ISA09/ISA10/ISA15, ...) are the TA1's to explain (TA105); the 999 has no code
for them, so it says the closest it has -- ``IK502`` ``1`` and ``AK905`` ``1`` (transaction
set / functional group not supported: not accepted in the interchange that carried it) --
rather than a bare ``IK5*R`` / ``AK9*R``.

Errors that ``--envelope lenient`` relaxed to warnings (``SyntaxIssue.relaxed``) are still
reported, as *accepted with errors*: ``IK5*E`` with the set's codes, ``AK9*E`` with the
group's (and ``1`` for a relaxed interchange trailer).

Unlike pyx12's 999 (always ``~ * :``), the acknowledgment is spelled with the input's own
separators unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import TextIO

from edi837.verdicts import Severity
from edi837.writers.x12out import (
    EnvelopeWriter,
    free_text,
    nth_control,
    open_acknowledgment,
    st02,
)
from edi837.x12.envelope import EnvelopeTracker, Group, Transaction
from edi837.x12.position import Position
from edi837.x12.separators import DEFAULT, Separators
from edi837.x12.syntax_issue import SyntaxIssue

VERSION = "005010X231A1"
MAX_CODES = 5  # IK502..IK506 and AK905..AK909
INTERCHANGE_IK502 = "1"  # transaction set not supported (in this interchange)
INTERCHANGE_AK905 = "1"  # functional group not supported (in this interchange)


def syntax_rejected_999_needed(tracker: EnvelopeTracker) -> bool:
    """True when the file has a syntax error a 999 must report (any error issue)."""
    return any(issue.severity is Severity.REJECT for issue in tracker.issues)


def write_999(
    out: TextIO,
    tracker: EnvelopeTracker,
    *,
    sender_id: str,
    receiver_id: str,
    control_number: int,
    date_: date,
    time_: str = "1200",
    separators: Separators | None = None,
    usage: str = "P",
    line_ending: str = "",
    refused: str = "",
) -> int:
    """Write one 999 interchange acknowledging every group ``tracker`` saw; return the count.

    ``separators`` default to the first received interchange's (the input's own). ISA13
    and GS06 are ``control_number``; the k-th 999 set's ST02 is ``control_number + k``.
    A file with no functional group at all cannot be answered by a 999 (that is a TA1's
    job): nothing is written and 0 is returned. ``refused`` is why the file could not be
    read past some point (its fatal error), when it could not: then no group is accepted.
    """
    if not tracker.groups:
        return 0
    if separators is None:
        separators = tracker.interchanges[0].separators if tracker.interchanges else DEFAULT
    w = open_acknowledgment(
        out,
        functional_id="FA",
        version=VERSION,
        sender_id=sender_id,
        receiver_id=receiver_id,
        control_number=control_number,
        date_=date_,
        time_=time_,
        separators=separators,
        usage=usage,
        line_ending=line_ending,
    )
    errors = [issue for issue in tracker.issues if _answered_as_error(issue)]
    refusal = _refusal(tracker, refused)
    for k, group in enumerate(tracker.groups):
        w.begin_set("999", st02(nth_control(control_number, k)), VERSION)
        _group_response(w, group, tracker, errors, refusal)
        w.end_set()
    w.close_all()
    return len(tracker.groups)


def _answered_as_error(issue: SyntaxIssue) -> bool:
    """An error the 999 reports: every rejecting issue, and a group the reader refused
    (FATAL at group scope, e.g. GS08 004010X098A1: AK9*R with AK905 2), which has no
    claims to reject but must not be acknowledged as accepted."""
    if issue.severity is Severity.REJECT:
        return True
    return issue.severity is Severity.FATAL and issue.scope == "group"


def _refusal(tracker: EnvelopeTracker, refused: str) -> SyntaxIssue | None:
    """The file-level rejection of a file refused part-way (trailing garbage, a bad
    second ISA, a 4010 GS08 or ISA12 after a 5010 group): none of its claims are judged
    or answered by a 277CA, so no group of it may be acknowledged as accepted. Groups
    without an error of their own say IK502/AK905 ``1`` (not accepted in what carried
    them)."""
    fatal = next((i for i in tracker.issues if i.severity is Severity.FATAL), None)
    if fatal is not None:
        return replace(fatal, severity=Severity.REJECT, scope="file", ak9="", ik5="")
    if refused:
        return SyntaxIssue(Severity.REJECT, "FILE_REFUSED", refused, Position(0, 0, ""), "file")
    return None


def _covers_group(issue: SyntaxIssue, group: Group) -> bool:
    """True when an error above the transaction sets applies to ``group``."""
    if issue.scope == "transaction":
        return False
    if issue.severity is Severity.FATAL:
        return issue.group == group.index
    return issue.rejects(group.interchange, group.index, 0)


def _outer_codes(issues: list[SyntaxIssue], field: str) -> list[str]:
    """IK502 (``field`` "ik5") or AK905 ("ak9") codes of errors above the set: their own,
    or the interchange code for an ISA/IEA or file-level error that has none."""
    fallback = INTERCHANGE_IK502 if field == "ik5" else INTERCHANGE_AK905
    codes = []
    for issue in issues:
        own = issue.ak9 if field == "ak9" else ""
        codes.append(own or (fallback if issue.scope in ("interchange", "file") else ""))
    return codes


def _group_response(
    w: EnvelopeWriter,
    group: Group,
    tracker: EnvelopeTracker,
    errors: list[SyntaxIssue],
    refused: SyntaxIssue | None = None,
) -> None:
    gs = group.GS
    w.put("AK1", gs[1], _ak102(gs[6]), gs[8])
    group_errors = [issue for issue in errors if _covers_group(issue, group)]
    if not group_errors and refused is not None:
        group_errors = [refused]
    relaxed = [i for i in tracker.issues if i.relaxed]
    group_relaxed = [
        i
        for i in relaxed
        if i.scope != "transaction"
        and (i.group == group.index if i.scope == "group" else i.interchange == group.interchange)
    ]
    sets = [t for t in tracker.transactions if t.group == group.index]
    accepted = 0
    with_errors = bool(group_relaxed)
    for st in sets:
        own = [
            i for i in errors if i.scope in ("transaction", "claim") and i.transaction == st.index
        ]
        own_relaxed = [i for i in relaxed if i.scope == "transaction" and i.transaction == st.index]
        w.put("AK2", st.ST01 or "837", st.ST02 or "0000", st.ST03)
        for issue in own + own_relaxed:
            _segment_error(w, issue, st)
        if group_errors or any(i.scope == "transaction" for i in own):
            codes = _codes([*(i.ik5 for i in own), *_outer_codes(group_errors, "ik5")])
            w.put("IK5", "R", *codes)
        elif own or own_relaxed:  # errors only inside claims (those claims are rejected,
            # the set is not) or relaxed by --envelope lenient: accepted with errors
            w.put("IK5", "E", *_codes(i.ik5 for i in own + own_relaxed))
            accepted += 1
            with_errors = True
        else:
            w.put("IK5", "A")
            accepted += 1
    if group_errors:
        accepted = 0
        code = "R"
    elif accepted == len(sets):
        code = "E" if with_errors else "A"
    else:
        code = "R" if accepted == 0 else "P"
    received = str(len(sets))
    ak905 = (
        _outer_codes(group_errors, "ak9")
        if group_errors
        else (_outer_codes(group_relaxed, "ak9") if code == "E" else [])
    )
    w.put("AK9", code, _ak902(group, sets), received, str(accepted), *_codes(ak905))


def _ak102(gs06: str) -> str:
    """AK102, the group control number (N0 1/9): GS06 as received, or the same number
    without its leading zeros when GS06 is too long for AK102 (``00000000042`` is 42).
    A GS06 that is no such number (its error is AK905 6) is echoed as received."""
    if gs06.isdigit() and len(gs06) > 9 and len(gs06.lstrip("0")) <= 9:
        return str(int(gs06))
    return gs06


def _ak902(group: Group, sets: list[Transaction]) -> str:
    """AK902, number of transaction sets *included*: GE01 as the trailer says it (so a
    count mismatch, AK905 5, shows both numbers: AK902 the GE01, AK903 the sets
    received), or the count found when there is no usable GE01 (no GE, or not a number
    AK902's N0 1/6 can carry)."""
    ge01 = group.GE01
    if ge01.isdigit() and len(ge01) <= 6:
        return str(int(ge01))
    return str(max(group.transactions, len(sets)))


def _segment_error(w: EnvelopeWriter, issue: SyntaxIssue, st: Transaction) -> None:
    """IK3 (and IK4) for an error with coordinates; nothing for set-level-only errors."""
    if issue.ik3 is None and issue.ik4 is None:
        return
    seps = w.separators
    in_set = max(issue.position.ordinal - st.position.ordinal + 1, 1)
    if issue.ik3 is not None:
        segment_id, position, loop, code = issue.ik3
        position = position or in_set
    else:
        segment_id, position, loop, code = issue.position.segment_id, in_set, "", "8"
    w.put("IK3", _segment_id(segment_id), str(position), free_text(loop, seps, 4), code)
    if issue.context:  # the business unit (TR3: required when the error is inside one)
        w.put("CTX", w.composite("CLM01", free_text(issue.context, seps, 35)))
    if issue.ik4 is not None:
        where, element_ref, ik403, bad = issue.ik4
        parts = where.replace(".", ":").split(":")
        # IK402 is a data element number (N0 1/4); a composite's id (C023) is none, so
        # an error about a whole composite leaves IK402 out (it is situational).
        element_ref = element_ref if element_ref.isdigit() and len(element_ref) <= 4 else ""
        w.put("IK4", w.composite(*parts), element_ref, ik403, free_text(bad, seps, 99))


def _segment_id(value: str) -> str:
    """IK301 is a 2-3 character id: the segment id as received, or ZZZ when it is not one
    (the reader leaves it empty for garbage)."""
    ok = 2 <= len(value) <= 3 and value.isascii() and value.isalnum()
    return value.upper() if ok else "ZZZ"


def _codes(values: Iterable[str]) -> list[str]:
    """Distinct non-empty codes in order, at most five (IK502..IK506, AK905..AK909)."""
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen[:MAX_CODES]
