"""Every report format says everything: run notes, status meanings, where/what/why/fix.

Driven through the CLI with click's CliRunner, on synthetic claims from the scenario
builders; the HTML page is parsed with lxml's strict parser and queried.
"""

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree, html

import edi837.writers.html_report as html_report
from edi837.cli import main
from edi837.rules import RULES
from edi837.stc_codes import describe, label
from edi837.synth.spec import PersonSpec
from edi837.writers.html_report import el, xml_safe
from edi837.writers.report import csv_cell
from tests.scenario import Scenario, days, s_claim, s_line

NOTE_AUTH = "no --authorizations feed"


def two_files(tmp_path, *, extra=()):
    """Two 837s, each with one rejected claim (SC005 and SC002), plus accepted ones."""
    sc = Scenario(tmp_path).file(
        s_claim("INIT", "S0353", days(0)),
        s_claim("EST", "S0354", days(20)),  # SC005: 20 days after S0353
        s_claim("LATER", "S0354", days(45)),
        *extra,
    )
    sc.file(
        s_claim("UB", "S0354", days(90), form="837I", line_kw={"revenue_code": "0980"}),
        s_claim("UBOK", "S0354", days(130), form="837I"),
    )
    paths = [str(p) for p in sc.paths()]
    sc.run_context()
    feeds = [
        "--authorizations",
        str(tmp_path / "auths.csv"),
        "--providers",
        str(tmp_path / "providers.csv"),
        "--received",
        "2026-11-02",
    ]
    return paths, feeds


def check(args, **kw):
    result = CliRunner().invoke(main, ["check", "-q", "--no-history", *args], **kw)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


# --- stc_codes ---------------------------------------------------------------------------


def test_every_rule_status_has_a_meaning():
    for code, rule in RULES.items():
        text = describe(rule.category, rule.status_code)
        assert "unknown" not in text, (code, text)
    assert label("A7", "455") == (
        "277CA A7:455 (Rejected for invalid information: Revenue code for services rendered)"
    )
    assert "unknown status code 9999" in describe("A7", "9999")
    assert label("A7", "562", "DK") == (
        "277CA A7:562:DK (Rejected for invalid information: Entity's National Provider "
        "Identifier (NPI); Ordering Physician)"
    )
    assert label("A8", "732", detail="A8:454").endswith(
        "+ STC10 A8:454 (Procedure code for services rendered)"
    )


# --- concise -----------------------------------------------------------------------------

CONCISE = re.compile(
    r"^(?P<file>[^:]+):(?P<seg>\d+):(?P<off>\d+): (?P<code>[A-Z]+\d{3}) "
    r"(?P<msg>.+) \(claim (?P<claim>[^)]+)\)$"
)


def test_concise_one_line_per_finding_then_summary(tmp_path):
    paths, feeds = two_files(tmp_path)
    result = check(["--format", "concise", *feeds, *paths])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    body = [ln for ln in lines if not ln.startswith("#")]
    findings = [CONCISE.match(ln) for ln in body[:-1]]
    assert all(findings), body
    by_claim = {m["claim"]: m for m in findings}
    assert set(by_claim) == {"EST", "UB"}
    assert by_claim["EST"]["code"] == "SC005" and by_claim["UB"]["code"] == "SC002"
    # SEG:OFFSET point at the segment: the byte offset holds that segment's id
    data = Path(by_claim["EST"]["file"]).read_bytes()
    assert data[int(by_claim["EST"]["off"]) :].startswith(b"DTP")
    assert body[-1].startswith("5 claims: 3 accepted, 2 rejected")
    assert "MBR0001" not in result.stdout  # no member id beyond what findings say


def test_concise_notes_and_file_error_lines(tmp_path):
    paths, _ = two_files(tmp_path)
    bad = tmp_path / "bad.837"
    bad.write_bytes(b"hello, world\n")
    result = check(["--format", "concise", paths[0], str(bad)])
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# policy: bcbsma")
    assert any(ln.startswith(f"# note: {NOTE_AUTH}") for ln in lines)
    assert re.search(
        rf"^{re.escape(str(bad))}:\d+:\d+: ERROR not an X12 interchange", result.stdout, re.M
    )


# --- text --------------------------------------------------------------------------------


