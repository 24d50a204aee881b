"""Judge each patient's S-code claims in service-date order against their timeline.

Why a separate step: the frequency rules (S0353 once, S0354 every 30 days, months per
order, one form) depend on *other* claims. Judging per patient in (service date, original
before replacement before void, input order) makes verdicts independent of the order
of claims and files in the batch. Claims arrive here as compact digests (tuples, cheap to
spool to disk), so memory does not grow with the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from edi837.claim.model import Claim, Envelope, Position, ServiceLine
from edi837.feeds import Authorization
from edi837.rules import rules_of
from edi837.rules.context import ClaimContext, RunContext
from edi837.rules.sc014_frequency import frequency as sc014
from edi837.store.base import ClaimRecord, HistoryStore
from edi837.timeline import Service, Timeline
from edi837.verdicts import ACCEPTED, REJECTED, Finding, Severity
from edi837.x12.envelope import SyntaxIssue

FREQUENCY_RANK = {"7": 1, "8": 2}  # originals (1) first at equal dates

# A digest: everything the timeline rules need of a claim, as plain tuples.
#   (key, claim_id, REF_F8, frequency, form, member_id, patient_key, REF_G1, rejected,
#    lines, auths, source)
#   lines: ((LX01, procedure, date ordinal | 0, units str, REF_G1, *date position), ...)
#   auths: ((LX01, order_id, s0354_max_months | None), ...)
#   source: (file, sender, ISA13, interchange, group, transaction index, CLM ordinal)
Digest = tuple


def make_digest(key: int, claim: Claim, ctx: ClaimContext, rejected: bool) -> Digest:
    lines = tuple(
        (ln.LX01, ln.procedure, _ordinal(claim.line_date(ln)), str(ln.units), ln.REF_G1,
         *ln.date_at)
        for ln in claim.lines if ln.is_s_code
    )
    auths = tuple((lx, a.order_id, a.s0354_max_months) for lx, a in ctx.line_auth.items())
    env = claim.envelope
    return (key, claim.CLM01, claim.REF_F8, claim.frequency, claim.form, claim.member_id,
            claim.patient_key, claim.REF_G1, rejected, lines, auths,
            (env.file, env.ISA06, env.ISA13, env.interchange_index, env.group_index,
             env.transaction_index, claim.position.ordinal))


def sort_key(digest: Digest) -> tuple[str, int, int, str, int]:
    """(patient, first S-code date, frequency rank, tie-break, input order).

    At equal dates originals come before replacements and voids, S0353 (the onset)
    before S0354, then the claim id: so claims on the same date get the same verdicts
    whichever file or position they arrive in.
    """
    lines = digest[9]
    dates = [ln[2] for ln in lines if ln[2]]
    first = min(dates) if dates else 10**7
    procedure = min((ln[1] for ln in lines if ln[2] == first), default="")
    return (digest[6], first, FREQUENCY_RANK.get(digest[3], 0), f"{procedure}|{digest[1]}",
            digest[0])


def _voids_of_earlier_claims_first(digests: list[Digest]) -> list[Digest]:
    """At equal dates originals come before replacements and voids (their original may
    be in the same batch) -- except a void or replacement of a claim *not* in this batch:
    its original was accepted earlier, so it is applied before new claims of that date
    (a corrected resubmission is judged after the void that makes room for it)."""
    batch_ids = {d[1] for d in digests if d[3] not in ("7", "8")}
    early = [d for d in digests
             if d[3] in ("7", "8") and not ({d[2], d[1]} - {""}) & batch_ids]
    if not early:
        return digests
    rank = {id(d): -1 for d in early}
    return sorted(digests, key=lambda d: (sort_key(d)[1], rank.get(id(d), 0), sort_key(d)))


def _ordinal(day: date | None) -> int:
    return day.toordinal() if day else 0


_ENVELOPES: dict[str, Envelope] = {}


def _restore(digest: Digest) -> tuple[Claim, dict[int, Authorization]]:
    form = digest[4]
    env = _ENVELOPES.get(form)
    if env is None:
        env = _ENVELOPES[form] = Envelope("", "", "", "", "", "", "", "", "", "", form)
    claim = Claim(env, digest[1], frequency=digest[3], REF_F8=digest[2], REF_G1=digest[7])
    claim.subscriber.member_id = digest[5]
    for lx, proc, day, units, g1, ordinal, offset, segment_id in digest[9]:
        where = Position(ordinal, offset, segment_id)
        claim.lines.append(ServiceLine(
            lx, proc, units=Decimal(units), REF_G1=g1,
            service_date=date.fromordinal(day) if day else None,
            position=where, date_position=where,
        ))
    auths = {
        lx: Authorization(order, digest[5], "", date.min, date.max, frozenset(), months, "",
                          "authorized")
        for lx, order, months in digest[10]
    }
    return claim, auths


@dataclass(slots=True)
class Judgement:
    key: int
    findings: list[Finding]
    status: str


class Judge:
    """Applies the timeline rules patient by patient and keeps the history store current."""

    def __init__(self, run: RunContext, history: HistoryStore,
                 content_hashes: dict[str, str] | None = None,
                 issues: dict[str, list[SyntaxIssue]] | None = None) -> None:
        self.run = run
        self.history = history
        self.content_hashes = content_hashes or {}
        # Envelope errors by file: a claim in a rejected transaction set (found at its SE,
        # after the claim was digested) must not enter the timeline either.
        self.issues = issues or {}
        self.selection = run.selection
        self.rules = [r for r in rules_of("timeline") if self.selection.enabled(r.code)]
        self._rescreened = {h for h in self.content_hashes.values() if h}

    def envelope_rejected(self, source: tuple) -> bool:
        return any(issue.rejects(*source[3:6]) for issue in self.issues.get(source[0], ()))

    def judge_patient(self, patient_key: str, digests: Iterable[Digest]) -> Iterator[Judgement]:
        # Services that came from a file of this very run are judged again from scratch,
        # so a re-screened file (same content) gives the same verdicts: idempotent.
        rescreened = self._rescreened
        timeline = Timeline(s for s in self.history.services(patient_key)
                            if s.source.partition(":")[0] not in rescreened)
        for digest in _voids_of_earlier_claims_first(list(digests)):
            yield self._judge(patient_key, digest, timeline)

    def origin(self, source: tuple) -> str:
        """A claim's identity across runs: its file's content hash and its CLM ordinal.

        Re-screening the same file finds its own services by this and does not count
        them against itself; another claim that reuses a CLM01 (patient control
        numbers are often account numbers) is judged like any other claim.
        """
        return f"{self.content_hashes.get(source[0], source[0])}:{source[6]}"

    def _judge(self, patient_key: str, digest: Digest, timeline: Timeline) -> Judgement:
        claim, line_auth = _restore(digest)
        ctx = ClaimContext(self.run, claim, line_auth, timeline)
        findings: list[Finding] = []
        originals = [claim.REF_F8, claim.CLM01]
        source = digest[11]
        origin = self.origin(source)
        refused = digest[8] or self.envelope_rejected(source)
        if claim.frequency == "8":
            if refused:  # a rejected void withdraws nothing
                self._record(patient_key, digest, REJECTED, (), source)
                return Judgement(digest[0], findings, REJECTED)
            removed = timeline.remove_claim(originals)
            findings += self.selection.apply([self._frequency_note(claim, removed, "void")])
            self.history.withdraw(patient_key, originals)
            self._record(patient_key, digest, ACCEPTED, (), source)
            return Judgement(digest[0], findings, ACCEPTED)
        replaced: list[Service] = []
        if claim.frequency == "7":
            replaced = timeline.remove_claim(originals)
            findings += self.selection.apply(
                [self._frequency_note(claim, replaced, "replacement")])
        prior = list(timeline)  # this claim's own earlier services were filtered out
        pending: list[Service] = []
        for line in claim.lines:
            before = len(findings)
            for rule in self.rules:
                findings += self.selection.apply(
                    rule.check(ctx, line, prior + pending))  # type: ignore[misc]
            if any(f.rejects for f in findings[before:]):
                continue
            auth = line_auth.get(line.LX01)
            pending.append(Service(
                line.procedure, claim.line_date(line) or date.min, _units(line.units),
                claim.CLM01, claim.form, auth.order_id if auth else ctx.order_id(line),
                claim.member_id, origin, line.LX01,
            ))
        if refused or any(f.rejects for f in findings):
            timeline.add(replaced)  # a rejected replacement leaves the original standing
            self._record(patient_key, digest, REJECTED, (), source)
            return Judgement(digest[0], findings, REJECTED)
        timeline.add(pending)
        if replaced:
            self.history.withdraw(patient_key, originals)
        self._record(patient_key, digest, ACCEPTED, tuple(pending), source)
        return Judgement(digest[0], findings, ACCEPTED)

    def _frequency_note(self, claim: Claim, removed: list[Service], kind: str) -> Finding:
        ref = claim.REF_F8 or claim.CLM01
        if removed:
            lines = ", ".join(f"{s.procedure} {s.service_date}" for s in removed)
            return sc014.finding(
                f"{kind} of claim {removed[0].claim_id}: its S-code line(s) {lines} no longer "
                "count toward the frequency limits",
                severity=Severity.INFO, segment=claim.position, loop="2300", value=ref, fix="",
            )
        return sc014.finding(
            f"{kind} (CLM05-3 {claim.frequency}) names original {ref!r}, which edi837 has not "
            "accepted in this run or its history; nothing was withdrawn",
            segment=claim.position, loop="2300", value=ref,
        )

    def _record(self, patient_key: str, digest: Digest, status: str,
                services: tuple[Service, ...], source: tuple[str, str, str]) -> None:
        self.history.record(ClaimRecord(
            patient_key, digest[5], digest[1], digest[4], digest[3], status, services,
            source_file=source[0], sender=source[1], isa13=source[2],
            content_hash=self.content_hashes.get(source[0], ""),
        ))


def _units(units: Decimal) -> int:
    return int(units) if units == int(units) and units > 0 else 1
