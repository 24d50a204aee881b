"""``edi837 history import / show / export / info`` on both backends."""

from __future__ import annotations

import csv
import inspect
import io

import click
import pytest
from click.testing import CliRunner

from edi837.cli_history import history
from edi837.synth.spec import PersonSpec
from tests.scenario import DAY0, Scenario, days, rules_of, s_claim, s_line

HEADER = "member_id,procedure,service_date,order_id,form,claim_id\n"


def cli(*args: str):
    return CliRunner().invoke(history, list(args), catch_exceptions=False)


def screen(tmp_path, name, store, *claims):
    folder = tmp_path / name
    folder.mkdir()
    return Scenario(folder).file(*claims).run(history=store)


@pytest.mark.slow
def test_import_seeds_services_that_limit_claims(tmp_path, history_url, open_history):
    paid = tmp_path / "paid.csv"
    paid.write_text(
        HEADER + f"MBR0001,S0354,{days(0)},ORD1001,837P,PAYER-1\n"
        f"MBR0001,s0353,{days(-60)},ORD1001,837P,PAYER-0\n"
    )
    result = cli("import", str(paid), "--history", history_url)
    assert result.exit_code == 0, result.output
    assert "imported 2 service(s) of 2 claim(s) for 1 patient(s)" in result.stderr
    store = open_history(history_url)
    out = screen(
        tmp_path, "r1", store, s_claim("B", "S0354", days(20)), s_claim("C", "S0353", days(40))
    )
    assert rules_of(out["B"]) == {"SC006"} and "PAYER-1" in out["B"].rejections[0].message
    assert "SC004" in rules_of(out["C"])  # S0353 once per patient: the payer paid one


@pytest.mark.slow
def test_import_reads_history_url_from_the_environment(
    tmp_path, history_url, monkeypatch, open_history
):
    paid = tmp_path / "paid.csv"
    paid.write_text(HEADER + f"MBR0001,S0354,{days(0)},ORD1001,837P,PAYER-1\n")
    monkeypatch.setenv("EDI837_HISTORY", history_url)
    assert cli("import", str(paid)).exit_code == 0
    assert len(open_history(history_url).services("MBR0001")) == 1


def test_import_reports_every_bad_row_and_imports_nothing(tmp_path, history_url, open_history):
    paid = tmp_path / "paid.csv"
    paid.write_text(
        HEADER
        + f"MBR0001,S0354,{days(0)},ORD1001,837P,OK-1\n"
        + f"MBR0001,S0355,{days(0)},ORD1001,837P,BAD-1\n"
        + "MBR0001,S0354,03/02/2026,ORD1001,837P,BAD-2\n"
        + f",S0354,{days(0)},ORD1001,837P,BAD-3\n"
        + f"MBR0001,S0354,{days(0)},ORD1001,UB04,BAD-4\n"
    )
    result = cli("import", str(paid), "--history", history_url)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines == [
        f"edi837: error: {paid}:3: procedure 'S0355' is not S0353 or S0354",
        f"edi837: error: {paid}:4: service_date '03/02/2026' is not a date (YYYY-MM-DD)",
        f"edi837: error: {paid}:5: member_id is empty",
        f"edi837: error: {paid}:6: form 'UB04' is not 837P or 837I",
    ]
    assert open_history(history_url).counts()["claim"] == 0


@pytest.mark.slow
def test_import_needs_the_header(tmp_path, history_url):
    paid = tmp_path / "paid.csv"
    paid.write_text(f"MBR0001,S0354,{days(0)},ORD1001,837P,OK-1\n")
    result = cli("import", str(paid), "--history", history_url)
    assert result.exit_code == 2
    assert f"{paid}:1: header lacks column(s)" in result.stderr


@pytest.mark.slow
def test_import_rejects_a_claim_split_across_forms(tmp_path, history_url):
    paid = tmp_path / "paid.csv"
    paid.write_text(
        HEADER + f"MBR0001,S0354,{days(0)},ORD1001,837P,X\n"
        f"MBR0001,S0354,{days(40)},ORD1001,837I,X\n"
    )
    result = cli("import", str(paid), "--history", history_url)
    assert result.exit_code == 2
    assert f"{paid}:3: claim 'X' has form '837I' here but '837P' on line 2" in result.stderr