def test_text_notes_header_rejected_first_one_line_per_finding(tmp_path):
    paths, feeds = two_files(tmp_path)
    result = check(["--verbose", *feeds, *paths])
    out = result.stdout
    assert NOTE_AUTH not in out  # both feeds given: nothing to note
    marks = re.findall(r"^(REJECTED|ACCEPTED)  claim (\S+)", out, re.M)
    assert [m for m, _ in marks] == ["REJECTED"] * 2 + ["ACCEPTED"] * 3
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("SC005"))
    assert re.search(
        r"SC005 reject: .* \| at line 1 2400 seg \d+ \(DTP\) @\d+ \| "
        r"277CA A7:259 \(Rejected for invalid information: Frequency of "
        r"service\) \| fix: .+ \| why: bcbsma-s-code-reimbursement\.txt",
        line,
    )

    bare = check([*paths]).stdout
    header = bare.splitlines()[:3]
    assert header[0] == "edi837 screening under policy bcbsma (bcbsma (shipped))"
    assert header[1].startswith(f"note: {NOTE_AUTH}")
    assert header[2].startswith("note: no --providers feed")


# --- JSONL -------------------------------------------------------------------------------


def test_jsonl_first_record_is_the_run(tmp_path):
    paths, _ = two_files(tmp_path)
    lines = check(["--format", "jsonl", *paths]).stdout.splitlines()
    first = json.loads(lines[0])
    assert list(first) == ["type", "schema", "policy", "policy_source", "notes"]
    assert first["type"] == "run" and first["schema"] == "edi837.report/1"
    assert first["policy"] == "bcbsma" and first["policy_source"] == "bcbsma (shipped)"
    assert any(n.startswith(NOTE_AUTH) for n in first["notes"])
    types = [json.loads(ln)["type"] for ln in lines]
    assert types.count("run") == 1 and types[-1] == "summary"


# --- CSV ---------------------------------------------------------------------------------


def test_csv_neutralises_formulas_keeps_numbers_and_carries_notes(tmp_path):
    formula_claims = (
        s_claim('=HYPERLINK("x")', "S0354", days(80), member="MBR0002", order=None),
        s_claim(
            "+SUM(1;2)",
            "S0354",
            days(90),
            member="MBR0003",
            order=None,
            lines=[s_line("S0354", days(90), charge=Decimal("-5.00"))],
        ),
        s_claim("@cmd", "S0354", days(100), member="MBR0004", order=None),
    )
    paths, _ = two_files(tmp_path, extra=formula_claims)
    out = tmp_path / "r.csv"
    check(["--format", "csv", "-o", str(out), *paths])
    rows = list(csv.DictReader(out.open(newline="")))
    ids = {r["claim_id"] for r in rows}
    assert {'\'=HYPERLINK("x")', "'+SUM(1;2)", "'@cmd"} <= ids
    assert not any(r[k].startswith(("=", "+", "@")) for r in rows for k in r)
    negative = [r for r in rows if r["claim_id"] == "'+SUM(1;2)"]
    assert negative and all(r["charge"] == "-5.00" for r in negative)  # a number, not text
    assert all(NOTE_AUTH in r["notes"] for r in rows)
    est = next(r for r in rows if r["claim_id"] == "EST")
    assert (est["procedure"], est["service_date"], est["charge"]) == (
        "S0354",
        "2026-03-22",
        "300.00",
    )
    assert re.fullmatch(r"[^.]+\.[^.]+\.[^.]+\.EST", est["trace_id"])


def test_csv_cell_only_text_is_prefixed():
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("-x") == "'-x"
    assert csv_cell("\tx") == "'\tx" and csv_cell("\rx") == "'\rx"
    assert csv_cell(Decimal("-5.00")) == Decimal("-5.00") and csv_cell(-3) == -3
    assert csv_cell("S0354") == "S0354"


def test_csv_without_claims_still_has_the_notes(tmp_path):
    bad = tmp_path / "bad.837"
    bad.write_bytes(b"hello, world\n")
    out = tmp_path / "r.csv"
    check(["--format", "csv", "-o", str(out), str(bad)])
    rows = list(csv.DictReader(out.open(newline="")))
    assert len(rows) == 1 and NOTE_AUTH in rows[0]["notes"] and not rows[0]["claim_id"]


# --- HTML --------------------------------------------------------------------------------


def _page(tmp_path, args):
    target = tmp_path / "r.html"
    result = check(["--format", "html", "-o", str(target), *args])
    text = target.read_text(encoding="utf-8")
    html.document_fromstring(text, parser=html.HTMLParser(recover=False))
    return result, html.fromstring(text), text


