"""The 277CA claim acknowledgment (005010X214): one answer per claim, streamed.

Layout, as pyx12's ``277.5010.X214.xml`` map has it (the map wins over prose):

* 2000A information source (us, ``NM1*AY``) with 2200A ``TRN*1``, ``DTP*050`` (received)
  and ``DTP*009`` (processed); 2000B information receiver (the 837 submitter, ``NM1*41``)
  with 2200B ``TRN*2`` = the 837 batch (BHT03), a receipt ``STC`` and the accepted and
  rejected counts and amounts (``QTY*90/AA``, ``AMT*YU/YY``). The map allows one 2000B
  per 2000A, so every input transaction set (batch) gets its own 2000A/2000B pair.
* 2000C billing provider (``NM1*85``, NPI) with 2200C ``TRN*1`` and a provider ``STC``
  with that provider's totals; 2000D patient (``HL*n*p*PT``, ``NM1*QC``).
* 2200D one claim: ``TRN*2*<CLM01>``, ``STC`` (``A1:19:40`` accepted / ``WQ``, or one
  per rejection reason with ``U``), ``REF*D9`` (our trace number), ``REF*BLT`` (837I
  bill type), ``DTP*472``.
* 2220D only for rejected lines: ``SVC``, one ``STC`` (up to three codes: STC01,
  STC10, STC11), ``REF*FJ`` (the line's REF*6R), ``DTP*472``; none for a line whose
  charge is not a number (SVC02 would be invented; the claim's STC names the line).

What each STC says is the finding's, declared with its rule (``Rule.answers``): the
category (A6 missing, A7 invalid, A8 relational, A3), the status code, the entity
(STC01-3) a status about an entity needs (252, 562, 96, 677) and, for 21 and 732, the
specific second code (``Finding.detail``), sent in STC10 of the same STC. The writer
looks nothing up: it spells what the rule declared.

Accepted claims answer ``A1:19:40`` (received by the clearinghouse; not "accepted into
the adjudication system", A2, which only the payer's adjudication system can say): see
docs/acknowledgments.md. Nothing is invented: a billing provider without an NPI is named
by the 837's REF*EI tax id (NM108 FI), and with neither gets no NM108/NM109 (never
``XX*0000000000``); 2200C's required TRN02 is then a trace number we assign, not ``0``;
REF*D9 is the claim's trace id (``Verdict.trace_id``).

Streaming: claims are grouped only with *consecutive* claims of the same batch, billing
provider and patient. Totals must precede the claims they count, so a provider's claims
are spooled (memory, then a temporary file) until the provider changes, and a batch's
providers until the batch changes; nothing holds more than one verdict at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TextIO

from edi837.claim.model import FORM_837I, Claim, Provider, ServiceLine
from edi837.verdicts import Finding, Verdict
from edi837.writers.x12out import (
    EnvelopeWriter,
    SegmentWriter,
    Spool,
    amount,
    d8,
    free_text,
    open_acknowledgment,
    st02,
)
from edi837.x12.separators import DEFAULT, Separators

VERSION = "005010X214"
# We acknowledge receipt; 19 needs the entity. 2200B/2200C name us as 2100A does, AY
# (clearinghouse); the map does not allow AY in 2200D, where we are 40, the receiver --
# the 837's 1000B NM1*40, to which the claims were sent.
RECEIPT_STC = ("A1", "19", "AY")  # entity acknowledges receipt of claim/encounter
# An accepted claim: received, not "accepted into the adjudication system" (A2:20): a
# pre-payer screen is not the payer's adjudication system (docs/acknowledgments.md).
ACCEPTED_STC = ("A1", "19", "40")
REJECTED_CATEGORIES = frozenset({"A3", "A6", "A7", "A8"})
_SVC_QUALIFIERS = frozenset({"AD", "ER", "HC", "HP", "IV", "NU", "WK"})
MAX_LINE_CODES = 3  # 2220D STC is used once: STC01, STC10 and STC11
MAX_LINE_REASONS = MAX_LINE_CODES  # (old name)
REF_MAX = 50  # REF02 maximum length


@dataclass
class _Totals:
    """Accepted and rejected claim counts and charges under one 2000B or 2000C."""

    accepted: int = 0
    rejected: int = 0
    accepted_amount: Decimal = Decimal(0)
    rejected_amount: Decimal = Decimal(0)

    def add(self, verdict: Verdict) -> None:
        if verdict.accepted:
            self.accepted += 1
            self.accepted_amount += verdict.claim.total_charge
        else:
            self.rejected += 1
            self.rejected_amount += verdict.claim.total_charge

    @property
    def total(self) -> Decimal:
        return self.accepted_amount + self.rejected_amount

    @property
    def action(self) -> str:
        """STC03: WQ (accepted) when anything was accepted, else U (rejected)."""
        return "WQ" if self.accepted else "U"

    def write(self, w: SegmentWriter, accepted_qty: str, rejected_qty: str) -> None:
        if self.accepted:
            w.put("QTY", accepted_qty, str(self.accepted))
        if self.rejected:
            w.put("QTY", rejected_qty, str(self.rejected))
        if self.accepted:
            w.put("AMT", "YU", amount(self.accepted_amount))
        if self.rejected:
            w.put("AMT", "YY", amount(self.rejected_amount))


def write_277ca(out: TextIO, verdicts: Iterable[Verdict], **envelope: object) -> int:
    """Write one 277CA interchange answering every verdict; return the claims written.

    ``envelope`` is what ``Ack277CA`` takes (ids, control number, date, time, ...). With
    no verdicts nothing is written (a 277CA needs at least one claim) and 0 is returned.
    """
    ack = Ack277CA(out, **envelope)  # type: ignore[arg-type]
    try:
        for verdict in verdicts:
            ack.add(verdict)
    except BaseException:
        ack.discard()
        raise
    return ack.close()


class Ack277CA:
    """One 277CA interchange, written claim by claim (``add``) and closed with ``close``.

    ``sender_id``/``receiver_id`` are ISA06/ISA08 and GS02/GS03 (the receiver is the 837's
    submitter); ISA13 and GS06 are ``control_number`` and ST02 its four-digit form.
    ``received`` (DTP*050) defaults to ``date_`` (DTP*009, BHT04, STC02).
    ``receiver_name`` is 2100B NM103 (default: the 837's 1000A). The envelope is written
    at the first claim, so an answer with no claim writes nothing.
    """

    def __init__(
        self,
        out: TextIO,
        *,
        sender_id: str,
        receiver_id: str,
        control_number: int,
        date_: date,
        time_: str = "1200",
        separators: Separators = DEFAULT,
        sender_name: str = "EDI837 CLAIM SCREENING",
        receiver_name: str = "",
        received: date | None = None,
        usage: str = "P",
        line_ending: str = "",
    ) -> None:
        self.out = out
        self.envelope = {
            "sender_id": sender_id,
            "receiver_id": receiver_id,
            "control_number": control_number,
            "date_": date_,
            "time_": time_,
            "separators": separators,
            "usage": usage,
            "line_ending": line_ending,
        }
        self.names = (sender_name, receiver_name, received or date_)
        self.count = 0
        self._w: EnvelopeWriter | None = None
        self._ack: _Ack | None = None

    def add(self, verdict: Verdict) -> None:
        if self._ack is None:
            self._begin()
        self._ack.add(verdict)  # type: ignore[union-attr]
        self.count += 1

    def _begin(self) -> None:
        env = self.envelope
        control, when, time_ = env["control_number"], env["date_"], env["time_"]
        w = open_acknowledgment(self.out, functional_id="HN", version=VERSION, **env)  # type: ignore[arg-type]
        w.begin_set("277", st02(control), VERSION)  # type: ignore[arg-type]
        w.put("BHT", "0085", "08", str(control), d8(when), time_, "TH")  # type: ignore[arg-type]
        sender_name, receiver_name, received = self.names
        self._w = w
        self._ack = _Ack(w, control, when, received, env["sender_id"], sender_name, receiver_name)  # type: ignore[arg-type]

    def close(self) -> int:
        """Write the totals and trailers; returns the claims answered."""
        ack, self._ack = self._ack, None
        if ack is not None:
            try:
                ack.finish()
            finally:
                ack.close()
            self._w.close_all()  # type: ignore[union-attr]
        return self.count

    def discard(self) -> None:
        """Give up (the run failed): release the spools, write nothing more."""
        ack, self._ack = self._ack, None
        if ack is not None:
            ack.close()


class _Ack:
    """The 2000A..2220D loops, with consecutive-only grouping and spooled totals."""

    def __init__(self, w: EnvelopeWriter, control_number: int, date_: date, received: date,
                 sender_id: str, sender_name: str, receiver_name: str) -> None:  # fmt: skip
        self.w = w
        seps, end = w.separators, w.line_ending
        self.batch_spool = Spool(seps, end)  # 2000C.. of the current batch
        self.provider_spool = Spool(seps, end)  # 2000D.. of the current provider
        self.control_number = control_number
        self.when = d8(date_)
        self.received = d8(received)
        self.sender_id, self.sender_name = sender_id, sender_name
        self.receiver_name = receiver_name
        self.hl = 0
        self.batches = 0
        self.batch_key: tuple[object, ...] | None = None
        self.provider_key: tuple[object, ...] | None = None
        self.patient_key: tuple[object, ...] | None = None
        self.batch_claim: Claim | None = None  # first claim of the batch (envelope facts)
        self.provider_claim: Claim | None = None
        self.batch_hl = self.provider_hl = self.patient_hl = 0
        self.batch_totals = _Totals()
        self.provider_totals = _Totals()

    def text(self, value: str, limit: int = 80) -> str:
        return free_text(value, self.w.separators, limit)

    # -- grouping ------------------------------------------------------------------------
    def add(self, verdict: Verdict) -> None:
        claim = verdict.claim
        env = claim.envelope
        batch_key = (env.file, env.transaction_index, env.ST02, env.BHT03)  # one 837 set
        billing = claim.billing
        provider_key = (billing.npi, billing.name)
        person = claim.patient_person
        patient_key = (claim.patient_key, person.last, person.first, claim.subscriber.member_id)
        if batch_key != self.batch_key:
            self.finish()
            self.batch_key, self.batch_claim = batch_key, claim
            self.batch_hl = self.hl + 1
            self.hl += 2  # 2000A and 2000B
        if provider_key != self.provider_key:
            self.finish_provider()
            self.provider_key, self.provider_claim = provider_key, claim
            self.hl += 1
            self.provider_hl = self.hl
        if patient_key != self.patient_key:
            self.patient_key = patient_key
            self.hl += 1
            self.patient_hl = self.hl
            self.patient(claim)
        self.claim(verdict)
        self.batch_totals.add(verdict)
        self.provider_totals.add(verdict)

    def finish_provider(self) -> None:
        """Write the finished provider's 2000C (now its totals are known) and its claims."""
        claim = self.provider_claim
        if claim is None:
            return
        out = self.batch_spool
        totals = self.provider_totals
        out.put("HL", str(self.provider_hl), str(self.batch_hl + 1), "19", "1")
        billing = claim.billing
        last, first, entity_type = _split_name(billing.name)
        name = {3: self.text(last, 60) or "UNKNOWN", 4: self.text(first, 35)}
        # NM108/NM109 from the 837, never invented (no XX*0000000000): the NPI (XX),
        # else the 2010AA REF*EI tax id (FI, which the X214 lists too); with neither the
        # 837 gave no identifier and none is sent (pyx12's map wants one: such an 837
        # broke its own guide, REF*EI being required in 2010AA).
        qualifier, ident = _provider_id(billing, self.w.separators)
        ids = {8: qualifier, 9: ident} if ident else {}
        out.put_at("NM1", {1: "85", 2: entity_type, **name, **ids})
        # 2200C TRN02 (required): the provider's identifier as sent, else a trace number
        # we, the information source, assign (ISA13-batch-HL), as for 2200A's TRN.
        out.put("TRN", "1", ident or f"{self.control_number}-{self.batches + 1}-{self.provider_hl}")
        out.put("STC", out.composite(*RECEIPT_STC), "", totals.action, amount(totals.total))
        totals.write(out, "QA", "QC")
        out.absorb(self.provider_spool)
        self.provider_claim = self.provider_key = self.patient_key = None
        self.provider_totals = _Totals()

    def finish(self) -> None:
        """Write the finished batch's 2000A/2000B (with totals) and everything under it."""
        self.finish_provider()
        claim = self.batch_claim
        if claim is None:
            return
        w = self.w
        env = claim.envelope
        self.batches += 1
        totals = self.batch_totals
        a, b = self.batch_hl, self.batch_hl + 1
        w.put("HL", str(a), "", "20", "1")
        name = self.text(self.sender_name, 60) or "UNKNOWN"
        w.put_at("NM1", {1: "AY", 2: "2", 3: name, 8: "46", 9: self.text(self.sender_id)})
        w.put("TRN", "1", f"{self.control_number}-{self.batches}")
        w.put("DTP", "050", "D8", self.received)
        w.put("DTP", "009", "D8", self.when)
        w.put("HL", str(b), str(a), "21", "1")
        # 2100B is the 837's own 1000A submitter (NM103, NM109 with qualifier 46); GS02
        # or ISA06 only when the 837 had no 1000A NM1*41.
        submitter = env.submitter_id or env.GS02 or env.ISA06 or "UNKNOWN"
        name = self.text(self.receiver_name or env.submitter_name or submitter, 60) or "UNKNOWN"
        w.put_at("NM1", {1: "41", 2: "2", 3: name, 8: "46", 9: self.text(submitter) or "UNKNOWN"})
        # 2200B TRN02 is the 837's BHT03 (the batch it answers); ST02 is required in every
        # set, so the fallback is the input's own value too.
        w.put(
            "TRN",
            "2",
            self.text(env.BHT03 or env.ST02, 50) or f"{self.control_number}-{self.batches}",
        )
        w.put("STC", w.composite(*RECEIPT_STC), self.when, totals.action, amount(totals.total))
        totals.write(w, "90", "AA")
        w.absorb(self.batch_spool)
        self.batch_claim = self.batch_key = None
        self.batch_totals = _Totals()

    def close(self) -> None:
        self.batch_spool.close()
        self.provider_spool.close()

    # -- 2000D / 2200D / 2220D ---------------------------------------------------------------
    def patient(self, claim: Claim) -> None:
        out = self.provider_spool
        person = claim.patient_person
        member = claim.subscriber.member_id or person.member_id
        out.put("HL", str(self.patient_hl), str(self.provider_hl), "PT")
        name = {3: self.text(person.last, 60) or "UNKNOWN", 4: self.text(person.first, 35)}
        out.put_at("NM1", {1: "QC", 2: "1", **name, 8: "MI", 9: self.text(member) or "UNKNOWN"})

    def claim(self, verdict: Verdict) -> None:
        out = self.provider_spool
        claim = verdict.claim
        charge = amount(claim.total_charge)
        # TRN02 is CLM01; an 837 without one (STR005) gets our trace id, not "UNKNOWN"
        out.put(
            "TRN", "2", self.text(claim.CLM01, 50) or self.text(verdict.trace_id, 50) or "UNKNOWN"
        )
        if verdict.accepted:
            out.put("STC", out.composite(*ACCEPTED_STC), self.when, "WQ", charge)
        else:
            for finding, note in _claim_reasons(verdict):
                stc = {1: self.status(finding, claim), 2: self.when, 3: "U", 4: charge}
                if finding.detail:  # the specific code a 21 or 732 needs, in STC10
                    stc[10] = self.code(finding.detail)
                out.put_at("STC", {**stc, 12: self.text(note, 264)})
        trace = _trace_number(verdict, self.w.separators)
        if trace:
            out.put("REF", "D9", trace)
        if claim.form == FORM_837I and claim.facility_code and claim.frequency:
            out.put("REF", "BLT", self.text(claim.facility_code + claim.frequency, 50))
        start, end = _claim_period(claim)
        self.dates(start or self.when_date(claim), end)
        if verdict.accepted:
            return
        for line in claim.lines:
            # A line whose charge cannot be read gets no 2220D: SVC02 would have to be
            # invented. Its reasons are in the claim's STC (STC12 names the line).
            reasons = _line_reasons(verdict, line)
            if reasons and line.charge_readable:
                self.service_line(claim, line, reasons)

    def service_line(self, claim: Claim, line: ServiceLine, reasons: list[Finding]) -> None:
        out = self.provider_spool
        qualifier = (
            line.procedure_qualifier if line.procedure_qualifier in _SVC_QUALIFIERS else "HC"
        )
        revenue = ""
        if line.procedure:
            svc01 = out.composite(
                qualifier,
                self.text(line.procedure, 48),
                *(self.text(m, 2) for m in line.modifiers[:4]),
            )
            revenue = line.revenue_code if claim.form == FORM_837I else ""
        else:
            svc01 = out.composite("NU", self.text(line.revenue_code, 48) or "0000")
        # SVC07 is the units as sent: an unreadable SV102 does not make them unknown. Units
        # the reader could not read (SV104 "1X") are not invented either: SVC07 is left out.
        units = _units_as_sent(line)
        out.put("SVC", svc01, amount(line.charge), "", self.text(revenue, 48), "", "", units)
        codes = self.line_codes(claim, reasons)
        extra = [*codes[1:], "", ""]
        out.put_at("STC", {1: codes[0], 2: self.when, 3: "U", 10: extra[0], 11: extra[1]})
        if line.REF_6R:
            out.put("REF", "FJ", self.text(line.REF_6R, 50))
        if line.service_date:
            self.dates(
                d8(line.service_date), d8(line.service_date_end) if line.service_date_end else None
            )

    def dates(self, start: str, end: str | None) -> None:
        if end and end != start:
            self.provider_spool.put("DTP", "472", "RD8", f"{start}-{end}")
        else:
            self.provider_spool.put("DTP", "472", "D8", start)

    def when_date(self, claim: Claim) -> str:
        """DTP*472 is required: with no service date at all, the 837's creation date."""
        bht04 = claim.envelope.BHT04
        return bht04 if len(bht04) == 8 and bht04.isdigit() else self.when

    def status(self, finding: Finding, claim: Claim | None = None) -> str:
        """STC01 (or STC10/11): category:status[:entity], as the finding's rule declared
        them (``claim`` is unused: kept for callers of the old signature)."""
        category = finding.category if finding.category in REJECTED_CATEGORIES else "A3"
        return self.w.composite(category, finding.status_code or "21", finding.entity)

    def code(self, text: str) -> str:
        """A declared ``A8:454`` or ``A8:128:85`` in the output's component separator."""
        return self.w.composite(*text.split(":"))

    def line_codes(self, claim: Claim, reasons: list[Finding]) -> list[str]:
        """The 2220D STC's codes (STC01, STC10, STC11) for the line's reasons: each reason's
        status followed by its second code when it has one, never split (a 732 without its
        detail would break the usage note), as many reasons as fit in three."""
        codes: list[str] = []
        for f in reasons:
            these = [self.status(f, claim), *([self.code(f.detail)] if f.detail else [])]
            if len(codes) + len(these) > MAX_LINE_CODES:
                break
            codes += these
        return codes


def _stc_key(f: Finding) -> tuple[str, str, str, str]:
    """What makes two findings the same STC: category, status, entity, second code."""
    return (f.category, f.status_code, f.entity, f.detail)


def _claim_reasons(verdict: Verdict) -> list[tuple[Finding, str]]:
    """2200D STC reasons: each claim-level rejection, or (with none) each distinct line one."""
    rejections = verdict.rejections
    claim_level = [(f, f"{f.rule} - {f.message}") for f in rejections if f.line is None]
    if claim_level:
        return claim_level
    seen: dict[tuple[str, str, str, str], tuple[Finding, str]] = {}
    for f in rejections:
        key = _stc_key(f)
        if key not in seen:
            seen[key] = (f, f"{f.rule} line {f.line} - {f.message}")
    return list(seen.values())


def _line_reasons(verdict: Verdict, line: ServiceLine) -> list[Finding]:
    """The line's rejecting findings, one per distinct STC code."""
    reasons: dict[tuple[str, str, str, str], Finding] = {}
    for f in verdict.line_rejections(line.LX01):
        reasons.setdefault(_stc_key(f), f)
    return list(reasons.values())


def _trace_number(verdict: Verdict, separators: Separators) -> str:
    """2200D REF*D9, the clearinghouse trace number: ours (``verdict.trace_id``,
    ISA13.GS06.ST02.CLM01), which is what the information source (NM1*AY) assigned; the
    837's own REF*D9 only when there is no trace id. A value that would not fit REF02
    (50) or would need its separators stripped is not sent: a cut trace number is not one.
    """
    for value in (verdict.trace_id, verdict.claim.REF_D9):
        if value and len(value) <= REF_MAX and free_text(value, separators, REF_MAX) == value:
            return value
    return ""


def _provider_id(billing: Provider, separators: Separators) -> tuple[str, str]:
    """(NM108, NM109) for 2100C from the 837's billing provider: XX NPI, FI tax id, or
    ("", "") when the 837 carried neither."""
    if billing.npi:
        return "XX", free_text(billing.npi, separators, 80)
    if billing.tax_id:
        return "FI", free_text(billing.tax_id, separators, 80)
    return "", ""


def _units_as_sent(line: ServiceLine) -> str:
    """SVC07 (original units of service count): SV104/SV205 as read, when readable."""
    if line.units:
        return amount(line.units)
    return ""


def _claim_period(claim: Claim) -> tuple[str | None, str | None]:
    """The claim's service dates: 837I statement period, else the span of the line dates."""
    if claim.form == FORM_837I and claim.statement_from:
        end = claim.statement_to
        return d8(claim.statement_from), d8(end) if end else None
    starts = [line.service_date for line in claim.lines if line.service_date]
    if not starts:
        if claim.statement_from:
            return d8(claim.statement_from), (
                d8(claim.statement_to) if claim.statement_to else None
            )
        return None, None
    ends = [line.service_date_end or line.service_date for line in claim.lines if line.service_date]
    return d8(min(starts)), d8(max(ends))  # type: ignore[arg-type]


def _split_name(name: str) -> tuple[str, str, str]:
    """(last or organization, first, NM102) from ``Provider.name`` ("LAST, FIRST" or org)."""
    last, comma, first = name.partition(", ")
    if comma and first:
        return last, first, "1"
    return name, "", "2"
