"""Judge each patient's S-code claims in service-date order against their timeline.

Why a separate step: the frequency rules (S0353 once, S0354 every 30 days, months per
order, one form) depend on *other* claims. Judging per patient in (service date, original
before replacement before void, input order) makes verdicts independent of the order
of claims and files in the batch; a replacement or void dated before its original in
the same batch is judged right after that original (it has to find it to replace it).
Claims arrive here as compact digests (``edi837.digest``: named tuples the rules read as
they are, cheap to spool to disk), so memory does not grow with the batch.

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

from edi837.claim.model import Claim
from edi837.digest import Digest, LineDigest, Source
from edi837.rules import rules_of
from edi837.rules import sc014_frequency as sc014
from edi837.rules.context import ClaimContext, RunContext, TimelineContext, ordering_candidates
from edi837.rules.sc016_duplicate import duplicate as sc016
from edi837.rules.sc016_duplicate import kept as sc016_kept
from edi837.rules.sc016_duplicate import money
from edi837.store.base import LOCK_CHUNK, ClaimRecord, HistoryStore
from edi837.timeline import Service, Timeline
from edi837.verdicts import ACCEPTED, REJECTED, Finding
from edi837.x12.syntax_issue import SyntaxIssue

FREQUENCY_RANK = {"7": 1, "8": 2}  # originals (1) first at equal dates


def make_digest(
    key: int, claim: Claim, ctx: ClaimContext, rejected: bool, reasons: Iterable[str] = ()
) -> Digest:
    """A screened claim's digest: its S-code lines with the order each is billed under
    (the covering authorization's, else REF*G1), whatever rules ran."""
    covering = ctx.line_auth
    lines = []
    for ln in claim.lines:
        if not ln.is_s_code:
            continue
        auth = covering.get(ln.LX01)
        lines.append(
            LineDigest(
                ln.LX01,
                ln.procedure,
                _ordinal(claim.line_date(ln)),
                str(ln.units),
                auth.order_id if auth else ctx.order_id(ln),
                money(ln.charge),
                ordering_candidates(claim, ln)[0][1].npi,
                ln.date_at,
                auth.s0354_max_months if auth else None,
                auth.regimen if auth else "",
            )
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
        rejected,
        tuple(lines),
        Source(
            env.file,
            env.ISA06,
            env.ISA13,
            env.interchange_index,
            env.group_index,
            env.transaction_index,
            claim.position.ordinal,
        ),
        claim.position,
        claim.billing.npi,
        tuple(reasons),
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


def _after_their_originals(digests: list[Digest]) -> dict[int, int]:
    """The judging date of each replacement or void dated before its original in the
    same batch (a replacement that corrects the service date to an earlier one): the
    original's date, so the original is judged first and then replaced. Judged at its
    own, earlier date it would find nothing to replace and the original would then be
    measured against its own replacement (DOMAIN.md section 4: a replacement replaces
    the original). By ``id(digest)``; a digest not in it keeps its own date."""
    if not any(d.frequency in ("7", "8") for d in digests):
        return {}
    first: dict[str, int] = {}
    for d in digests:
        if d.frequency not in ("7", "8"):
            first[d.CLM01] = max(first.get(d.CLM01, 0), sort_key(d)[1])
    moved: dict[int, int] = {}
    for d in digests:
        if d.frequency in ("7", "8"):
            named = [first[n] for n in {d.REF_F8, d.CLM01} - {""} if n in first]
            if named and max(named) > sort_key(d)[1]:
                moved[id(d)] = max(named)
    return moved


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
    moved = _after_their_originals(digests)
    if not early and not moved:
        return digests
    rank = {id(d): -1 for d in early}

    def order(d: Digest) -> tuple[object, ...]:
        key = sort_key(d)
        return (moved.get(id(d), key[1]), rank.get(id(d), 0), key[2:])

    return sorted(digests, key=order)


def _ordinal(day: date | None) -> int:
    return day.toordinal() if day else 0


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
        ctx = TimelineContext(self.run, digest)
        if earlier is not None and earlier.status == ACCEPTED:
            return self._again(patient_key, digest, ctx, origin, timeline)
        findings: list[Finding] = []
        originals = [digest.REF_F8, digest.CLM01]
        refused = digest.rejected or self.envelope_rejected(digest.source)
        if digest.frequency == "8":
            if refused:  # a rejected void withdraws nothing
                self._record(patient_key, digest, REJECTED, (), origin, claims, findings)
                return Judgement(digest.key, findings, REJECTED)
            removed = timeline.remove_claim(originals)
            findings += self.selection.apply([sc014.withdrawal(digest, removed)])
            self.history.withdraw(patient_key, {s.source for s in removed}, by=origin)
            self._record(
                patient_key,
                digest,
                ACCEPTED,
                (),
                origin,
                claims,
                findings,
                chain=removed[0].stands_for if removed else digest.REF_F8,
            )
            return Judgement(digest.key, findings, ACCEPTED)
        replaced: list[Service] = []
        chain = digest.CLM01
        if digest.frequency == "7":
            replaced = timeline.remove_claim(originals)
            findings += self.selection.apply([sc014.withdrawal(digest, replaced)])
            chain = replaced[0].stands_for if replaced else (digest.REF_F8 or digest.CLM01)
        prior = list(timeline)
        mine = [self._service(digest, ln, origin, chain) for ln in digest.lines]
        duplicate = self.selection.apply(
            sc016.check(  # type: ignore[misc]
                mine,
                prior,
                claims,
                self.content_hashes.get(digest.source.file, ""),
                digest.source.ISA13,
                digest.position,
            )
        )
        findings += duplicate
        pending: list[Service] = []
        for line, service in zip(digest.lines, mine, strict=True):
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
        self,
        patient_key: str,
        digest: Digest,
        ctx: TimelineContext,
        origin: str,
        timeline: Timeline,
    ) -> Judgement:
        """A claim the store already holds accepted (same origin): accepted again, with
        the notes it had (what it withdrew; warnings), never a rejection -- also when
        the per-claim rules now reject it (``sc016.kept`` says so, and the answer step
        reports those rejections as warnings)."""
        findings: list[Finding] = []
        if digest.rejected:  # the per-claim rules now say otherwise: the answer keeps it
            findings.append(sc016_kept(digest.position, digest.reasons))
        if digest.frequency in ("7", "8"):
            withdrawn = self.history.withdrawn_services(patient_key, origin)
            findings += self.selection.apply([sc014.withdrawal(digest, withdrawn)])
        if digest.frequency != "8":
            prior = [s for s in timeline if s.source != origin]
            for line in digest.lines:
                for rule in self.rules:
                    findings.extend(
                        f
                        for f in self.selection.apply(rule.check(ctx, line, prior))  # type: ignore[misc]
                        if not f.rejects
                    )
        return Judgement(digest.key, findings, ACCEPTED)

    def _service(self, claim: Digest, line: LineDigest, origin: str, chain: str) -> Service:
        return Service(
            line.procedure,
            line.service_date or date.min,
            _units(line.unit_count),
            claim.CLM01,
            claim.form,
            line.order_id,
            claim.member_id,
            origin,
            line.LX01,
            chain,
            line.charge,
            line.ordering_npi,
            claim.billing_npi,
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
