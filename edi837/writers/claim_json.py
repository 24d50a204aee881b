"""A claim's JSON (schema ``edi837.report/1``), rendered once per claim.

The JSON report is the stable machine interface (the JSON and JSONL reports, the Spark
answer rows). A claim is one dict (``claim_object``) rendered by orjson, which costs a
tenth of ``json.dumps``; a claim whose text is not ASCII (a Latin-1 name) is rendered
by ``json.dumps`` instead, so every report stays 7-bit whatever the output's encoding.
"""

from __future__ import annotations

import json
from decimal import Decimal

import orjson

from edi837.verdicts import Verdict


def claim_object(verdict: Verdict, head: dict[str, object] | None = None) -> dict[str, object]:
    """The claim's JSON object (``head``'s keys first: the JSONL record type)."""
    claim = verdict.claim
    env = claim.envelope
    obj: dict[str, object] = head if head is not None else {}
    obj.update(
        file=env.file,
        claim_id=claim.CLM01,
        trace_id=verdict.trace_id,
        form=claim.form,
        version=env.GS08,
        version_note=env.version_note or None,
        interchange=env.ISA13,
        group=env.GS06,
        transaction=env.ST02,
        segment={"ordinal": claim.position.ordinal, "offset": claim.position.offset},
        frequency=claim.frequency,
        member_id=claim.member_id,
        patient=claim.patient_person.name,
        billing_npi=claim.billing.npi,
        total_charge=f"{claim.total_charge:.2f}",
        status=verdict.status,
        s_code_lines=s_code_lines(verdict, verdict.reimbursement),
        findings=[f.to_json() for f in verdict.findings],
    )
    return obj


def s_code_lines(verdict: Verdict, reimbursement: dict[int, Decimal]) -> list[dict[str, object]]:
    claim = verdict.claim
    return [
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


def dumps(obj: object) -> str:
    """JSON text, 7-bit: orjson, or ``json.dumps`` for the rare non-ASCII object."""
    text = orjson.dumps(obj)
    if text.isascii():
        return text.decode("ascii")
    return json.dumps(obj, separators=(",", ":"))


def claim_json_text(verdict: Verdict, head: dict[str, object] | None = None) -> str:
    """The claim's JSON object as text (schema edi837.report/1)."""
    return dumps(claim_object(verdict, head))


def claim_json(verdict: Verdict) -> dict[str, object]:
    """The claim's JSON object as a dict, as the report writes it (JSON types only)."""
    return claim_object(verdict)
