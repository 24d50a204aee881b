"""Explain a rule (``edi837 rules CODE``, like ``ruff rule``): what it checks, why (its
docstring), the profile parameter it reads with that profile's value and seed quote,
the fix, the 277CA code(s) it answers with and their official meaning, and an example.

Why here and not in the CLI: the explanation is data a pipeline may want too
(``--format json``); the command only prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edi837.policy import Policy
from edi837.rules.registry import RULES, Rule, Stc
from edi837.rules.selection import RuleSelection, RuleSelectionError, nearest_code
from edi837.stc_codes import meaning
from edi837.verdicts import Finding

# One representative finding message per rule, with invented values (the real message
# carries the claim's own dates, ids and numbers).
EXAMPLES: dict[str, str] = {
    "SC001": "line 2 bills 96413 on the same claim as S0353",
    "SC002": "S0354 on line 1 has revenue code 0335, expected 0960",
    "SC003": "S0354 on 2026-03-02 was already accepted on an 837P (claim PCN1001); this "
    "837I bills it again",
    "SC004": "S0353 on 2026-04-01: S0353 was already accepted for this patient on "
    "2026-01-05 (claim PCN1001)",
    "SC005": "S0354 on 2026-01-20 is 15 days after S0353 on 2026-01-05 (claim PCN1001); "
    "S0354 needs at least 30 days after S0353",
    "SC006": "S0354 on 2026-03-01 is 29 days after S0354 on 2026-01-31 (claim PCN1002); "
    "S0354 is payable once per 30 days",
    "SC007": "S0354 on 2026-12-01 would be month 12 under order ORD12345; the limit is 11",
    "SC008": "order id ORD99999 (REF*G1) is not in the authorization feed",
    "SC009": "S0354 line 1: ordering provider 2420E NPI 1234567893 is not the ordering "
    "provider 1245319599 of order ORD12345",
    "SC010": "billing provider 1234567893 is in TX, not one of the program's states (AL, AR, CA)",
    "SC011": "S0354 line 1 bills 2 units, expected 1",
    "SC012": "S0354 on 2025-01-06 was received 2026-03-01, 419 days later; the limit is 365 days",
    "SC013": "S0353 on 2012-03-15 predates the code's effective date 2012-04-01",
    "SC014": "replacement (CLM05-3 7) names original 'PCN1001', which edi837 has not "
    "accepted in this run or its history; nothing was withdrawn",
    "SC015": "S-codes billed on an 837I; this program accepts 837P",
    "SC016": "duplicate of claim PCN1001 accepted from practice-20261102.837 (ISA13 "
    "000000101): same patient, S0354 on 2026-11-02, 1 unit, 300.00, same NPIs",
    "SC017": "S0354 on 2026-12-05 is dated after the receipt date 2026-12-01",
    "SC018": "SBR09 MB (Medicare Part B): S-codes carry HCPCS coverage code I, not payable "
    "by Medicare",
    "STR001": "claim has no service lines",
    "STR002": "NM1*82 NPI 1234567890 fails the check digit",
    "STR003": "DTP*472 date 20260231 is not a calendar date",
    "STR004": "CLM02 500.00 does not equal the sum of the line charges 300.00",
    "STR005": "CLM01 is empty",
    "STR006": "line 1 has no DTP*472 service date",
    "STR007": "line 1 has no SV1/SV2 segment",
    "TR3001": "TR3: segment NM1 is required in loop 2010BB but missing (999 IK304 3)",
    "TR3002": "TR3: SV102: invalid character for type R in loop 2400 (999 IK304 8, IK403 6)",
    "ENV001": "transaction set rejected: SE01 segment count 40 does not match 41 "
    "(seg 42 (SE) @1893)",
}


# The answer each example message gets when it is not the rule's usual one:
# (branch, entity or None for the branch's own).
EXAMPLE_ANSWERS: dict[str, tuple[str, str | None]] = {
    "SC008": ("unknown", None),
    "SC009": ("other_provider", None),
    "STR002": ("", "82"),
    "STR005": ("claim_id", None),
}


def find_rule(code: str) -> Rule:
    """The rule with this code; RuleSelectionError with the nearest code otherwise."""
    rule = RULES.get(code.strip().upper())
    if rule is None:
        hint = nearest_code(code)
        more = f" (did you mean {hint!r}?)" if hint else ""
        raise RuleSelectionError(f"unknown rule {code!r}{more}; `edi837 rules` lists them")
    return rule


@dataclass(frozen=True, slots=True)
class Explanation:
    rule: Rule
    policy: Policy

    def parameter(self) -> dict[str, str] | None:
        """The profile parameter the rule reads, resolved: name, value, source, quote."""
        citation = self.policy.citations.get(self.rule.cite)
        if citation is None:
            return None
        return {
            "name": self.rule.cite,
            "value": self.policy.value_text(self.rule.cite),
            "source": citation.source,
            "quote": citation.quote,
            "note": citation.note,
        }

    def why(self) -> str:
        return self.rule.rationale

    def level(self) -> str:
        """The rule's level under this profile's [rules] table (reject, warning, off)."""
        selection = RuleSelection.build(self.policy.rules, policy_name=self.policy.source_path)
        return selection.level(self.rule.code)

    def stc(self) -> list[dict[str, Any]]:
        """Every 277CA answer the rule declares: its usual one, then each branch (SC008:
        missing order id, unknown order, ...), with STC10's second code where the status
        code needs one (21, 732) and every code's official meaning."""
        out: list[dict[str, Any]] = []
        for branch, stc in self.rule.answers():
            entry: dict[str, Any] = {**meaning(stc.code), "branch": branch or None}
            entry["stc10"] = meaning(stc.detail) if stc.detail else None
            out.append(entry)
        return out

    def example_finding(self) -> Finding:
        message = EXAMPLES.get(self.rule.code, self.rule.title)
        branch, entity = EXAMPLE_ANSWERS.get(self.rule.code, ("", None))
        return self.rule.finding(message, policy=self.policy, branch=branch, entity=entity)

    def example_stc(self) -> str:
        """The example finding's STC01 (and STC10) as the 277CA spells them."""
        f = self.example_finding()
        stc = Stc(f.category, f.status_code, f.entity, f.detail)
        return str(stc)

    def example(self) -> dict[str, Any]:
        return self.example_finding().to_json()

    def to_json(self) -> dict[str, Any]:
        r = self.rule
        return {
            "code": r.code,
            "title": r.title,
            "kind": r.kind,
            "severity": str(r.severity),
            "level": self.level(),
            "why": self.why(),
            "policy": self.policy.name,
            "parameter": self.parameter(),
            "citation": None if self.parameter() else r.cite,
            "fix": r.fix,
            "stc": self.stc(),
            "example": self.example(),
        }

    def text(self) -> str:
        r = self.rule
        out = [
            f"{r.code}: {r.title}",
            "",
            f"kind: {r.kind}; severity: {r.severity}; under policy {self.policy.name}: "
            f"{self.level()}",
            "",
        ]
        if r.rationale:
            out += ["Why:", *(f"  {ln}" for ln in self.why().splitlines()), ""]
        param = self.parameter()
        if param:
            out.append(f"Parameter ({self.policy.name}): {param['name']} = {param['value']}")
            out.append(f"  source: {param['source']}")
            if param["quote"]:
                out.append(f'  quote:  "{param["quote"]}"')
            if param["note"]:
                out.append(f"  note:   {param['note']}")
        else:
            out.append(f"Citation: {r.cite}")
        out += ["", f"Fix: {r.fix}", "", "277CA:"]
        for s in self.stc():
            pad = " " * len(s["code"])
            when = f"  (branch: {s['branch']})" if s["branch"] else ""
            out.append(f"  {s['code']}{when}")
            out.append(f"  {pad}  {s['category']}: {s['category_meaning']}")
            out.append(f"  {pad}  {s['status']}: {s['status_meaning']}")
            if "entity" in s:
                out.append(f"  {pad}  {s['entity']}: {s['entity_meaning']}")
            if s["stc10"]:
                d = s["stc10"]
                out.append(f"  {pad}  STC10 {d['code']}: {d['status']}: {d['status_meaning']}")
        ex = self.example()
        out += [
            "",
            "Example finding:",
            f"  {ex['rule']} {ex['severity']}: {ex['message']}",
            f"      277CA {self.example_stc()}",
        ]
        if ex["fix"]:
            out.append(f"      fix: {ex['fix']}")
        return "\n".join(out) + "\n"