def test_html_worklist_across_files_filter_citations_and_meanings(tmp_path):
    paths, feeds = two_files(tmp_path)
    _, doc, text = _page(tmp_path, [*feeds, *paths])
    worklist = doc.get_element_by_id("worklist-table")
    rows = worklist.xpath(".//tr[td]")
    assert [r.get("class") for r in rows] == ["rejected", "rejected"]
    assert {r.get("data-rules") for r in rows} == {"SC005", "SC002"}
    # the worklist names both files and comes before any file's detail
    files_heading = doc.xpath("//h2[.='Files']")[0]
    assert worklist.getparent().index(worklist) < files_heading.getparent().index(files_heading)
    links = worklist.xpath(".//a[starts-with(@href, '#file-')]/@href")
    assert len(set(links)) == 2 and all(doc.get_element_by_id(h[1:]) is not None for h in links)
    options = doc.xpath("//select[@id='rule-filter']/option/@value")
    assert options == ["", "SC002", "SC005"]
    assert "A7:259 (Rejected for invalid information: Frequency of service)" in text
    # resolved citations, no parameter keys, no raw reST markup
    sc001 = doc.get_element_by_id("rule-SC001").getparent()
    cite = sc001.xpath(".//cite")[0].text
    assert cite.startswith("bcbsma-s-code-reimbursement.txt")
    assert "Source: separate_claim" not in sc001.text_content()
    assert "``" not in text
    assert doc.xpath("//div[h3[@id='rule-SC005']]//code[.='s0354_gap_after_s0353_days']")
    assert ".date{white-space:nowrap}" in text.replace(".nowrap,", "")
    assert doc.xpath("//span[@class='date'][.='2026-03-22']")
    # dates inside a finding's message do not wrap either
    assert doc.xpath("//div[@class='finding']/span[@class='date'][.='2026-03-02']")
    assert "http" not in "".join(doc.xpath("//@src | //link/@href"))


def test_html_notes_at_the_top(tmp_path):
    paths, _ = two_files(tmp_path)
    _, doc, _ = _page(tmp_path, paths)
    notes = doc.get_element_by_id("notes")
    assert NOTE_AUTH in notes.text_content()
    first_table = doc.xpath("//table")[0]
    body = notes.getparent()
    assert body.index(notes) < body.index(first_table)


def test_html_nul_and_control_characters_never_crash(tmp_path):
    odd = PersonSpec(last="SM\x00ITH", first="A\x01NN", birth_date=date(1960, 1, 1))
    sc = Scenario(tmp_path).file(
        s_claim("NUL\x00ID", "S0354", days(0), subscriber=odd),
        s_claim("CTL\x07\x1bID", "S0354", days(10), subscriber=odd),
    )
    paths = [str(p) for p in sc.paths()]
    result, doc, text = _page(tmp_path, paths)
    assert result.exit_code in (0, 1, 2)  # the TR3 check rejects a NUL in NM103 (AN)
    assert "\x00" not in text and "\x07" not in text and "\x1b" not in text
    codes = doc.xpath("//table[@id='worklist-table' or not(@id)]//code/text()")
    assert "NUL\ufffdID" in codes and "CTL\ufffd\ufffdID" in codes
    assert "SM\ufffdITH" in text


def test_html_caps_rows_but_counts_them(tmp_path, monkeypatch):
    monkeypatch.setattr(html_report, "MAX_ROWS", 1)
    monkeypatch.setattr(html_report, "MAX_WORKLIST", 1)
    paths, feeds = two_files(tmp_path)
    _, doc, text = _page(tmp_path, [*feeds, *paths])
    assert len(doc.get_element_by_id("worklist-table").xpath(".//tr[td]")) == 1
    assert "... and 1 more rejected claims" in text
    assert "... and 1 more accepted claims" in text


@given(st.text())
@pytest.mark.slow
def test_xml_safe_anything_goes_into_lxml(text):
    safe = xml_safe(text)
    node = el("p", text, title=text)
    assert (node.text or "") == safe and node.get("title") == safe
    back = etree.tostring(node, encoding="unicode")
    assert "\x00" not in back
    keep = [
        c
        for c in text
        if c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000"
    ]
    assert [c for c in safe if c != "\ufffd"] == [c for c in keep if c != "\ufffd"]


def test_html_writes_through_a_text_stream_in_pieces(tmp_path):
    """The page is streamed: xmlfile's bytes reach the text output as they are made."""
    sink = html_report._Utf8Sink(io.StringIO())
    for byte in "é\u20ac".encode():
        sink.write(bytes([byte]))
    assert sink.out.getvalue() == "é\u20ac"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_html_rule_filter_hides_other_rows_in_a_browser(tmp_path):
    """The inline filter really runs: choose SC005 and only its claims stay visible."""
    paths, feeds = two_files(tmp_path)
    _page(tmp_path, [*feeds, *paths])
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    pick = (
        '<script>var s=document.getElementById("rule-filter");s.value="SC005";'
        's.dispatchEvent(new Event("change"));</script></body>'
    )
    (tmp_path / "pick.html").write_text(page.replace("</body>", pick), encoding="utf-8")
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            (tmp_path / "pick.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    doc = html.fromstring(dom)
    rows = doc.get_element_by_id("worklist-table").xpath(".//tr[td]")
    shown = [r.get("data-rules") for r in rows if r.get("hidden") is None]
    assert shown == ["SC005"] and len(rows) == 2
    assert doc.get_element_by_id("rule-shown").text == "1"
