"""A self-contained HTML report for a billing analyst, built with lxml.

One page, no scripts, no network: summary counts, then a table per file with rejected
claims first, each finding linked to its rule's explanation at the bottom of the page.
Rows are kept per file until the file is done (rejected first needs that); past
``MAX_ROWS`` accepted claims per file only the count is shown, so the page stays usable.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TextIO

from lxml import etree
from lxml.builder import E

from edi837.rules import RULES
from edi837.screen import FileResult
from edi837.verdicts import Verdict
from edi837.writers.report import Report, Summary

MAX_ROWS = 2000

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.rejected{background:#fff1f0}.accepted{background:#f4fbf4}
.badge{display:inline-block;padding:1px 6px;border-radius:3px;font-weight:600}
.b-rejected{background:#c62828;color:#fff}.b-accepted{background:#2e7d32;color:#fff}
.summary td{font-size:1.2em}.fix{color:#555}.err{color:#c62828}.warn{color:#8a6d00}
code{background:#f6f6f6;padding:0 3px}
"""


class HtmlReport(Report):
    name = "html"

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.rows: dict[str, dict[str, list]] = defaultdict(lambda: {"rejected": [],
                                                                     "accepted": []})
        self.hidden: dict[str, int] = defaultdict(int)
        self.meta: dict[str, object] = {}

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None:
        self.meta = meta

    def claim(self, verdict: Verdict) -> None:
        bucket = self.rows[verdict.claim.envelope.file][verdict.status]
        if len(bucket) >= MAX_ROWS:
            self.hidden[verdict.claim.envelope.file] += 1
            return
        bucket.append(_claim_row(verdict))

    def finish(self, files: list[FileResult], summary: Summary) -> None:
        body = E.body(
            E.h1("edi837 screening report"),
            E.p(f"Policy: {self.meta.get('policy')} ({self.meta.get('policy_source')})"),
            *[E.p({"class": "warn"}, str(n)) for n in self.meta.get("notes", []) or []],
            _summary_table(summary),
        )
        for f in files:
            body.append(E.h2(f"File {f.path}"))
            body.append(E.p(f"{f.interchanges} interchange(s), {f.transactions} transaction "
                            f"set(s), {f.claims} claim(s), {f.segments} segments"))
            for e in f.errors:
                body.append(E.p({"class": "err"}, "Error: " + e))
            for w in f.warnings:
                body.append(E.p({"class": "warn"}, "Warning: " + w))
            rows = self.rows.get(f.path, {"rejected": [], "accepted": []})
            if rows["rejected"] or rows["accepted"]:
                body.append(_claims_table(rows["rejected"] + rows["accepted"]))
            if self.hidden.get(f.path):
                body.append(E.p(f"... and {self.hidden[f.path]} more claims (see the JSON or "
                                "CSV report for all)."))
        body.append(_rules_section())
        page = E.html(
            E.head(E.meta(charset="utf-8"), E.title("edi837 report"), E.style(CSS)), body,
            lang="en",
        )
        self.out.write("<!DOCTYPE html>\n")
        self.out.write(etree.tostring(page, encoding="unicode", method="html", pretty_print=True))


def _summary_table(s: Summary) -> etree._Element:
    return E.table(
        {"class": "summary"},
        E.tr(*[E.th(h) for h in ("Claims", "Accepted", "Rejected", "S-code lines",
                                 "Expected reimbursement", "Files", "Unreadable files")]),
        E.tr(E.td(str(s.claims)), E.td(str(s.accepted)), E.td(str(s.rejected)),
             E.td(str(s.s_code_lines)), E.td(f"${s.expected_reimbursement:.2f}"),
             E.td(str(s.files)), E.td(str(s.unreadable_files))),
    )


def _claim_row(v: Verdict) -> etree._Element:
    c = v.claim
    s_lines = "; ".join(f"{ln.procedure} {c.line_date(ln) or '?'}" for ln in c.lines
                        if ln.is_s_code)
    findings = E.td()
    for f in v.findings:
        where = ", ".join(x for x in (
            f"line {f.line}" if f.line is not None else "", f.loop,
            str(f.segment) if f.segment else "") if x)
        findings.append(E.div(
            E.a(f.rule, href=f"#rule-{f.rule}"), f" {f.severity}: {f.message} ",
            E.span({"class": "fix"}, f"[{where}] 277CA {f.category}:{f.status_code}"),
            *( [E.div({"class": "fix"}, "Fix: " + f.fix)] if f.fix and f.rejects else []),
        ))
    return E.tr(
        {"class": v.status},
        E.td(E.span({"class": f"badge b-{v.status}"}, v.status)),
        E.td(E.code(c.CLM01)), E.td(c.form), E.td(c.frequency), E.td(c.member_id),
        E.td(c.patient_person.name), E.td(s_lines), E.td(str(c.position)), findings,
    )


def _claims_table(rows: list[etree._Element]) -> etree._Element:
    head = E.tr(*[E.th(h) for h in ("Status", "Claim (CLM01)", "Form", "Freq", "Member",
                                    "Patient", "S-code lines", "Where", "Findings")])
    return E.table(head, *rows)


def _rules_section() -> etree._Element:
    section = E.div(E.h2("Rules"))
    for code, rule in sorted(RULES.items()):
        section.append(E.div(
            E.h3(f"{code}: {rule.title}", id=f"rule-{code}"),
            E.p(rule.rationale or ""),
            E.p(f"277CA {rule.category}:{rule.status_code}. Fix: {rule.fix}"),
            E.p({"class": "fix"}, f"Source: {rule.cite}"),
        ))
    return section