@pytest.mark.slow
def test_export_import_round_trip(tmp_path, history_urls, open_history):
    source_url, copy_url = history_urls(), history_urls()
    store = open_history(source_url)
    child = PersonSpec("DOE", "KID", DAY0.replace(year=2012))
    screen(
        tmp_path,
        "r1",
        store,
        s_claim("A", "S0354", days(0)),
        s_claim("B", "S0354", days(10)),  # rejected
        s_claim("K", "S0354", days(3), patient=child),
        s_claim("K2", "S0354", days(50), patient=child),
        s_claim(
            "T", "S0354", days(0), lines=[s_line("S0354", days(40)), s_line("S0354", days(80))]
        ),
    )
    screen(
        tmp_path,
        "r2",
        store,
        s_claim("V", "S0354", days(3), frequency="8", ref_f8="K", patient=child),
    )
    exported = tmp_path / "export.csv"
    assert cli("export", "--history", source_url, "-o", str(exported)).exit_code == 0
    rows = list(csv.DictReader(exported.open()))
    # B was rejected; K was voided: neither is exported.
    assert [(r["claim_id"], r["service_date"], r["line"], r["status"]) for r in rows] == [
        ("A", str(days(0)), "1", "accepted"),
        ("T", str(days(40)), "1", "accepted"),
        ("K2", str(days(50)), "1", "accepted"),
        ("T", str(days(80)), "2", "accepted"),
    ]
    assert rows[2]["patient_key"] == "MBR0001/DOE/KID/2012-03-02"
    result = cli("import", str(exported), "--history", copy_url)
    assert result.exit_code == 0, result.output
    copy = open_history(copy_url)
    for patient in ("MBR0001", rows[2]["patient_key"]):
        assert [_key(s) for s in copy.services(patient)] == [
            _key(s) for s in store.services(patient)
        ]
    again = cli("export", "--history", copy_url)
    assert again.stdout == exported.read_text()


def _key(s):
    """A service as the payer sees it (its source file aside)."""
    return (
        s.procedure,
        s.service_date,
        s.units,
        s.claim_id,
        s.form,
        s.order_id,
        s.member_id,
        s.line,
    )


@pytest.mark.slow
def test_export_all_and_reimport_skips_what_never_counted(tmp_path, history_urls, open_history):
    source_url, copy_url = history_urls(), history_urls()
    store = open_history(source_url)
    screen(
        tmp_path,
        "r1",
        store,
        s_claim("A", "S0354", days(0)),
        s_claim("B", "S0354", days(10)),
        s_claim("C", "S0354", days(40)),
    )
    screen(tmp_path, "r2", store, s_claim("CV", "S0354", days(40), frequency="8", ref_f8="C"))
    out = cli("export", "--all", "--history", source_url).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted((r["claim_id"], r["status"]) for r in rows) == [
        ("A", "accepted"),
        ("B", "rejected"),
        ("C", "withdrawn"),
    ]
    exported = tmp_path / "all.csv"
    exported.write_text(out)
    result = cli("import", str(exported), "--history", copy_url)
    assert "skipped 2 row(s) not accepted" in result.stderr
    assert [s.claim_id for s in open_history(copy_url).services("MBR0001")] == ["A"]


@pytest.mark.slow
def test_show_prints_the_timeline_in_date_order(tmp_path, history_url, open_history):
    store = open_history(history_url)
    child = PersonSpec("DOE", "KID", DAY0.replace(year=2012))
    screen(
        tmp_path,
        "r1",
        store,
        s_claim("LATE", "S0354", days(40)),
        s_claim("EARLY", "S0354", days(0)),
        s_claim("NEAR", "S0354", days(50)),
        s_claim("KID", "S0354", days(20), patient=child),
        s_claim("OTHER", "S0354", days(5), member="MBR00010"),
    )
    screen(tmp_path, "r2", store, s_claim("LV", "S0354", days(40), frequency="8", ref_f8="LATE"))
    result = cli("show", "MBR0001", "--history", history_url)
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("MBR0001: 3 S-code service(s), 1 rejected claim(s)")
    body = [line.split() for line in text.splitlines()[3:6]]
    assert [(r[0], r[3], r[7]) for r in body] == [
        (str(days(0)), "EARLY", "accepted"),
        (str(days(20)), "KID", "accepted"),
        (str(days(40)), "LATE", "withdrawn"),
    ]
    assert "ORD1001" in text and "MBR0001/DOE/KID/2012-03-02" in text
    assert "rejected claims (seen, never counted):" in text and "NEAR" in text
    assert "OTHER" not in text
    unknown = cli("show", "NOBODY", "--history", history_url)
    assert unknown.exit_code == 1 and "no S-code history" in unknown.stderr
    assert "NOBODY" not in unknown.stderr  # never a member id in a message


