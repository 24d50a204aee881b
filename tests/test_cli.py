"""The command line end to end: exit codes, formats, outputs, conservation."""

import json
import re

import pytest
from click.testing import CliRunner
from lxml import html

from edi837.cli import main
from edi837.x12.tokenizer import read_segments
from tests.scenario import Scenario, days, s_claim


def batch(tmp_path):
    sc = Scenario(tmp_path).file(
        s_claim("INIT", "S0353", days(0)),
        s_claim("EST", "S0354", days(20)),  # SC005
        s_claim("LATER", "S0354", days(45)),
    )
    sc.file(s_claim("UB", "S0354", days(90), form="837I", line_kw={"revenue_code": "0980"}))
    paths = sc.paths()
    sc.run_context()  # writes the feeds
    feeds = [
        "--authorizations",
        str(tmp_path / "auths.csv"),
        "--providers",
        str(tmp_path / "providers.csv"),
        "--received",
        "2026-11-02",
    ]
    return paths, feeds


def invoke(args, **kw):
    return CliRunner().invoke(main, args, catch_exceptions=False, **kw)


def test_json_report_accounts_for_every_claim(tmp_path):
    paths, feeds = batch(tmp_path)
    result = invoke(["check", "-q", "--format", "json", *feeds, *map(str, paths)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["schema"] == "edi837.report/1"
    status = {c["claim_id"]: c["status"] for c in report["claims"]}
    assert status == {"INIT": "accepted", "EST": "rejected", "LATER": "accepted", "UB": "rejected"}
    assert report["summary"]["claims"] == 4
    assert report["summary"]["accepted"] + report["summary"]["rejected"] == 4
    est = next(c for c in report["claims"] if c["claim_id"] == "EST")
    finding = est["findings"][0]
    assert finding["rule"] == "SC005" and finding["segment"]["id"] == "DTP"
    assert finding["fix"] and finding["citation"] and finding["status_code"] == "259"
    init = next(c for c in report["claims"] if c["claim_id"] == "INIT")
    assert init["s_code_lines"][0]["expected_reimbursement"] == "300.00"


def test_exit_zero_when_all_accepted(tmp_path):
    sc = Scenario(tmp_path).file(s_claim("OK"))
    paths = sc.paths()
    sc.run_context()
    result = invoke(
        [
            "check",
            "-q",
            "--authorizations",
            str(tmp_path / "auths.csv"),
            "--providers",
            str(tmp_path / "providers.csv"),
            str(paths[0]),
        ]
    )
    assert result.exit_code == 0


def test_directory_and_stdin_inputs(tmp_path):
    paths, feeds = batch(tmp_path)
    by_dir = json.loads(invoke(["check", "-q", "--format", "json", *feeds, str(tmp_path)]).stdout)
    # the CSV feeds sit in the same folder: they are reported unreadable, the 837s read.
    names = {f["path"].rsplit("/", 1)[-1]: f["readable"] for f in by_dir["files"]}
    assert names["batch00.837"] and not names["auths.csv"]
    data = paths[0].read_bytes()
    by_stdin = invoke(["check", "-q", "--format", "json", *feeds, "-"], input=data)
    claims = json.loads(by_stdin.stdout)["claims"]
    assert {c["claim_id"] for c in claims} == {"INIT", "EST", "LATER"}
    assert all(c["file"] == "-" for c in claims)


def test_unreadable_input_exits_2_with_one_line_per_error(tmp_path):
    bad = tmp_path / "bad.837"
    bad.write_bytes(b"hello, world\n")
    result = CliRunner().invoke(main, ["check", "-q", str(bad)])
    assert result.exit_code == 2
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("edi837: error:")]
    assert len(errors) == 1
    assert re.search(r"bad\.837:seg \d+ @\d+: not an X12 interchange", errors[0])
    assert "Traceback" not in result.output


def test_bad_feed_exits_2_naming_file_and_line(tmp_path):
    paths, _ = batch(tmp_path)
    feed = tmp_path / "broken.csv"
    feed.write_text(
        "order_id,member_id,ordering_npi,valid_from,valid_to,s_codes,"
        "s0354_max_months,pathway_eligible_id,status\n"
        "O1,M1,1234567893,2026-01-01,2026-13-01,S0354,,,authorized\n"
    )
    result = CliRunner().invoke(main, ["check", "--authorizations", str(feed), str(paths[0])])
    assert result.exit_code == 2
    assert "broken.csv:2: valid_to '2026-13-01' is not an ISO date" in result.stderr


def test_outputs_277ca_999_split_annotate(tmp_path):
    paths, feeds = batch(tmp_path)
    out = tmp_path / "out"
    result = invoke(
        [
            "check",
            "-q",
            "--format",
            "csv",
            "-o",
            str(tmp_path / "r.csv"),
            *feeds,
            "--277ca",
            f"{out}/acks/",
            "--999",
            str(out / "all.999"),
            "--accepted",
            f"{out}/acc/",
            "--rejected",
            f"{out}/rej/",
            "--annotate",
            f"{out}/ann/",
            "--control-number",
            "500",
            *map(str, paths),
        ]
    )
    assert result.exit_code == 1
    acks = sorted((out / "acks").iterdir())
    assert [a.name for a in acks] == ["batch00.837.277ca", "batch01.837.277ca"]
    trn = set()
    for ack in acks:
        for seg in read_segments(ack):
            if seg.id == "TRN" and seg[1] == "2" and seg[2] not in ("1P1",):
                trn.add(seg[2])
            if seg.id == "STC" and seg.elements[1].split(":")[0] not in ("A1", "A2"):
                assert seg.elements[1].split(":")[0] in {"A3", "A6", "A7", "A8"}
    assert {"INIT", "EST", "LATER", "UB"} <= trn
    text999 = (out / "all.999").read_text()
    assert text999.count("ISA*") == 2 and "IK5*A" in text999
    accepted = _claim_ids(out / "acc")
    rejected = _claim_ids(out / "rej")
    assert accepted == {"INIT", "LATER"} and rejected == {"EST", "UB"}
    annotated = (out / "ann" / "batch01.837.annotated.txt").read_text()
    assert "^^ SC002 reject" in annotated
    rows = (tmp_path / "r.csv").read_text().splitlines()
    assert rows[0].startswith("file,claim_id") and len(rows) == 1 + 4


def _claim_ids(folder):
    ids = set()
    for path in folder.iterdir():
        ids |= {s[1] for s in read_segments(path) if s.id == "CLM"}
    return ids


def test_html_report_is_valid_and_lists_rejections_first(tmp_path):
    paths, feeds = batch(tmp_path)
    target = tmp_path / "r.html"
    invoke(["check", "-q", "--format", "html", "-o", str(target), *feeds, *map(str, paths)])
    text = target.read_text()
    assert text.startswith("<!DOCTYPE html>")
    # lxml's strict parser must accept the page (no stray markup), then query it
    html.document_fromstring(text, parser=html.HTMLParser(recover=False))
    doc = html.fromstring(text)
    assert doc.find(".//title").text == "edi837 report"
    rows = doc.xpath("//table[not(@class)]//tr[td]")
    statuses = [r.get("class") for r in rows]
    first_table = doc.xpath("(//table[not(@class)])[1]//tr[td]/@class")
    assert first_table == sorted(first_table, key=lambda s: s != "rejected")
    assert "rejected" in statuses and "accepted" in statuses
    links = doc.xpath("//a[starts-with(@href, '#rule-')]/@href")
    assert links and all(doc.get_element_by_id(h[1:]) is not None for h in links)
    assert "http" not in "".join(doc.xpath("//@src | //link/@href"))


def test_output_file_is_written_atomically(tmp_path, monkeypatch):
    paths, feeds = batch(tmp_path)
    target = tmp_path / "report.json"
    target.write_text("previous")
    import edi837.writers.report as report_module

    def boom(self, verdict):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report_module.JsonReport, "claim", boom)
    result = CliRunner().invoke(
        main, ["check", "-q", "--format", "json", "-o", str(target), *feeds, str(paths[0])]
    )
    assert result.exit_code != 0
    assert target.read_text() == "previous"
    assert not list(tmp_path.glob(".report.json*"))


