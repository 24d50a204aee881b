"""A claim's JSON (schema ``edi837.report/1``), rendered in pieces.

The JSON report is the stable machine interface (the JSON and JSONL reports, the Spark
answer rows). Its pieces (everything before ``status``, the S-code lines, the findings)
are rendered with ``json.dumps`` and joined as text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal

from edi837.verdicts import Finding, Verdict


def claim_head(verdict: Verdict) -> str:
    """The claim's JSON object up to (not including) ``status``, without its closing brace."""
    claim = verdict.claim
    env = claim.envelope
    return json.dumps(
        {
            "file": env.file,
            "claim_id": claim.CLM01,
            "trace_id": verdict.trace_id,
            "form": claim.form,
            "version": env.GS08,
            "version_note": env.version_note or None,
            "interchange": env.ISA13,
            "group": env.GS06,
            "transaction": env.ST02,
            "segment": {"ordinal": claim.position.ordinal, "offset": claim.position.offset},
            "frequency": claim.frequency,
            "member_id": claim.member_id,
            "patient": claim.patient_person.name,
            "billing_npi": claim.billing.npi,
            "total_charge": f"{claim.total_charge:.2f}",
        }
    )[:-1]


def s_code_lines_json(verdict: Verdict, reimbursement: dict[int, Decimal]) -> str:
    claim = verdict.claim
    return json.dumps(
        [
            {
                "line": ln.LX01,
                "procedure": ln.procedure,
                "revenue_code": ln.revenue_code or None,
                "service_date": d.isoformat() if (d := claim.line_date(ln)) else None,
                "units": f"{ln.units.normalize():f}",
                "charge": f"{ln.charge:.2f}",
                "order_id": ln.REF_G1 or claim.REF_G1 or None,
                "expected_reimbursement": (
                    f"{reimbursement[ln.LX01]:.2f}" if ln.LX01 in reimbursement else None
                ),
            }
            for ln in claim.lines
            if ln.is_s_code
        ]
    )


def findings_json(findings: Iterable[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings])


def join_json_lists(first: str, second: str) -> str:
    """Concatenate two JSON array texts."""
    if first == "[]":
        return second
    if second == "[]":
        return first
    return f"{first[:-1]}, {second[1:]}"


def render_claim(head: str, status: str, s_lines: str, findings: str) -> str:
    return f'{head}, "status": "{status}", "s_code_lines": {s_lines}, "findings": {findings}}}'


def claim_json_text(verdict: Verdict) -> str:
    """The claim's JSON object as text (schema edi837.report/1)."""
    return render_claim(
        claim_head(verdict),
        verdict.status,
        s_code_lines_json(verdict, verdict.reimbursement),
        findings_json(verdict.findings),
    )


def claim_json(verdict: Verdict) -> dict[str, object]:
    """The claim's JSON object as a dict (one source of truth: the text form)."""
    return json.loads(claim_json_text(verdict))
