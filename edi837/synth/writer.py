"""Write ClaimSpecs as one X12 interchange (ISA..IEA), streaming.

Why it is shaped this way:

* The TR3s want one GS per functional group version, so claims are grouped by form
  (837P, 837I), each in input order. Input is a generator (benchmarks feed millions), so
  the first form met is written straight through and the other form's transaction-set
  bodies go to an anonymous temporary file, replayed under their own GS at the end. Only
  one claim's segments are ever held in memory.
* HL numbering restarts in every ST. Consecutive claims of one billing provider share a
  2000A; consecutive claims of one subscriber (same payer and filing indicator) under it
  share a 2000B, and consecutive claims of one dependant share a 2000C. A subscriber's own
  claims and a dependant's claims get separate 2000B loops, because HL04 (child code) must
  be written before the writer can know whether a dependant claim will follow.
* The ISA is fixed width (106 characters with its terminator); pyx12 and many real readers
  find the separators by position.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from io import StringIO
from os import PathLike
from typing import TextIO

from edi837.atomic import atomic_open
from edi837.runtmp import run_dir
from edi837.synth.loops import MAX_LINES, LoopRenderer, d8, subscriber_of
from edi837.synth.spec import FORMS, ClaimSpec, PersonSpec
from edi837.x12.separators import DEFAULT, Separators

GS08_DEFAULT = {"837P": "005010X222A1", "837I": "005010X223A2"}
"""Version / release / industry identifier per form, as pyx12 4.0.0's maps are keyed."""

MAX_CLAIMS_PER_HL = 100
"""Loop 2300 repeats at most 100 times under one 2000B/2000C (both TR3s)."""

FORBIDDEN_SEPARATORS = " .-"
"""Characters the generated data itself uses (names, decimal amounts, RD8 ranges)."""

_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class WriteSummary:
    """Counts of what one interchange held, and the control numbers to use next."""

    claims: int
    functional_groups: int
    transaction_sets: int
    next_st: int


@dataclass
class _Envelope:
    """Options shared by every group of one interchange."""

    renderer: LoopRenderer
    element: str
    terminator: str
    text_guard: re.Pattern[str]
    claims_per_st: int
    isa_control: int
    when: str
    hhmm: str
    sender_id: str
    receiver_id: str
    next_st: int


class _Group:
    """One functional group (one form): ST/SE bodies and the HL hierarchy inside them.

    With ``direct`` the ST and SE segments go straight to ``sink`` (the output); otherwise
    ``sink`` is a spool and each transaction set's body length and segment count are
    recorded so :meth:`replay` can wrap them in ST/SE once their numbers are known.
    """

    def __init__(
        self, form: str, env: _Envelope, sink: TextIO, *, direct: bool, label: str
    ) -> None:
        self.form = form
        self.label = label  # GS08 and ST03
        self.env = env
        self.sink = sink
        self.direct = direct
        self.st_count = 0
        self.spooled: list[tuple[int, int]] = []  # (characters, body segments) per ST
        self._in_st = False
        self._claims_in_st = 0
        self._body_segments = 0
        self._body_chars = 0
        self._st02 = ""
        self._reset_hierarchy()

    def _reset_hierarchy(self) -> None:
        """HL ids restart at 1 in every ST, and no 2000A/B/C is open yet."""
        self._hl = 0
        self._billing_key: tuple[str, ...] | None = None
        self._billing_hl = 0
        self._subscriber_key: tuple[object, ...] | None = None
        self._subscriber_hl = 0
        self._subscriber_claims = 0
        self._patient_key: tuple[object, ...] | None = None
        self._patient_claims = 0

    # -- transaction sets ------------------------------------------------------------

    def _open_st(self) -> None:
        env = self.env
        self.st_count += 1
        if self.direct:
            self._st02 = f"{env.next_st:04d}"
            env.next_st += 1
            e = env.element
            self.sink.write(f"ST{e}837{e}{self._st02}{e}{self.label}{env.terminator}")
        self._in_st = True
        self._claims_in_st = self._body_segments = self._body_chars = 0
        self._reset_hierarchy()
        bht03 = f"{env.isa_control}{self.form[-1]}{self.st_count}"
        self._emit(env.renderer.header(bht03, env.when, env.hhmm, env.sender_id, env.receiver_id))

    def _close_st(self) -> None:
        if not self._in_st:
            return
        if self.direct:
            e = self.env.element
            se = f"SE{e}{self._body_segments + 2}{e}{self._st02}{self.env.terminator}"
            self.sink.write(se)
        else:
            self.spooled.append((self._body_chars, self._body_segments))
        self._in_st = False

    def _emit(self, segments: list[str]) -> None:
        term = self.env.terminator
        text = term.join(segments) + term
        self.sink.write(text)
        self._body_segments += len(segments)
        self._body_chars += len(text)

    # -- claims ----------------------------------------------------------------------

    def add(self, claim: ClaimSpec) -> None:
        """Append one claim, opening a new ST (and new HL loops) as needed."""
        _check_claim(claim, self.env.text_guard)
        if self._in_st and self._claims_in_st >= self.env.claims_per_st:
            self._close_st()
        if not self._in_st:
            self._open_st()
        renderer = self.env.renderer
        out: list[str] = []

        billing_key = (
            claim.billing_npi,
            claim.billing_name,
            claim.billing_state,
            claim.billing_tax_id,
            claim.billing_street,
            claim.billing_city,
            claim.billing_zip,
            claim.billing_taxonomy or "",
        )
        if billing_key != self._billing_key:
            self._hl += 1
            self._billing_hl = self._hl
            self._billing_key = billing_key
            self._subscriber_key = None
            renderer.billing_provider(claim, self._hl, out)

        person = subscriber_of(claim)
        dependant = claim.patient is not None
        subscriber_key = (
            claim.member_id,
            person,
            claim.payer_id,
            claim.payer_name,
            claim.filing_indicator,
            dependant,
        )
        full = not dependant and self._subscriber_claims >= MAX_CLAIMS_PER_HL
        if subscriber_key != self._subscriber_key or full:
            self._hl += 1
            self._subscriber_hl = self._hl
            self._subscriber_key = subscriber_key
            self._subscriber_claims = 0
            self._patient_key = None
            renderer.subscriber(claim, person, self._hl, self._billing_hl, out)
        self._subscriber_claims += 1

        if dependant:
            patient_key = (claim.patient, claim.patient_relationship)
            if patient_key != self._patient_key or self._patient_claims >= MAX_CLAIMS_PER_HL:
                self._hl += 1
                self._patient_key = patient_key
                self._patient_claims = 0
                renderer.patient(claim, self._hl, self._subscriber_hl, out)
            self._patient_claims += 1

        if self.form == "837P":
            renderer.claim_837p(claim, out)
        else:
            renderer.claim_837i(claim, out)
        self._emit(out)
        self._claims_in_st += 1

    def finish(self) -> None:
        """Close the last transaction set."""
        self._close_st()

    def replay(self, out: TextIO) -> None:
        """Copy spooled bodies to ``out`` wrapped in freshly numbered ST/SE segments."""
        env = self.env
        e, term = env.element, env.terminator
        self.sink.seek(0)
        for chars, segments in self.spooled:
            st02 = f"{env.next_st:04d}"
            env.next_st += 1
            out.write(f"ST{e}837{e}{st02}{e}{self.label}{term}")
            remaining = chars
            while remaining:
                chunk = self.sink.read(min(remaining, _COPY_CHUNK))
                if not chunk:
                    raise RuntimeError("spool ended early")
                out.write(chunk)
                remaining -= len(chunk)
            out.write(f"SE{e}{segments + 2}{e}{st02}{term}")


