"""Render the rule table (docs/rules.md) from the registry, so docs never drift."""

from __future__ import annotations

from edi837.policy import SHIPPED, load_policy
from edi837.rules.registry import RULES

# Rules whose STC01-3 entity is the provider role the finding is about (see
# edi837.rules.context.ROLE_ENTITY; STR002 names the NPI's role).
BY_ROLE: dict[str, frozenset[str]] = {
    "SC008": frozenset({"missing", "matched", "unknown"}),
    "SC009": frozenset({""}),
    "STR002": frozenset({""}),
}

HEADER = """# Rules

Generated from the rule registry by `python -m edi837.rules.doc > docs/rules.md`
(a test fails when this file is out of date). Every finding carries the rule code, the
values seen, a fix and the citation; `category:status[:entity]` is what the 277CA
STC01 says (`+ STC10 ...`: the second, specific code that status codes 21 and 732 need,
sent in STC10 of the same STC). Categories by kind: A6 missing data, A7 invalid value,
A8 two fields that do not agree (relational), A3 returned as unprocessable. Accepted
claims answer `A1:19:40` (see docs/acknowledgments.md).

Kinds: *claim* rules look at one claim; *timeline* rules compare a claim with the
patient's accepted S-code services (this run and the history store), judged per patient
in service-date order; *frequency* handles replacements and voids; *structure* rules
check the claim's shape as the TR3 requires (STR001-STR007 are rules like the others;
TR3001/TR3002 come from the TR3 validation in the reading pass); *envelope* findings
come from the reader.

"""


def render() -> str:
    lines = [
        HEADER,
        "| code | kind | check | 277CA | severity | citation |",
        "|---|---|---|---|---|---|",
    ]
    policy = load_policy("bcbsma")
    for code, rule in sorted(RULES.items()):
        cite = policy.cite(rule.cite) or rule.cite
        lines.append(
            f"| {code} | {rule.kind} | {rule.title} | {rule.stc} | {rule.severity} | "
            f"{cite.replace('|', '/')} |"
        )
    lines.append("\n## 277CA answers by branch\n")
    lines.append(
        "Rules whose findings answer differently by what is wrong declare each answer "
        "with the rule (`branch` is the name the rule's code uses). An entity marked "
        "*by role* is the provider the finding is about: DK ordering 2420E, 82 rendering, "
        "85 billing; on an 837I 71 attending, DN referring.\n"
    )
    lines.append("| code | branch | 277CA |")
    lines.append("|---|---|---|")
    for code, rule in sorted(RULES.items()):
        if not rule.branches and code not in BY_ROLE:
            continue
        for branch, stc in rule.answers():
            role = " (entity by role)" if branch in BY_ROLE.get(code, ()) else ""
            lines.append(f"| {code} | {branch or '(usual)'} | {stc}{role} |")
    lines.append("\n## Why each rule reads the seed the way it does\n")
    for code, rule in sorted(RULES.items()):
        if rule.rationale:
            lines.append(f"### {code}: {rule.title}\n\n{rule.rationale}\n\nFix: {rule.fix}\n")
    lines.append("## Profiles\n")
    lines.append("| parameter | " + " | ".join(SHIPPED) + " |")
    lines.append("|---|" + "---|" * len(SHIPPED))
    profiles = [load_policy(n) for n in SHIPPED]
    for param in (
        "separate_claim",
        "allowed_forms",
        "one_form",
        "required_revenue_code",
        "retired_revenue_codes",
        "fee_method",
        "fee_amount",
        "s0354_min_interval_days",
        "s0354_gap_after_s0353_days",
        "s0354_max_months_default",
        "s0354_max_months_cap",
        "s0354_max_months_indefinite",
        "eligible_states",
        "in_network_required",
        "units_per_line",
        "timely_filing_days",
        "code_effective_date",
    ):
        cells = []
        for p in profiles:
            value = getattr(p, param)
            cells.append(", ".join(value) if isinstance(value, tuple) else str(value))
        lines.append(f"| {param} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
