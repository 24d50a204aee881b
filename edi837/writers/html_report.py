"""A self-contained HTML report for a billing analyst, streamed with lxml's ``xmlfile``.

One page, no network, no external assets: the run's notes and summary, then **one
worklist of the rejected claims of every file**, filterable by rule (a few lines of
inline script; without script every row shows), then each file's detail (its errors and
warnings and its accepted claims), then the rules appendix with each rule's reasoning and
its resolved seed citation. Every 277CA status is printed with its meaning.

Memory stays flat at any batch size: each claim is reduced to a small JSON row and
spooled to an anonymous temporary file (rejected rows to one, accepted to another); the
page is written element by element through ``etree.xmlfile`` at the end, never as a
whole-document tree. Past ``MAX_ROWS`` accepted claims per file and ``MAX_WORKLIST``
rejected claims only the counts are shown (the JSON and CSV reports have them all).

Every string goes through ``xml_safe`` first: a NUL or control character in a name or a
CLM01 is replaced, never a ``ValueError`` from lxml.
"""

from __future__ import annotations

import codecs
import json
import re
import tempfile
from collections.abc import Iterator
from typing import IO, Any, TextIO

from lxml import etree

from edi837.rules import RULES
from edi837.rules.registry import Rule
from edi837.screening import FileResult
from edi837.stc_codes import label
from edi837.verdicts import Verdict
from edi837.writers.report import Report, Summary, finding_where

MAX_ROWS = 2000  # accepted claims shown per file
MAX_WORKLIST = 20_000  # rejected claims shown in the worklist

# What XML 1.0 cannot hold: C0 controls but tab/newline/CR, surrogates, U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def xml_safe(text: object) -> str:
    """``text`` as a string XML can hold: each character XML 1.0 forbids (NUL, C0
    controls other than tab, newline and CR, lone surrogates, U+FFFE, U+FFFF) becomes
    U+FFFD, so the analyst sees that something odd was sent, and lxml never refuses it."""
    return _NOT_XML.sub(REPLACEMENT, text if isinstance(text, str) else str(text))


CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ccc}h3{margin-top:1.5em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.rejected{background:#fff1f0}.accepted{background:#f4fbf4}
.badge{display:inline-block;padding:1px 6px;border-radius:3px;font-weight:600}
.b-rejected{background:#c62828;color:#fff}.b-accepted{background:#2e7d32;color:#fff}
.summary td{font-size:1.2em}.fix{color:#555}.err{color:#c62828}.warn{color:#8a6d00}
.notes{background:#fff8e1;border:1px solid #f0d58c;padding:.3em 1em}
.nowrap,.date{white-space:nowrap}.finding{margin-bottom:.4em}
.stc{color:#555;font-size:.92em}blockquote{margin:.3em 0 .3em 1.5em;color:#444}
.filter{margin:.5em 0}.filter select{max-width:28em}code{background:#f6f6f6;padding:0 3px}
"""

# Shows only the worklist rows that carry the chosen rule. No "<" or "&" in it, so it
# reads the same whatever the serializer does with script text.
SCRIPT = """(function () {
  var pick = document.getElementById('rule-filter');
  if (!pick) { return; }
  pick.addEventListener('change', function () {
    var rule = pick.value, shown = 0;
    document.querySelectorAll('#worklist-table tr[data-rules]').forEach(function (row) {
      var has = (' ' + row.getAttribute('data-rules') + ' ').indexOf(' ' + rule + ' ') !== -1;
      row.hidden = rule !== '' ? !has : false;
      if (!row.hidden) { shown += 1; }
    });
    document.getElementById('rule-shown').textContent = String(shown);
  });
})();"""

CLAIM_COLUMNS = (
    "Status",
    "Claim (CLM01)",
    "Form",
    "Freq",
    "Member",
    "Patient",
    "S-code lines",
    "Where",
    "Findings",
)


def el(tag: str, *children: Any, **attrib: Any) -> etree._Element:
    """An element whose text, children and attributes are all made XML-safe.

    ``class_`` stands for ``class``; a child is a string, an element or None (skipped).
    """
    node = etree.Element(
        tag, {k.rstrip("_"): xml_safe(v) for k, v in attrib.items() if v is not None}
    )
    last: etree._Element | None = None
    for child in children:
        if child is None:
            continue
        if isinstance(child, etree._Element):
            node.append(child)
            last = child
        elif last is None:
            node.text = (node.text or "") + xml_safe(child)
        else:
            last.tail = (last.tail or "") + xml_safe(child)
    return node


def claim_row(verdict: Verdict) -> dict[str, Any]:
    """What the page shows of one claim, as plain JSON data (spooled until the end)."""
    c = verdict.claim
    return {
        "status": verdict.status,
        "file": c.envelope.file,
        "claim": c.CLM01,
        "form": c.form,
        "freq": c.frequency,
        "member": c.member_id,
        "patient": c.patient_person.name,
        "s_lines": [[ln.procedure, str(c.line_date(ln) or "?")] for ln in c.lines if ln.is_s_code],
        "where": str(c.position),
        "findings": [
            {
                "rule": f.rule,
                "severity": str(f.severity),
                "message": f.message,
                "where": finding_where(f),
                "stc": label(f.category, f.status_code, f.entity, f.detail),
                "fix": f.fix if f.rejects else "",
            }
            for f in verdict.findings
        ],
    }


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def with_dates(text: str) -> list[Any]:
    """``text`` as children with each ISO date in a ``date`` span, so no date wraps."""
    parts: list[Any] = []
    pos = 0
    for m in _ISO_DATE.finditer(text):
        parts += [text[pos : m.start()], el("span", m.group(), class_="date")]
        pos = m.end()
    parts.append(text[pos:])
    return parts


def _row_element(row: dict[str, Any], file_ids: dict[str, str] | None) -> etree._Element:
    """A claim's table row; ``file_ids`` given (the worklist), it names and links its file."""
    findings = el("td")
    for f in row["findings"]:
        findings.append(
            el(
                "div",
                el("a", f["rule"], href=f"#rule-{f['rule']}"),
                f" {f['severity']}: ",
                *with_dates(f["message"]),
                " ",
                el("span", f"[{f['where']}]", class_="nowrap fix") if f["where"] else None,
                el("div", f["stc"], class_="stc"),
                el("div", *with_dates("Fix: " + f["fix"]), class_="fix") if f["fix"] else None,
                class_="finding",
            )
        )
    s_lines = el("td")
    for i, (procedure, day) in enumerate(row["s_lines"]):
        if i:
            s_lines.append(el("br"))
        s_lines.append(el("span", f"{procedure} ", el("span", day, class_="date"), class_="nowrap"))
    where = el("td", el("span", row["where"], class_="nowrap"))
    if file_ids is not None:
        name = row["file"].replace("\\", "/").rsplit("/", 1)[-1]
        anchor = file_ids.get(row["file"])
        link = (
            el("a", name, href=f"#{anchor}", title=row["file"], class_="nowrap")
            if anchor
            else el("span", name, title=row["file"], class_="nowrap")
        )
        where.insert(0, el("br"))
        where.insert(0, link)
    rules = " ".join(sorted({f["rule"] for f in row["findings"]}))
    return el(
        "tr",
        el("td", el("span", row["status"], class_=f"badge b-{row['status']}")),
        el("td", el("code", row["claim"])),
        el("td", row["form"]),
        el("td", row["freq"]),
        el("td", row["member"]),
        el("td", row["patient"]),
        s_lines,
        where,
        findings,
        class_=row["status"],
        **({"data-rules": rules} if rules else {}),
    )


def _head_row() -> etree._Element:
    return el("tr", *[el("th", h) for h in CLAIM_COLUMNS])


def _spool_rows(spool: IO[str]) -> Iterator[dict[str, Any]]:
    spool.seek(0)
    for line in spool:
        yield json.loads(line)


class _Utf8Sink:
    """``xmlfile`` writes bytes; the report's output is a text stream."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def write(self, data: bytes) -> None:
        self.out.write(self.decoder.decode(data))


class HtmlReport(Report):
    name = "html"

    def __init__(self, out: TextIO, *, policy: Any = None) -> None:
        super().__init__(out)
        self.policy = policy  # resolves each rule's citation in the appendix
        self.meta: dict[str, object] = {}
        # closed in finish(); anonymous files, so nothing stays behind on a crash
        self.rejected = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.accepted = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.counts: dict[str, list[int]] = {}  # file -> [rejected, accepted, hidden]
        self.worklist_rules: set[str] = set()
        self.worklist_rows = 0
        self.worklist_hidden = 0

    def start(self, files: list[FileResult], meta: dict[str, object]) -> None:
        self.meta = meta

    def claim(self, verdict: Verdict) -> None:
        counts = self.counts.setdefault(verdict.claim.envelope.file, [0, 0, 0])
        if verdict.accepted:
            counts[1] += 1
            if counts[1] > MAX_ROWS:
                counts[2] += 1
                return
            spool = self.accepted
        else:
            counts[0] += 1
            if self.worklist_rows >= MAX_WORKLIST:
                self.worklist_hidden += 1
                return
            self.worklist_rows += 1
            self.worklist_rules.update(f.rule for f in verdict.findings)
            spool = self.rejected
        spool.write(json.dumps(claim_row(verdict)) + "\n")

    def finish(self, files: list[FileResult], summary: Summary) -> None:
        try:
            self._write_page(files, summary)
        finally:
            self.rejected.close()
            self.accepted.close()

    def _write_page(self, files: list[FileResult], summary: Summary) -> None:
        file_ids = {f.path: f"file-{n}" for n, f in enumerate(files, 1)}
        sink = _Utf8Sink(self.out)
        with etree.xmlfile(sink, encoding="utf-8") as xf:
            xf.write_doctype("<!DOCTYPE html>")
            with xf.method("html"), xf.element("html", lang="en"):
                xf.write(
                    el(
                        "head",
                        el("meta", charset="utf-8"),
                        el("title", "edi837 report"),
                        el("style", CSS),
                    )
                )
                with xf.element("body"):
                    self._write_top(xf, summary)
                    self._write_worklist(xf, summary, file_ids)
                    self._write_files(xf, files, file_ids)
                    xf.write(_rules_section(self.policy, self.meta))
                    xf.write(el("script", SCRIPT))
        sink.write(b"\n")

    def _write_top(self, xf: Any, summary: Summary) -> None:
        meta = self.meta
        xf.write(el("h1", "edi837 screening report"))
        xf.write(el("p", f"Policy: {meta.get('policy')} ({meta.get('policy_source')})"))
        notes = [str(n) for n in meta.get("notes") or []]  # type: ignore[union-attr]
        if notes:
            xf.write(
                el(
                    "div",
                    el("strong", "Run notes:"),
                    el("ul", *[el("li", n) for n in notes]),
                    class_="notes",
                    id="notes",
                )
            )
        xf.write(_summary_table(summary))

    def _write_worklist(self, xf: Any, summary: Summary, file_ids: dict[str, str]) -> None:
        xf.write(
            el(
                "h2",
                f"Rejected claims: {summary.rejected} across "
                f"{sum(1 for c in self.counts.values() if c[0])} file(s)",
                id="worklist",
            )
        )
        if not summary.rejected:
            xf.write(el("p", "No claim was rejected."))
            return
        pick = el("select", el("option", "all rules", value=""), id="rule-filter")
        for code in sorted(self.worklist_rules):
            title = RULES[code].title if code in RULES else ""
            pick.append(el("option", f"{code} {title}".strip(), value=code))
        shown = self.worklist_rows
        xf.write(
            el(
                "p",
                el("label", "Show the rejected claims with rule ", pick),
                " (",
                el("span", str(shown), id="rule-shown"),
                " shown)",
                class_="filter",
            )
        )
        with xf.element("table", id="worklist-table"):
            xf.write(_head_row())
            for row in _spool_rows(self.rejected):
                xf.write(_row_element(row, file_ids))
        if self.worklist_hidden:
            xf.write(
                el(
                    "p",
                    f"... and {self.worklist_hidden} more rejected claims (see the "
                    "JSON or CSV report for all).",
                )
            )

    def _write_files(self, xf: Any, files: list[FileResult], file_ids: dict[str, str]) -> None:
        xf.write(el("h2", "Files"))
        rows = _spool_rows(self.accepted)
        pending: dict[str, Any] | None = next(rows, None)
        for f in files:
            rejected, accepted, hidden = self.counts.get(f.path, [0, 0, 0])
            xf.write(el("h3", f"File {f.path}", id=file_ids[f.path]))
            xf.write(
                el(
                    "p",
                    f"{f.interchanges} interchange(s), {f.transactions} transaction "
                    f"set(s), {f.claims} claim(s), {f.segments} segments: "
                    f"{accepted} accepted, {rejected} rejected",
                    " " if rejected else None,
                    el("a", "(see the worklist)", href="#worklist") if rejected else None,
                )
            )
            for e in f.errors:
                xf.write(el("p", "Error: " + e, class_="err"))
            for w in f.warnings:
                xf.write(el("p", "Warning: " + w, class_="warn"))
            if pending is not None and pending["file"] == f.path:
                with xf.element("table"):
                    xf.write(_head_row())
                    while pending is not None and pending["file"] == f.path:
                        xf.write(_row_element(pending, None))
                        pending = next(rows, None)
            if hidden:
                xf.write(
                    el(
                        "p",
                        f"... and {hidden} more accepted claims (see the JSON or "
                        "CSV report for all).",
                    )
                )


def _summary_table(s: Summary) -> etree._Element:
    return el(
        "table",
        el(
            "tr",
            *[
                el("th", h)
                for h in (
                    "Claims",
                    "Accepted",
                    "Rejected",
                    "S-code lines",
                    "Expected reimbursement",
                    "Files",
                    "Unreadable files",
                )
            ],
        ),
        el(
            "tr",
            el("td", str(s.claims)),
            el("td", str(s.accepted)),
            el("td", str(s.rejected)),
            el("td", str(s.s_code_lines)),
            el("td", f"${s.expected_reimbursement:.2f}"),
            el("td", str(s.files)),
            el("td", str(s.unreadable_files)),
        ),
        class_="summary",
    )


_PARAMETER_KEY = re.compile(r"[a-z][a-z0-9_]*")


def resolve_citation(rule: Rule, policy: Any) -> tuple[str, str]:
    """(source heading, quote) behind a rule: the profile's citation of the parameter the
    rule names, else the rule's literal citation; never the bare parameter key."""
    if _PARAMETER_KEY.fullmatch(rule.cite):
        citation = policy.citations.get(rule.cite) if policy is not None else None
        if citation is None:
            return ("the policy profile cites no source for this rule", "")
        return (citation.source, citation.quote)
    return (rule.cite, "")


# ``code``, and *emphasis* standing alone (not the "*" of an X12 segment like REF*G1)
_INLINE = re.compile(r"``(.+?)``|(?<![\w*])\*([^*\s](?:[^*]*?[^*\s])?)\*(?![\w*])")


def docstring_paragraphs(doc: str) -> Iterator[etree._Element]:
    """A rule's docstring as paragraphs of text: reST ````code```` becomes code and
    ``*word*`` emphasis, so no raw markup reaches the page."""
    for para in re.split(r"\n\s*\n", doc.strip()):
        text = " ".join(para.split())
        if not text:
            continue
        p, pos = el("p"), 0
        for m in _INLINE.finditer(text):
            _append_text(p, text[pos : m.start()])
            p.append(el("code", m.group(1)) if m.group(1) is not None else el("em", m.group(2)))
            pos = m.end()
        _append_text(p, text[pos:])
        yield p


def _append_text(node: etree._Element, text: str) -> None:
    if not text:
        return
    text = xml_safe(text)
    if len(node):
        node[-1].tail = (node[-1].tail or "") + text
    else:
        node.text = (node.text or "") + text


def _rules_section(policy: Any, meta: dict[str, object]) -> etree._Element:
    if policy is None and meta.get("policy"):
        from edi837.policy import SHIPPED, load_policy

        name = str(meta["policy"])
        policy = load_policy(name) if name in SHIPPED else None
    section = el("div", el("h2", "Rules"))
    for code, rule in sorted(RULES.items()):
        source, quote = resolve_citation(rule, policy)
        section.append(
            el(
                "div",
                el("h3", f"{code}: {rule.title}", id=f"rule-{code}"),
                *docstring_paragraphs(rule.rationale),
                el("p", label(rule.category, rule.status_code), class_="stc"),
                el("p", "Fix: " + rule.fix),
                el("p", "Source: ", el("cite", source), class_="fix"),
                el("blockquote", f"\u201c{quote}\u201d") if quote else None,
            )
        )
    return section
