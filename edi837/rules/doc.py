"""Render the rule table (docs/rules.md) from the registry, so docs never drift."""

from __future__ import annotations

from edi837.policy import SHIPPED, load_policy
from edi837.rules.registry import RULES

HEADER = """# Rules

Generated from the rule registry by `python -m edi837.rules.doc > docs/rules.md`
(a test fails when this file is out of date). Every finding carries the rule code, the
values seen, a fix and the citation; `category:status` is what the 277CA STC01 says.

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
            f"| {code} | {rule.kind} | {rule.title} | {rule.category}:"
            f"{rule.status_code} | {rule.severity} | {cite.replace('|', '/')} |"
        )
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