def _person_text(person: PersonSpec | None) -> str:
    if person is None:
        return ""
    return "\0".join((person.last, person.first, person.gender, person.street, person.city,
                      person.state, person.postal_code))  # fmt: skip


def _check_claim(claim: ClaimSpec, guard: re.Pattern[str]) -> None:
    """Refuse a claim whose values would break the interchange's own separators."""
    if claim.form not in FORMS:
        raise ValueError(f"claim {claim.claim_id}: form must be one of {FORMS}, not {claim.form!r}")
    if not claim.lines:
        raise ValueError(f"claim {claim.claim_id}: a claim needs at least one service line")
    if len(claim.lines) > MAX_LINES[claim.form]:
        raise ValueError(
            f"claim {claim.claim_id}: {len(claim.lines)} lines, "
            f"the {claim.form} allows {MAX_LINES[claim.form]}"
        )
    parts = [
        claim.claim_id, claim.member_id, claim.frequency, claim.ref_f8 or "",
        claim.ref_g1 or "", claim.billing_npi, claim.billing_name, claim.billing_state,
        claim.billing_tax_id, claim.billing_street, claim.billing_city, claim.billing_zip,
        claim.billing_taxonomy or "", claim.rendering_npi or "", claim.referring_npi or "",
        claim.attending_npi or "", claim.filing_indicator, claim.facility_code or "",
        claim.payer_id, claim.payer_name, claim.diagnosis, claim.patient_relationship,
        claim.patient_status, _person_text(claim.subscriber), _person_text(claim.patient),
    ]  # fmt: skip
    for line in claim.lines:
        parts += (line.procedure, line.revenue_code or "", line.line_control or "",
                  line.ref_g1 or "", line.ordering_npi or "", *line.modifiers)  # fmt: skip
    found = guard.search("\0".join(parts))
    if found:
        raise ValueError(
            f"claim {claim.claim_id}: value contains separator character {found.group()!r}"
        )


def _isa(
    seps: Separators, sender: str, receiver: str, when: date, hhmm: str, control: int, pad: bool
) -> str:
    e = seps.element
    if pad:
        if len(sender) > 15 or len(receiver) > 15:
            raise ValueError("ISA06/ISA08 are at most 15 characters")
        sender, receiver = f"{sender:<15}", f"{receiver:<15}"
    if not 0 <= control <= 999_999_999:
        raise ValueError(f"ISA13 must fit in 9 digits, got {control}")
    blank = " " * 10
    return (
        f"ISA{e}00{e}{blank}{e}00{e}{blank}{e}ZZ{e}{sender}{e}ZZ{e}{receiver}{e}"
        f"{d8(when)[2:]}{e}{hhmm}{e}{seps.repetition}{e}00501{e}{control:09d}{e}0{e}T{e}"
        f"{seps.component}{seps.segment}"
    )