def test_info(history_url):
    result = cli("info", "--history", history_url)
    assert result.exit_code == 0
    assert "schema version: 2" in result.stdout and "claims: 0" in result.stdout


def test_history_none_is_refused():
    result = cli("show", "MBR0001", "--history", "none")
    assert result.exit_code == 2 and "keeps nothing" in result.stderr


def test_default_store_lives_in_edi837_home(edi837_home, tmp_path):
    paid = tmp_path / "paid.csv"
    paid.write_text(HEADER + f"MBR0001,S0354,{days(0)},ORD1001,837P,PAYER-1\n")
    assert cli("import", str(paid)).exit_code == 0
    assert (edi837_home / "history.db").exists()
    assert "PAYER-1" in cli("show", "MBR0001").stdout


@pytest.mark.parametrize("name", ["import", "show", "export", "info", None])
def test_every_command_has_help_ending_with_an_example(name):
    command = history if name is None else history.commands[name]
    assert isinstance(command, click.Command)
    text = CliRunner().invoke(history, [name, "--help"] if name else ["--help"]).stdout
    assert "Example: edi837 history" in text
    last = inspect.cleandoc(command.help or "").splitlines()[-1]
    assert last.startswith("Example: edi837 history")


def _allowance_history(tmp_path, store):
    screen(
        tmp_path,
        "r1",
        store,
        s_claim("A", "S0354", days(0)),
        s_claim("B", "S0354", days(10)),  # rejected: SC006
        s_claim("C", "S0354", days(45)),
    )


@pytest.mark.slow
def test_show_gives_reasons_months_and_the_next_date(tmp_path, history_url, open_history):
    _allowance_history(tmp_path, open_history(history_url))
    result = cli("show", "MBR0001", "--history", history_url)
    assert result.exit_code == 0
    text = result.stdout
    assert "SC006: S0354 on 2026-03-12 is 10 days after S0354 on 2026-03-02" in text
    assert "MBR0001: order ORD1001: 2 of 11 month(s) used" in text  # bcbsma: 11
    assert f"next S0354 accepted from {days(75)}" in text


@pytest.mark.slow
def test_show_json_and_csv(tmp_path, history_url, open_history):
    import json

    _allowance_history(tmp_path, open_history(history_url))
    auths = tmp_path / "auths.csv"
    auths.write_text(
        "order_id,member_id,ordering_npi,valid_from,valid_to,s_codes,s0354_max_months,"
        "pathway_eligible_id,status,regimen\n"
        "ORD1001,MBR0001,,2026-01-01,2026-12-31,S0354,8,PE1,authorized,indefinite\n"
    )
    result = cli(
        "show",
        "MBR0001",
        "--history",
        history_url,
        "--format",
        "json",
        "--policy",
        "carelon-ma",
        "--authorizations",
        str(auths),
    )
    assert result.exit_code == 0
    [patient] = json.loads(result.stdout)["patients"]
    assert patient["orders"] == [
        {
            "order_id": "ORD1001",
            "s0354_months_used": 2,
            "s0354_months_allowed": 6,
            "regimen": "indefinite",
        }
    ]
    assert patient["next_s0354"] == str(days(75))
    assert [r["claim_id"] for r in patient["rejected"]] == ["B"]
    assert patient["rejected"][0]["reasons"][0].startswith("SC006: ")
    rows = list(
        csv.DictReader(
            io.StringIO(cli("show", "MBR0001", "--history", history_url, "--format", "csv").stdout)
        )
    )
    kinds = [r["kind"] for r in rows]
    assert kinds.count("service") == 2 and kinds.count("rejected") == 1
    assert next(r for r in rows if r["kind"] == "next_s0354")["date"] == str(days(75))
    assert next(r for r in rows if r["kind"] == "order")["detail"] == "2 of 11 month(s) used"


def test_show_with_a_bad_feed_exits_2(tmp_path, history_url, open_history):
    _allowance_history(tmp_path, open_history(history_url))
    result = cli(
        "show",
        "MBR0001",
        "--history",
        history_url,
        "--authorizations",
        str(tmp_path / "missing.csv"),
    )
    assert result.exit_code == 2 and "cannot open" in result.stderr