def test_text_report_names_where_what_why_fix(tmp_path):
    paths, feeds = batch(tmp_path)
    out = invoke(["check", "-q", *feeds, *map(str, paths)]).stdout
    block = out[out.index("REJECTED  claim EST") :]
    assert "SC005 reject: S0354 on 2026-03-22 is 20 days after S0353 on 2026-03-02" in block
    assert re.search(r"at line 1 2400 seg \d+ \(DTP\) @\d+", block)
    assert "fix:" in block and "why: bcbsma-s-code-reimbursement.txt" in block


def test_policies_commands():
    listing = invoke(["policies"]).stdout
    assert "bcbsma" in listing and "carelon-ma" in listing and "mop" in listing
    shown = invoke(["policies", "show", "carelon-ma"]).stdout
    assert "eligible_states = AL, AR" in shown and "blue-medicare-advantage" in shown
    toml = invoke(["policies", "show", "mop", "--toml"]).stdout
    assert 'method = "lesser_of_billed"' in toml
    assert CliRunner().invoke(main, ["policies", "show", "nope"]).exit_code == 2


def test_generate_is_deterministic(tmp_path):
    a, b = tmp_path / "a.837", tmp_path / "b.837"
    invoke(["generate", str(a), "--claims", "30", "--seed", "5"])
    invoke(["generate", str(b), "--claims", "30", "--seed", "5"])
    assert a.read_bytes() == b.read_bytes()
    claims = sum(1 for s in read_segments(a) if s.id == "CLM")
    assert claims == 30


