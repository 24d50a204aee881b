"""Screen a batch of 837 files: the library's main entry point.

Three steps, each streaming:

1. **read**: every file is read claim by claim; the per-claim rules run, and S-code
   claims (and replacements/voids) leave a compact digest in a disk spool;
2. **judge**: patient by patient, in service-date order, the timeline rules run against
   the patient's history, which is updated in the same transaction;
3. **answer**: every file is read again and each claim comes out as a ``Verdict``
   in input order, with its per-claim findings recomputed and its timeline findings
   merged back from the spool (``edi837.judged``). Reading twice costs less than
   holding a batch in memory. ``Screening.answer(writers)`` is that one pass feeding
   every output at once (``edi837.writers.base.Writer``): an input is opened twice per
   run, whatever outputs are asked for.

A file that cannot be read (no ISA, 4010, binary) is reported in ``files`` with its
error and none of its claims enter; every claim of a readable file comes out exactly once.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from edi837.claim.builder import EVERY_CLAIM, S_CODE_CLAIMS, ClaimReader
from edi837.claim.model import Claim
from edi837.errors import X12SyntaxError
from edi837.judge import Digest, Judge, make_digest
from edi837.judged import JudgedFindings
from edi837.policy import Policy
from edi837.rules import rules_of
from edi837.rules.context import ClaimContext, RunContext
from edi837.rules.sc016_duplicate import is_kept
from edi837.rules.structure import (
    envelope_findings,
    root_causes,
    structure_findings,
    tr3_findings,
)
from edi837.runtmp import run_dir
from edi837.safetext import PHI_SEGMENTS, escape, without_values
from edi837.sources import MEMBER_SEP, ZipArchiveInput, source_key, zip_errors, zip_members
from edi837.spool import DigestSpool
from edi837.store import run_in_transaction
from edi837.store.base import HistoryStore
from edi837.verdicts import Finding, Severity, Verdict
from edi837.x12.envelope import EnvelopeTracker
from edi837.x12.syntax_issue import SyntaxIssue, relax
from edi837.x12.tokenizer import ReadNote
from edi837.x12.tr3.issues import to_issues
from edi837.x12.tr3.validator import TR3Validator

if TYPE_CHECKING:
    from edi837.writers.base import Writer
    from edi837.writers.report import Summary
    from edi837.x12.tokenizer import Segment

_KEY_SHIFT = 32  # claim key = file index << 32 | claim index in file
_CLAIM_RULES = rules_of("claim")


@dataclass(slots=True)
class FileResult:
    """What one input file held, and what went wrong reading it."""

    path: str  # as given ("-" for standard input)
    index: int
    local_path: str = ""  # where it is read from (stdin is spooled to a temp file)
    interchanges: int = 0
    transactions: int = 0
    claims: int = 0
    segments: int = 0
    issues: list[SyntaxIssue] = field(default_factory=list)
    notes: list[ReadNote] = field(default_factory=list)
    fatal: X12SyntaxError | None = None
    tracker: EnvelopeTracker | None = None
    content_hash: str = ""  # blake2b of the file's bytes
    tr3: dict[int, list[Finding]] = field(default_factory=dict)  # claim index -> TR3 findings
    line_ending: str = ""  # after each segment terminator: CR LF, LF or nothing

    @property
    def errors(self) -> list[str]:
        out = [str(self.fatal)] if self.fatal else []
        out += [
            _issue_line(self.path, i)
            for i in self.issues
            if i.severity is Severity.REJECT and i.scope != "claim"
        ]
        return out

    @property
    def warnings(self) -> list[str]:
        out = [_issue_line(self.path, i) for i in self.issues if i.severity is Severity.WARNING]
        out += [f"{escape(self.path)}:seg {n.ordinal} @{n.offset}: {n.message}" for n in self.notes]
        return out

    @property
    def readable(self) -> bool:
        return self.fatal is None


def _issue_line(path: str, issue: SyntaxIssue) -> str:
    """``file:seg N (ID) @offset: message``; about a segment that may hold a member's
    data (NM1, N3, N4, DMG, REF) the message keeps no quoted value."""
    message = issue.message
    if issue.position.segment_id in PHI_SEGMENTS:
        message = without_values(message)
    return f"{escape(path)}:{issue.position}: {message}"


def expand_paths(
    paths: Iterable[str | Path] | str | os.PathLike[str],
    duplicates: list[str] | None = None,
    archives: bool = True,
) -> list[str]:
    """Every input the paths stand for: directories and globs expanded (sorted, no
    dotfiles), URLs, ZIP members (see ``edi837.sources``).

    One ``str`` or ``Path`` is one path (not a string of one-letter paths). A file named
    twice (directly, through a folder or a link) is screened once, else its claims would
    be judged against themselves; the repeats are appended to ``duplicates``. A missing
    path is kept: it is reported unreadable with its error. ``archives`` false leaves
    ZIP archives to be found when read (``Screening``: one open less per input).
    """
    from edi837.sources import expand_sources, source_key

    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    out: list[str] = []
    seen: set[str] = set()
    for path in expand_sources(paths, archives):
        key = source_key(path)
        if key in seen:
            if duplicates is not None:
                duplicates.append(path)
            continue
        seen.add(key)
        out.append(path)
    return out


def claim_key(file_index: int, claim_index: int) -> int:
    """A claim's identity within a run: its file's index and its position in the file."""
    return (file_index << _KEY_SHIFT) | claim_index


def file_of(key: int) -> int:
    """The file index a claim key belongs to."""
    return key >> _KEY_SHIFT


def claim_findings(
    run: RunContext, claim: Claim, issues: list[SyntaxIssue], tr3: list[Finding] | None = None
) -> tuple[list[Finding], ClaimContext]:
    """TR3, structural, per-claim S-code and envelope findings for one claim, in that
    order (the order every report lists them in; timeline findings follow). A structural
    problem at a segment the TR3 check already faulted is its consequence, not reported
    again (root cause only)."""
    findings = list(tr3) if tr3 else []
    selection = run.selection
    findings += structure_findings(claim, selection)
    ctx = ClaimContext(run, claim)
    if claim.frequency != "8" and claim.has_s_code:
        for rule in _CLAIM_RULES:
            if selection.enabled(rule.code):
                findings.extend(rule.check(ctx))  # type: ignore[misc]
    if issues:
        findings += envelope_findings(claim, issues)
    if tr3 or claim.problems:
        findings = root_causes(findings, claim)
    return selection.apply(findings), ctx


OnClaim = Callable[[int, Claim, list[Finding]], None]


def read_file(
    result: FileResult,
    run: RunContext,
    progress: Callable[[int], None] | None = None,
    on_claim: OnClaim | None = None,
) -> Iterator[Digest]:
    """Step 1 for one file: a digest per S-code claim (and per replacement or void).

    Fills ``result`` when done. If the file turns out unreadable part-way, ``result.fatal``
    is set and the digests already yielded must be discarded by the caller. With
    ``on_claim``, every claim is built and handed over with its per-claim findings
    (structure and claim rules; envelope and timeline findings come later).
    """
    validator = TR3Validator() if run.tr3 and not run.validate else None
    reader = ClaimReader(
        result.local_path or result.path,
        name=result.path,
        wanted=EVERY_CLAIM if on_claim else S_CODE_CLAIMS,
        validator=validator,
    )
    result.tracker = reader.tracker
    by_claim = validator.by_claim if validator is not None else {}
    n = reported = 0
    try:
        for claim in reader:  # in the lazy pass other claims are None: only counted
            tr3 = by_claim.get(n)
            if tr3 is not None:
                result.tr3[n] = tr3_findings(tr3)
            if claim is not None:
                relevant = claim.has_s_code or claim.frequency in ("7", "8")
                if relevant or on_claim is not None:
                    # Envelope errors are added by the judge and the answer: a set's SE
                    # (and so its errors) comes after its claims.
                    findings, ctx = claim_findings(run, claim, [], result.tr3.get(n))
                    if relevant:
                        reasons = [f"{f.rule}: {f.message}" for f in findings if f.rejects]
                        yield make_digest(
                            claim_key(result.index, n), claim, ctx, bool(reasons), reasons
                        )
                    if on_claim is not None:
                        on_claim(claim_key(result.index, n), claim, findings)
            n += 1
            if progress is not None and not n % 2000:
                progress(reader.bytes_read - reported)
                reported = reader.bytes_read
    except X12SyntaxError as exc:
        result.fatal = exc
    except ZipArchiveInput:
        raise  # not a file but its members: the screening reads those instead
    except (OSError, *zip_errors(), EOFError) as exc:
        result.fatal = X12SyntaxError(f"cannot read: {_reason(exc)}", file=result.path)
    if progress is not None:
        progress(reader.bytes_read - reported)
    if run.envelope == "lenient":
        relax(reader.tracker.issues)  # before the judge and the answer read them
    _summarize(result, reader, n)
    if validator is not None and result.readable and validator.errors:
        found = to_issues(validator.errors, reader.tracker)
        result.issues += found
        reader.tracker.issues += found  # the 999 is written from the tracker
    if run.validate and result.readable:
        from edi837.x12.pyx12_adapter import pyx12_issues  # slow path, imported on demand

        found = pyx12_issues(result.local_path or result.path, reader.tracker)
        result.issues += found
        reader.tracker.issues += found  # the 999 is written from the tracker


def _summarize(result: FileResult, reader: ClaimReader, claims: int) -> None:
    tracker = reader.tracker
    result.interchanges = len(tracker.interchanges)
    result.transactions = len(tracker.transactions)
    result.claims = claims if result.fatal is None else 0
    result.segments = reader.segments
    result.issues = list(tracker.issues)
    result.notes = list(reader.notes)
    result.content_hash = reader.content_hash
    result.line_ending = reader.line_ending


def answer_file(
    result: FileResult,
    run: RunContext,
    judged: Mapping[int, list[Finding]],
    on_segment: Callable[[Segment], None] | None = None,
) -> Iterator[Verdict]:
    """Step 3 for one file: every claim's verdict, in input order.

    The envelope issues are taken from step 1 (a transaction set's SE comes after its
    claims, so this pass must not rely on what it has read so far); the timeline
    findings come from ``judged`` (claim key -> findings, asked in increasing key
    order). ``on_segment`` sees every segment outside the claims, in file order.
    """
    if not result.readable:
        return
    reader = ClaimReader(
        result.local_path or result.path, name=result.path, on_segment=on_segment, checks=False
    )
    policy = run.policy
    base = claim_key(result.index, 0)
    for n, claim in enumerate(reader):
        findings, _ = claim_findings(run, claim, result.issues, result.tr3.get(n))
        timeline = judged.get(base + n)
        if timeline:
            if any(is_kept(f) for f in timeline):  # accepted before: never reversed
                findings = [
                    replace(f, severity=Severity.WARNING) if f.rejects else f for f in findings
                ]
            findings += timeline
        yield make_verdict(claim, findings, policy)


def make_verdict(claim: Claim, findings: list[Finding], policy: Policy) -> Verdict:
    """A claim's answer: accepted S-code lines get the policy's expected payment."""
    verdict = Verdict(claim, findings)
    if claim.frequency != "8" and verdict.accepted:
        verdict.reimbursement = expected_payment(claim, policy)
    env = claim.envelope
    verdict.trace_id = f"{env.ISA13}.{env.GS06}.{env.ST02}.{claim.CLM01}"
    return verdict


def expected_payment(claim: Claim, policy: Policy) -> dict[int, Decimal]:
    return {ln.LX01: policy.reimbursement(ln.charge) for ln in claim.lines if ln.is_s_code}


class Screening:
    """One screening run over a batch of files.

    ``verdicts()`` yields one ``Verdict`` per claim (input order); ``files`` describes
    each input afterwards. The history store is updated in one transaction per run.
    """

    peek_archives = False  # expand ZIP archives before reading (else when read)

    def __init__(
        self,
        paths: Iterable[str | Path] | str | Path,
        run: RunContext,
        history: HistoryStore | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.run = run
        self.progress = progress  # called with bytes read since the last call (step 1)
        self.history = history or HistoryStore()
        self.duplicates: list[str] = []  # paths named more than once, screened once
        # ZIP archives are found when read (one open of each input less), except where
        # the inputs must be known up front (Spark ships them to its tasks).
        self.paths = expand_paths(paths, self.duplicates, archives=self.peek_archives)
        self.files: list[FileResult] = []
        self._judged = JudgedFindings()
        self._tempdir: str | None = None
        self._prepared = False

    # -- step 0: stdin is spooled to a file, because it is read twice ----------
    def _materialize(self, path: str) -> str:
        if path.startswith("-" + MEMBER_SEP) and self._tempdir is not None:
            # A member of a ZIP piped in: shown as "-!member", read from the spooled copy.
            return os.path.join(self._tempdir, "stdin.837") + path[1:]
        if path != "-":
            return path
        if self._tempdir is None:
            self._tempdir = tempfile.mkdtemp(prefix="edi837-stdin-", dir=run_dir())
        target = os.path.join(self._tempdir, "stdin.837")
        with open(target, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        return target

    # -- step 1 ---------------------------------------------------------------
    def _read_all(self, spool: DigestSpool, on_claim: OnClaim | None) -> None:
        queue, self.paths = list(self.paths), []
        seen = {source_key(p) for p in queue if p != "-"}
        while queue:
            given = queue.pop(0)
            index = len(self.files)
            result = FileResult(given, index, local_path=self._materialize(given))
            try:
                for digest in read_file(result, self.run, self.progress, on_claim):
                    spool.add(index, digest)
            except ZipArchiveInput:  # its members are the inputs, in its place
                members = archive_members(result)
                if members is not None:
                    fresh = [m for m in members if source_key(m) not in seen]
                    self.duplicates += [m for m in members if source_key(m) in seen]
                    seen.update(source_key(m) for m in fresh)
                    queue[:0] = fresh
                    continue
            self.paths.append(given)
            self.files.append(result)
            if result.fatal is not None:
                spool.drop_file(index)

    def total_bytes(self) -> int:
        """Size of the inputs on disk (stdin counts as 0), for a progress bar."""
        from edi837.sources import source_size

        return sum(source_size(p) for p in self.paths if p != "-")

    # -- step 2 ---------------------------------------------------------------
    def _judge_all(self, spool: DigestSpool) -> None:
        hashes = {f.path: f.content_hash for f in self.files if f.readable}

        def judge_step() -> None:
            # One store transaction; run again from scratch if the store retries it
            # (a deadlock with another worker, a busy SQLite file).
            self._judged.clear()
            judged = self._judged
            judge = Judge(
                self.run, self.history, hashes, {f.path: f.issues for f in self.files if f.readable}
            )
            for judgement in judge.judge_patients(spool.patients(), spool.by_patient()):
                if judgement.findings:
                    judged.add(judgement.key, judgement.findings)

        run_in_transaction(self.history, judge_step)

    def prepare(self, on_claim: OnClaim | None = None) -> list[FileResult]:
        """Steps 1 and 2 (idempotent): after this, ``files`` is complete.

        ``on_claim(key, claim, findings)`` sees every claim as step 1 builds it (with its
        per-claim findings only: the timeline is judged after the whole batch is read).
        """
        if not self._prepared:
            self._prepared = True
            spool = DigestSpool()
            try:
                self._read_all(spool, on_claim)
                self._judge_all(spool)
            finally:
                spool.close()
        return self.files

    # -- step 3 ---------------------------------------------------------------
    def verdicts(self, file: FileResult | None = None) -> Iterator[Verdict]:
        """Every claim's verdict in input order (of one file, if given): one more read
        of the input per call. Several outputs at once take one pass: ``answer``."""
        self.prepare()
        for result in [file] if file is not None else self.files:
            yield from answer_file(result, self.run, self._judged.for_file(result.index))

    def answer(self, writers: Sequence[Writer]) -> Summary:
        """Step 3 once, feeding every writer (report, acknowledgments, splits, annotated
        copy, Parquet; see ``edi837.writers.base``); returns the run's counts.

        If a writer or the input fails part-way, every writer is aborted (nothing
        half-written is left in place) and the error propagates.
        """
        from edi837.writers.report import Summary

        files = self.prepare()
        summary = Summary(files=len(files), unreadable_files=sum(not f.readable for f in files))
        taps = [w.segment for w in writers if w.segments]
        on_segment = _fan_out(taps) if taps else None
        on_claim = [w.claim for w in writers]
        try:
            for w in writers:
                w.start(files)
            for result in files:
                for w in writers:
                    w.begin_file(result)
                judged = self._judged.for_file(result.index)
                for verdict in answer_file(result, self.run, judged, on_segment):
                    summary.add(verdict)
                    for handle in on_claim:
                        handle(verdict)
                for w in writers:
                    w.end_file(result)
            for w in writers:
                w.finish(summary)
        except BaseException as exc:
            for w in writers:
                w.abort(exc)
            raise
        return summary

    def close(self) -> None:
        """Remove the spooled standard input and findings, if any."""
        self._judged.close()
        if self._tempdir:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> Screening:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def judged(self) -> JudgedFindings:
        """Timeline findings by claim key (after ``prepare``)."""
        return self._judged

    @property
    def has_errors(self) -> bool:
        """An input could not be read, or had envelope errors (exit code 2)."""
        return any(f.errors for f in self.files)


def archive_members(result: FileResult) -> list[str] | None:
    """The inputs a ZIP archive holds (a piped one's named ``-!member``, not after
    the spooled copy); None, with ``result.fatal`` set, when it only looked like one."""
    try:
        members = zip_members(result.local_path or result.path)
    except (OSError, EOFError, *zip_errors()) as exc:  # a ZIP only by its magic
        result.fatal = X12SyntaxError(
            f"cannot read ZIP archive: {_reason(exc)}", file=result.path, byte_offset=0
        )
        return None
    if result.path == "-":
        return ["-" + m[len(result.local_path) :] for m in members]
    return members


def _reason(exc: BaseException) -> str:
    """Why an input could not be read, in a few words (an OSError's own text)."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _fan_out(handlers: list[Callable[[Segment], None]]) -> Callable[[Segment], None]:
    """One segment callback calling every writer that copies the input."""
    if len(handlers) == 1:
        return handlers[0]

    def every(seg: Segment) -> None:
        for handle in handlers:
            handle(seg)

    return every
