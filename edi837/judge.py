"""Judge each patient's S-code claims in service-date order against their timeline.

Why a separate step: the frequency rules (S0353 once, S0354 every 30 days, months per
order, one form) depend on *other* claims. Judging per patient in (service date, original
before replacement before void, input order) makes verdicts independent of the order
of claims and files in the batch. Claims arrive here as compact digests (named tuples,
cheap to spool to disk), so memory does not grow with the batch.

Verdict stability: a claim whose origin (file content hash and CLM ordinal) the store
already holds as accepted was forwarded to the payer; re-screening answers it accepted
again, whatever else the batch holds, and changes nothing in the store. Every new claim
is judged against every accepted service of the patient, earlier or later in date, so
the store never holds accepted services that break a frequency rule together. Only a
void or replacement (or the ``history`` commands) changes an accepted claim.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import NamedTuple

from edi837.claim.model import Claim, Envelope, Position, ServiceLine
from edi837.feeds import Authorization
from edi837.rules import rules_of
from edi837.rules.context import ClaimContext, RunContext, ordering_candidates
from edi837.rules.sc014_frequency import frequency as sc014
from edi837.rules.sc016_duplicate import duplicate as sc016
from edi837.rules.sc016_duplicate import money
from edi837.store.base import LOCK_CHUNK, ClaimRecord, HistoryStore
from edi837.timeline import Service, Timeline
from edi837.verdicts import ACCEPTED, REJECTED, Finding, Severity
from edi837.x12.envelope import SyntaxIssue

FREQUENCY_RANK = {"7": 1, "8": 2}  # originals (1) first at equal dates


class LineDigest(NamedTuple):
    """One S-code line of a digest."""

    LX01: int
    procedure: str
    day: int  # date ordinal, 0 when the line has no date
    units: str
    REF_G1: str
    charge: str  # SV102 / SV203, two decimals
    ordering_npi: str
    where: Position  # the service date (DTP*472), else the line


class Source(NamedTuple):
    """Where a claim came from: file, ISA06, ISA13, envelope indexes, CLM ordinal."""

    file: str
    sender: str
    ISA13: str
    interchange: int
    group: int
    transaction: int
    ordinal: int


class AuthDigest(NamedTuple):
    LX01: int
    order_id: str
    s0354_max_months: int | None
    regimen: str


class Digest(NamedTuple):
    """Everything the timeline rules need of a claim."""

    key: int
    CLM01: str
    REF_F8: str
    frequency: str
    form: str
    member_id: str
    patient_key: str
    REF_G1: str
    rejected: bool  # by a per-claim rule
    lines: tuple[LineDigest, ...]
    auths: tuple[AuthDigest, ...]
    source: Source
    billing_npi: str = ""
    reasons: tuple[str, ...] = ()  # the per-claim rejections, "SC008: ..."
    position: Position | None = None  # the CLM segment


def make_digest(
    key: int, claim: Claim, ctx: ClaimContext, rejected: bool, reasons: Iterable[str] = ()
) -> Digest:
    lines = tuple(
        LineDigest(
            ln.LX01,
            ln.procedure,
            _ordinal(claim.line_date(ln)),
            str(ln.units),
            ln.REF_G1,
            money(ln.charge),
            ordering_candidates(claim, ln)[0][1].npi,
            ln.date_at,
        )
        for ln in claim.lines
        if ln.is_s_code
    )
    auths = tuple(
        AuthDigest(lx, a.order_id, a.s0354_max_months, a.regimen) for lx, a in ctx.line_auth.items()
    )
    env = claim.envelope
    return Digest(
        key,
        claim.CLM01,
        claim.REF_F8,
        claim.frequency,
        claim.form,
        claim.member_id,
        claim.patient_key,
        claim.REF_G1,
        rejected,
        lines,
        auths,
        Source(
            env.file,
            env.ISA06,
            env.ISA13,
            env.interchange_index,
            env.group_index,
            env.transaction_index,
            claim.position.ordinal,
        ),
        claim.billing.npi,
        tuple(reasons),
        claim.position,
    )


def sort_key(digest: Digest) -> tuple[str, int, int, str, int]:
    """(patient, first S-code date, frequency rank, tie-break, input order).

    At equal dates originals come before replacements and voids, S0353 (the onset)
    before S0354, then the claim id: so claims on the same date get the same verdicts
    whichever file or position they arrive in.
    """
    dates = [ln.day for ln in digest.lines if ln.day]
    first = min(dates) if dates else 10**7
    procedure = min((ln.procedure for ln in digest.lines if ln.day == first), default="")
    return (
        digest.patient_key,
        first,
        FREQUENCY_RANK.get(digest.frequency, 0),
        f"{procedure}|{digest.CLM01}",
        digest.key,
    )


def _voids_of_earlier_claims_first(digests: list[Digest], standing: set[str]) -> list[Digest]:
    """At equal dates originals come before replacements and voids (their original may
    be in the same batch) -- except a void or replacement whose original the store
    really holds accepted (``standing``: claim ids and chains of the patient's accepted
    services) and that is not in this batch: it is applied before new claims of that
    date (a corrected resubmission is judged after the void that makes room for it)."""
    batch_ids = {d.CLM01 for d in digests if d.frequency not in ("7", "8")}
    early = [
        d
        for d in digests
        if d.frequency in ("7", "8")
        and not ({d.REF_F8, d.CLM01} - {""}) & batch_ids
        and ({d.REF_F8, d.CLM01} - {""}) & standing
    ]
    if not early:
        return digests
    rank = {id(d): -1 for d in early}
    return sorted(digests, key=lambda d: (sort_key(d)[1], rank.get(id(d), 0), sort_key(d)))


def _ordinal(day: date | None) -> int:
    return day.toordinal() if day else 0


_ENVELOPES: dict[str, Envelope] = {}


def _restore(digest: Digest) -> tuple[Claim, dict[int, Authorization]]:
    """The claim and authorizations as far as the timeline rules read them."""
    env = _ENVELOPES.get(digest.form)
    if env is None:
        env = _ENVELOPES[digest.form] = Envelope(
            "", "", "", "", "", "", "", "", "", "", digest.form
        )
    claim = Claim(
        env, digest.CLM01, frequency=digest.frequency, REF_F8=digest.REF_F8, REF_G1=digest.REF_G1
    )
    claim.subscriber.member_id = digest.member_id
    if digest.position is not None:
        claim.position = digest.position
    for ln in digest.lines:
        claim.lines.append(
            ServiceLine(
                ln.LX01,
                ln.procedure,
                units=Decimal(ln.units),
                REF_G1=ln.REF_G1,
                charge=Decimal(ln.charge),
                service_date=date.fromordinal(ln.day) if ln.day else None,
                position=ln.where,
                date_position=ln.where,
            )
        )
    auths = {
        a.LX01: Authorization(
            a.order_id,
            digest.member_id,
            "",
            date.min,
            date.max,
            frozenset(),
            a.s0354_max_months,
            "",
            "authorized",
            regimen=a.regimen,
        )
        for a in digest.auths
    }
    return claim, auths


@dataclass(slots=True)
class Judgement:
    key: int
    findings: list[Finding]
    status: str


class Judge:
    """Applies the timeline rules patient by patient and keeps the history store current."""

    def __init__(
        self,
        run: RunContext,
        history: HistoryStore,
        content_hashes: dict[str, str] | None = None,
        issues: dict[str, list[SyntaxIssue]] | None = None,
    ) -> None:
        self.run = run
        self.history = history
        self.content_hashes = content_hashes or {}
        # Envelope errors by file: a claim in a rejected transaction set (found at its SE,
        # after the claim was digested) must not enter the timeline either.
        self.issues = issues or {}
        self.selection = run.selection
        self.rules = [r for r in rules_of("timeline") if self.selection.enabled(r.code)]

    def envelope_rejected(self, source: Source) -> bool:
        return any(
            issue.rejects(source.interchange, source.group, source.transaction)
            for issue in self.issues.get(source.file, ())
        )

    def judge_patients(
        self,
        patients: Iterable[str],
        groups: Iterable[tuple[str, Iterable[Digest]]],
        chunk: int | None = None,
    ) -> Iterator[Judgement]:
        """Judge a run's patients: ``groups`` yields (patient, digests) one patient at a
        time, and ``patients`` the same keys in the same (ascending code-point) order,
        read ahead ``chunk`` at a time to lock (``lock_patients``) and read
        (``prefetch``) each chunk before its first patient is judged. Neither the locks'
        statements nor what is read ahead grows with the batch, and every worker takes
        its locks in the same order. ``chunk`` defaults to ``LOCK_CHUNK``."""
        chunk = chunk or LOCK_CHUNK
        keys = iter(patients)
        ahead: deque[str] = deque()
        for patient, digests in groups:
            if not ahead:
                batch = list(islice(keys, chunk))
                self.history.lock_patients(batch)
                self.history.prefetch(batch)
                ahead.extend(batch)
            expected = ahead.popleft() if ahead else None
            if patient != expected:
                raise RuntimeError(
                    f"judge: patient {patient!r} out of order (expected {expected!r})"
                )
            yield from self.judge_patient(patient, digests)

    def judge_patient(self, patient_key: str, digests: Iterable[Digest]) -> Iterator[Judgement]:
        """Judge one patient's claims. Call it after ``lock_patients``: what the store
        holds is read here, under the lock, so concurrent workers see each other's
        committed verdicts."""
        claims = self.history.claims(patient_key)
        timeline = Timeline(self.history.services(patient_key))
        standing = {s.claim_id for s in timeline} | {s.stands_for for s in timeline}
        for digest in _voids_of_earlier_claims_first(list(digests), standing):
            yield self._judge(patient_key, digest, timeline, claims)

    def origin(self, source: Source) -> str:
        """A claim's identity across runs: its file's content hash and its CLM ordinal.

        Re-screening the same file finds its own claims by this and answers them as
        before; another claim that reuses a CLM01 (patient control numbers are often
        account numbers) is judged like any other claim.
        """
        return f"{self.content_hashes.get(source.file, source.file)}:{source.ordinal}"

    def _judge(
        self, patient_key: str, digest: Digest, timeline: Timeline, claims: dict[str, ClaimRecord]
    ) -> Judgement:
        origin = self.origin(digest.source)
        earlier = claims.get(origin)
        claim, line_auth = _restore(digest)
        ctx = ClaimContext(self.run, claim, line_auth, timeline)
        if earlier is not None and earlier.status == ACCEPTED:
            return self._again(patient_key, digest, ctx, origin, timeline)
        findings: list[Finding] = []
        originals = [claim.REF_F8, claim.CLM01]
        refused = digest.rejected or self.envelope_rejected(digest.source)
        if claim.frequency == "8":
            if refused:  # a rejected void withdraws nothing
                self._record(patient_key, digest, REJECTED, (), origin, claims, findings)
                return Judgement(digest.key, findings, REJECTED)
            removed = timeline.remove_claim(originals)
            findings += self.selection.apply([self._frequency_note(claim, removed, "void")])
            self.history.withdraw(patient_key, {s.source for s in removed}, by=origin)
            self._record(
                patient_key,
                digest,
                ACCEPTED,
                (),
                origin,
                claims,
                findings,
                chain=removed[0].stands_for if removed else claim.REF_F8,
            )
            return Judgement(digest.key, findings, ACCEPTED)
        replaced: list[Service] = []
        chain = claim.CLM01
        if claim.frequency == "7":
            replaced = timeline.remove_claim(originals)
            findings += self.selection.apply([self._frequency_note(claim, replaced, "replacement")])
            chain = replaced[0].stands_for if replaced else (claim.REF_F8 or claim.CLM01)
        prior = list(timeline)
        mine = [
            self._service(claim, digest, ln, line_auth, ctx, origin, chain) for ln in claim.lines
        ]
        duplicate = self.selection.apply(
            sc016.check(  # type: ignore[misc]
                mine,
                prior,
                claims,
                self.content_hashes.get(digest.source.file, ""),
                digest.source.ISA13,
                claim.position,
            )
        )
        findings += duplicate
        pending: list[Service] = []
        for line, service in zip(claim.lines, mine, strict=True):
            if any(f.rejects for f in duplicate):
                break  # named as the duplicate it is, not as a frequency violation
            before = len(findings)
            for rule in self.rules:
                findings += self.selection.apply(rule.check(ctx, line, prior + pending))  # type: ignore[misc]
            if not any(f.rejects for f in findings[before:]):
                pending.append(service)
        if refused or any(f.rejects for f in findings):
            timeline.add(replaced)  # a rejected replacement leaves the original standing
            self._record(patient_key, digest, REJECTED, (), origin, claims, findings)
            return Judgement(digest.key, findings, REJECTED)
        timeline.add(pending)
        if replaced:
            self.history.withdraw(patient_key, {s.source for s in replaced}, by=origin)
        self._record(
            patient_key, digest, ACCEPTED, tuple(pending), origin, claims, findings, chain=chain
        )
        return Judgement(digest.key, findings, ACCEPTED)

    def _again(
        self, patient_key: str, digest: Digest, ctx: ClaimContext, origin: str, timeline: Timeline
    ) -> Judgement:
        """A claim the store already holds accepted (same origin): accepted again, with
        the notes it had (what it withdrew; warnings), never a rejection."""
        claim = ctx.claim
        findings: list[Finding] = []
        if claim.frequency in ("7", "8"):
            kind = "void" if claim.frequency == "8" else "replacement"
            withdrawn = self.history.withdrawn_services(patient_key, origin)
            findings += self.selection.apply([self._frequency_note(claim, withdrawn, kind)])
        if claim.frequency != "8":
            prior = [s for s in timeline if s.source != origin]
            for line in claim.lines:
                for rule in self.rules:
                    findings.extend(
                        f
                        for f in self.selection.apply(rule.check(ctx, line, prior))  # type: ignore[misc]
                        if not f.rejects
                    )
        return Judgement(digest.key, findings, ACCEPTED)

    def _service(
        self,
        claim: Claim,
        digest: Digest,
        line: ServiceLine,
        line_auth: dict[int, Authorization],
        ctx: ClaimContext,
        origin: str,
        chain: str,
    ) -> Service:
        auth = line_auth.get(line.LX01)
        ln = next(d for d in digest.lines if d.LX01 == line.LX01)
        return Service(
            line.procedure,
            claim.line_date(line) or date.min,
            _units(line.units),
            claim.CLM01,
            claim.form,
            auth.order_id if auth else ctx.order_id(line),
            claim.member_id,
            origin,
            line.LX01,
            chain,
            ln.charge,
            ln.ordering_npi,
            digest.billing_npi,
        )

    def _frequency_note(self, claim: Claim, removed: list[Service], kind: str) -> Finding:
        ref = claim.REF_F8 or claim.CLM01
        if removed:
            lines = ", ".join(f"{s.procedure} {s.service_date}" for s in removed)
            return sc014.finding(
                f"{kind} of claim {removed[0].claim_id}: its S-code line(s) {lines} no longer "
                "count toward the frequency limits",
                severity=Severity.INFO,
                segment=claim.position,
                loop="2300",
                value=ref,
                fix="",
            )
        return sc014.finding(
            f"{kind} (CLM05-3 {claim.frequency}) names original {ref!r}, which edi837 has not "
            "accepted in this run or its history; nothing was withdrawn",
            segment=claim.position,
            loop="2300",
            value=ref,
        )

    def _record(
        self,
        patient_key: str,
        digest: Digest,
        status: str,
        services: tuple[Service, ...],
        origin: str,
        claims: dict[str, ClaimRecord],
        findings: list[Finding],
        *,
        chain: str = "",
    ) -> None:
        reasons = ""
        if status == REJECTED:
            why = [*digest.reasons, *(f"{f.rule}: {f.message}" for f in findings if f.rejects)]
            if not why and self.envelope_rejected(digest.source):
                why = ["its transaction set was rejected (see the 999)"]
            reasons = "; ".join(why)
        source = digest.source
        record = ClaimRecord(
            patient_key,
            digest.member_id,
            digest.CLM01,
            digest.form,
            digest.frequency,
            status,
            services,
            source_file=source.file,
            sender=source.sender,
            isa13=source.ISA13,
            content_hash=self.content_hashes.get(source.file, ""),
            origin=origin,
            chain=chain,
            reasons=reasons,
        )
        self.history.record(record)
        claims[origin] = record


def _units(units: Decimal) -> int:
    return int(units) if units == int(units) and units > 0 else 1