def test_review_findings_one_line_errors_and_unique_outputs(tmp_path):
    paths, feeds = batch(tmp_path)
    bad_feed = tmp_path / "latin.csv"
    bad_feed.write_bytes(b"\xff\xfe\x00garbage")
    result = CliRunner().invoke(
        main, ["check", "-q", "--authorizations", str(bad_feed), str(paths[0])]
    )
    assert result.exit_code == 2 and "latin.csv:1: not UTF-8 text" in result.stderr
    result = CliRunner().invoke(
        main,
        [
            "check",
            "-q",
            "--sender-id",
            "X" * 16,
            "--277ca",
            f"{tmp_path}/acks/",
            *feeds,
            str(paths[0]),
        ],
    )
    assert result.exit_code == 2 and "longer than ISA06/ISA08" in result.stderr
    # two inputs with one file name: two acknowledgments, nothing overwritten
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    twins = [tmp_path / "a" / "x.837", tmp_path / "b" / "x.837"]
    for twin, source in zip(twins, paths, strict=True):
        twin.write_bytes(source.read_bytes())
    invoke(["check", "-q", "--277ca", f"{tmp_path}/twins/", *feeds, *map(str, twins)])
    acks = sorted(p.name for p in (tmp_path / "twins").iterdir())
    assert acks == ["001-x.837.277ca", "002-x.837.277ca"]
    # the acknowledgment echoes the input's ISA15 (the generator writes test files: T)
    isa = (tmp_path / "twins" / acks[0]).read_text()[:106]
    assert isa.split("*")[15] == "T"


# -- start-up cost: a plain check imports only what it runs ---------------------------
# Each of these cost every run milliseconds before its first segment; they are
# imported where used (their own tests cover that they still work when used).
NOT_FOR_A_PLAIN_CHECK = (
    "jsonschema",  # the shipped policy is proven valid without it
    "hashlib",  # blake2b comes from _blake2 (edi837.hashing)
    "xml.etree.ElementTree",  # the TR3 map comes from its cache
    "zipfile",
    "gzip",
    "difflib",
    "traceback",
    "importlib.resources",
    "edi837.spark",
    "edi837.store.schema",
    "edi837.store.migrations",
    "edi837.cli_history",
    "edi837.cli_data",
    "edi837.cli_rules",
    "edi837.cli_run",
    "edi837.writers.ack_277ca",
    "edi837.writers.ack_999",
    "edi837.writers.ack_ta1",
    "edi837.writers.split",
    "edi837.writers.annotate",
)


@pytest.mark.slow
def test_plain_check_imports_nothing_it_does_not_run(tmp_path):
    import subprocess
    import sys

    paths = Scenario(tmp_path).file(s_claim("OK")).paths()
    out = tmp_path / "report.json"
    code = (
        "import sys\n"
        "from edi837.cli import main\n"
        "try:\n"
        f"    main(['check', '--quiet', '--no-history', '--format', 'json',"
        f" '--output', {str(out)!r}, {str(paths[0])!r}])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        f"print(' '.join(m for m in {NOT_FOR_A_PLAIN_CHECK!r} if m in sys.modules))\n"
    )
    # No edi837.toml upward of tmp_path can change what runs; HOME keeps it there. The
    # first run compiles the TR3 map into EDI837_HOME's cache; the second is the one
    # every later run is. (Long option names: click looks a short one up among the long
    # ones first, and imports difflib to suggest one.)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "EDI837_HOME": str(tmp_path)}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [] and json.loads(out.read_text())["claims"]


def test_every_command_is_listed_and_looked_up_by_its_own_name():
    from edi837.cli import SUBCOMMANDS

    names = ["check", *(name for name, _, _ in SUBCOMMANDS)]
    assert list(main.commands) == names
    for name in names:
        assert main.commands[name].name == name
        assert main.get_command(None, name) is main.commands[name]  # type: ignore[arg-type]
    assert "nope" not in main.commands and main.get_command(None, "nope") is None  # type: ignore[arg-type]
    help_text = invoke(["--help"]).output
    assert all(f"  {name} " in help_text for name in names)


def test_blake2b_is_hashlibs_own():
    import hashlib

    from edi837.hashing import blake2b

    assert blake2b is hashlib.blake2b
    assert (
        blake2b(b"837", digest_size=16).hexdigest()
        == hashlib.blake2b(b"837", digest_size=16).hexdigest()
    )
