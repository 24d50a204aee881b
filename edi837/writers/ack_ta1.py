"""The TA1 interchange acknowledgment: what we say about an ISA/IEA envelope.

A TA1 answers one received interchange (X12 control segments, pyx12's
``x12.control.00501.xml`` map: ``ISA``, ``TA1``, ``IEA`` with no functional group):

    TA1*<ISA13 received>*<ISA09 received>*<ISA10 received>*<TA104>*<TA105>

* ``TA104`` ``A`` accepted, ``E`` accepted with errors (only warnings: e.g. a
  4010-style ISA11, a duplicate ISA13, or envelope mismatches that ``--envelope
  lenient`` relaxed), ``R`` rejected (an error in the interchange envelope: its claims
  are rejected, every one answered in the 277CA);
* ``TA105`` the note code of the first error (else the first warning), ``000`` when
  there is none. The codes edi837 detects (``EnvelopeTracker``):

  ====  ==============================================================
  001   IEA02 differs from ISA13
  005   ISA05 sender id qualifier invalid
  006   ISA06 sender id empty
  007   ISA07 receiver id qualifier invalid
  008   ISA08 receiver id empty
  010   ISA01 authorization information qualifier invalid
  012   ISA03 security information qualifier invalid
  014   ISA09 not a valid YYMMDD date
  015   ISA10 not a valid HHMM time
  016   ISA11 a standards id letter (4010) where 5010 has a separator (E)
  017   ISA12 not 00501 (the file is then not read further)
  018   ISA13 not nine digits
  019   ISA14 not 0 or 1
  020   ISA15 not P or T
  021   IEA01 differs from the number of groups
  022   invalid control structure (SE/GE/ST out of their envelope)
  023   premature end of file (no IEA)
  024   invalid interchange content (segments between the envelopes)
  025   ISA13 repeats an earlier interchange of the file (E)
  ====  ==============================================================

A TA1 is written for an interchange when its ISA14 is ``1`` (acknowledgment requested)
or it has any interchange-level issue; each TA1 goes in an interchange of its own
(pyx12's control map allows one TA1 per ISA), with a fresh control number. The
received ISA09/ISA10/ISA13 are echoed as received, even when they are the error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import TextIO

from edi837.verdicts import Severity
from edi837.writers.x12out import EnvelopeWriter, isa_elements
from edi837.x12.envelope import EnvelopeTracker, Interchange
from edi837.x12.separators import DEFAULT, Separators
from edi837.x12.syntax_issue import SyntaxIssue

NO_ERROR = "000"


def interchange_issues(tracker: EnvelopeTracker, isa: Interchange) -> list[SyntaxIssue]:
    """The issues with a TA105 note code inside one received interchange."""
    return [i for i in tracker.issues if i.ta1 and i.interchange == isa.index]


def ta1_answer(tracker: EnvelopeTracker, isa: Interchange) -> tuple[str, str] | None:
    """(TA104, TA105) for one received interchange, or None when no TA1 is due."""
    issues = interchange_issues(tracker, isa)
    errors = [i for i in issues if i.severity in (Severity.REJECT, Severity.FATAL)]
    if errors:
        return "R", errors[0].ta1
    if issues:
        return "E", issues[0].ta1
    if isa.ISA[14] == "1":
        return "A", NO_ERROR
    return None


def ta1_needed(tracker: EnvelopeTracker) -> bool:
    """True when any interchange of the file is to be answered by a TA1."""
    return any(ta1_answer(tracker, isa) is not None for isa in tracker.interchanges)


def answers(tracker: EnvelopeTracker) -> Iterator[tuple[Interchange, str, str]]:
    for isa in tracker.interchanges:
        answer = ta1_answer(tracker, isa)
        if answer is not None:
            yield isa, *answer


def write_ta1(
    out: TextIO,
    tracker: EnvelopeTracker,
    *,
    sender_id: str,
    receiver_id: str,
    control_number: Callable[[], int],
    date_: date,
    time_: str,
    separators: Separators | None = None,
    usage: str = "P",
    line_ending: str = "",
) -> int:
    """Write a TA1 interchange for every received interchange that needs one; return the
    count. ``control_number`` is called once per TA1 written (ISA13/IEA02)."""
    count = 0
    for isa, ta104, ta105 in answers(tracker):
        seps = separators or isa.separators or DEFAULT
        w = EnvelopeWriter(out, seps, line_ending)
        w.begin_interchange(
            isa_elements(
                sender_id=sender_id,
                receiver_id=receiver_id,
                control_number=control_number(),
                date_=date_,
                time_=time_,
                separators=seps,
                usage=usage,
            )
        )
        received = isa.ISA
        w.put("TA1", received[13].strip(), received[9].strip(), received[10].strip(), ta104, ta105)
        w.end_interchange()
        count += 1
    return count