def write_837(
    out: TextIO,
    claims: Iterable[ClaimSpec],
    *,
    separators: Separators = DEFAULT,
    line_ending: str = "",
    sender_id: str = "SUBMITTER01",
    receiver_id: str = "RECEIVER01",
    isa_control: int = 1,
    gs_control: int = 1,
    st_start: int = 1,
    date_: date = date(2026, 11, 2),
    claims_per_st: int = 1000,
    version_label: str | Mapping[str, str] | None = None,
    isa_padding_ok: bool = True,
    time_: str = "1200",
) -> WriteSummary:
    """Write ``claims`` to ``out`` as one interchange; return what was written.

    ``line_ending`` ("", "\\n" or "\\r\\n") follows every segment terminator.
    ``version_label`` overrides GS08/ST03 (one string for all forms, or a form -> label
    mapping), e.g. "005010X222A2" to imitate errata-labelled senders.
    ``isa_padding_ok=False`` writes ISA06/ISA08 unpadded, as careless senders do: the
    ISA is then shorter than 106 characters (useful only for reader tests).
    """
    seps = separators
    if claims_per_st < 1:
        raise ValueError("claims_per_st must be at least 1")
    chars = (seps.element, seps.component, seps.repetition, seps.segment)
    bad = [ch for ch in chars if ch in FORBIDDEN_SEPARATORS]
    if bad:
        raise ValueError(f"separator {bad[0]!r} also occurs inside generated values")
    if any(ch in "\r\n" for ch in chars[:3]):
        raise ValueError("only the segment terminator may be CR or LF")
    if line_ending not in ("", "\n", "\r\n") or seps.segment in line_ending:
        raise ValueError(f"line ending {line_ending!r} does not fit terminator {seps.segment!r}")
    e = seps.element
    terminator = seps.segment + line_ending
    env = _Envelope(
        renderer=LoopRenderer(seps),
        element=e,
        terminator=terminator,
        text_guard=re.compile("[" + re.escape("".join(chars)) + "\r\n]"),
        claims_per_st=claims_per_st,
        isa_control=isa_control,
        when=d8(date_),
        hhmm=time_,
        sender_id=sender_id,
        receiver_id=receiver_id,
        next_st=st_start,
    )

    def gs(control: int, label: str) -> str:
        return (
            f"GS{e}HC{e}{sender_id}{e}{receiver_id}{e}{env.when}{e}{time_}{e}{control}{e}X{e}"
            f"{label}{terminator}"
        )

    out.write(_isa(seps, sender_id, receiver_id, date_, time_, isa_control, isa_padding_ok))
    out.write(line_ending)
    groups: dict[str, _Group] = {}
    count = 0
    with ExitStack() as cleanup:
        for claim in claims:
            group = groups.get(claim.form)
            if group is None:
                _check_claim(claim, env.text_guard)  # an unknown form fails here, by claim id
                label = _label_for(claim.form, version_label)
                if groups:  # the second form waits in a spool until the first is done
                    sink = cleanup.enter_context(
                        tempfile.TemporaryFile("w+", encoding="ascii", newline="", dir=run_dir())
                    )
                    group = _Group(claim.form, env, sink, direct=False, label=label)
                else:
                    out.write(gs(gs_control, label))
                    group = _Group(claim.form, env, out, direct=True, label=label)
                groups[claim.form] = group
            group.add(claim)
            count += 1
        for control, group in enumerate(groups.values(), gs_control):
            group.finish()
            if not group.direct:
                out.write(gs(control, group.label))
                group.replay(out)
            out.write(f"GE{e}{group.st_count}{e}{control}{terminator}")
    out.write(f"IEA{e}{len(groups)}{e}{isa_control:09d}{terminator}")
    return WriteSummary(
        claims=count,
        functional_groups=len(groups),
        transaction_sets=sum(g.st_count for g in groups.values()),
        next_st=env.next_st,
    )


def _label_for(form: str, version_label: str | Mapping[str, str] | None) -> str:
    """GS08/ST03 for ``form``: the caller's override, else the TR3's own label."""
    if isinstance(version_label, str):
        return version_label
    if version_label and form in version_label:
        return version_label[form]
    return GS08_DEFAULT[form]


def write_837_file(
    path: str | PathLike[str], claims: Iterable[ClaimSpec], **kw: object
) -> WriteSummary:
    """:func:`write_837` to a new ASCII file (no newline translation)."""
    with atomic_open(path, encoding="ascii", newline="", buffering=_COPY_CHUNK) as out:
        return write_837(out, claims, **kw)  # type: ignore[arg-type]


def render_837(claims: Iterable[ClaimSpec], **kw: object) -> str:
    """:func:`write_837` to a string; for tests and small fixtures."""
    buffer = StringIO(newline="")
    write_837(buffer, claims, **kw)  # type: ignore[arg-type]
    return buffer.getvalue()
