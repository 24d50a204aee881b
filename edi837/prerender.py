"""The JSON report without reading the input twice.

A screening run normally reads each file twice: once to judge the S-code claims (whose
verdicts depend on each other), once to answer every claim. The JSON and JSONL reports
need no second pass: while step 1 reads a claim, everything about it but the verdict is
rendered to JSON text and spooled to a temporary file (one line per claim, so memory
stays flat); after judging, each line gets its envelope and timeline findings and its
status with string joins. The result is byte-identical to rendering each ``Verdict``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from decimal import Decimal

from edi837.claim.model import Claim
from edi837.rules.structure import envelope_findings_at
from edi837.runtmp import run_dir
from edi837.screening import Screening, expected_payment, file_of, make_verdict
from edi837.verdicts import ACCEPTED, REJECTED, Finding
from edi837.writers.claim_json import (
    PrerenderedClaim,
    claim_head,
    findings_json,
    join_json_lists,
    render_claim,
    s_code_lines_json,
)


class Prerenderer:
    """Spools claims as step 1 reads them; ``claims()`` finishes them after judging."""

    def __init__(self, screening: Screening) -> None:
        self.screening = screening
        fd, self.path = tempfile.mkstemp(prefix="edi837-claims-", suffix=".tsv", dir=run_dir())
        self.spool = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def record(self, key: int, claim: Claim, findings: list[Finding]) -> None:
        """``Screening.prepare(on_claim=...)``: render all but the verdict."""
        policy = self.screening.run.policy
        verdict = make_verdict(claim, findings, policy)
        s_count = sum(1 for ln in claim.lines if ln.is_s_code)
        payment = expected_payment(claim, policy) if claim.frequency != "8" else {}
        env = claim.envelope
        fields = (
            str(key),
            str(env.interchange_index),
            str(env.group_index),
            str(env.transaction_index),
            "0" if verdict.accepted else "1",
            claim_head(verdict),
            s_code_lines_json(verdict, payment) if s_count else "[]",
            s_code_lines_json(verdict, {}) if s_count else "[]",
            findings_json(findings) if findings else "[]",
            str(s_count),
            str(sum(payment.values(), Decimal(0))),
            ",".join(f.rule for f in findings),
        )
        self.spool.write("\t".join(fields) + "\n")  # JSON text never holds a raw tab

    def claims(self) -> Iterator[PrerenderedClaim]:
        """Every claim of the readable files, in input order, with its verdict."""
        self.spool.close()
        issues = {f.index: f.issues for f in self.screening.files}
        readable = {f.index for f in self.screening.files if f.readable}
        judged = self.screening.judged
        with open(self.path, encoding="utf-8", newline="\n") as lines:
            for line in lines:
                (
                    key,
                    i,
                    g,
                    t,
                    rejected,
                    head,
                    s_accepted,
                    s_rejected,
                    found,
                    s_count,
                    payment,
                    rules,
                ) = line.rstrip("\n").split("\t")
                key_n = int(key)
                file_index = file_of(key_n)
                if file_index not in readable:
                    continue  # a file refused part-way: none of its claims entered
                extra = list(
                    envelope_findings_at(int(i), int(g), int(t), issues.get(file_index, []))
                )
                extra += judged.get(key_n, [])
                status = REJECTED if rejected == "1" or any(f.rejects for f in extra) else ACCEPTED
                accepted = status == ACCEPTED
                text = render_claim(
                    head,
                    status,
                    s_accepted if accepted else s_rejected,
                    join_json_lists(found, findings_json(extra)) if extra else found,
                )
                yield PrerenderedClaim(
                    text,
                    status,
                    int(s_count),
                    Decimal(payment) if accepted else Decimal(0),
                    (rules.split(",") if rules else []) + [f.rule for f in extra],
                )

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.spool.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
