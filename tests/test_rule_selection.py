"""--select / --ignore / --warn and the policy's [rules] table (through CliRunner)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from edi837.cli import main
from edi837.policy import policy_text
from edi837.rules.selection import RuleSelection, RuleSelectionError, expand, selectable_codes
from edi837.verdicts import Finding, Severity
from tests.scenario import Scenario, days, s_claim


def batch(tmp_path):
    sc = Scenario(tmp_path).file(
        s_claim("INIT", "S0353", days(0)),
        s_claim("EST", "S0354", days(20)),  # SC005: within 30 days of S0353
    )
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
    return [*feeds, *map(str, paths)]


def check(args):
    result = CliRunner().invoke(main, ["check", "-q", "--no-history", "--format", "json", *args])
    report = json.loads(result.stdout) if result.exit_code in (0, 1) else None
    return result, report


def statuses(report):
    return {c["claim_id"]: c["status"] for c in report["claims"]}


def test_default_rejects(tmp_path):
    result, report = check(batch(tmp_path))
    assert result.exit_code == 1
    assert statuses(report)["EST"] == "rejected"


@pytest.mark.parametrize(
    "option",
    [
        ["--ignore", "SC005"],
        ["--ignore", "SC00"],
        ["--ignore", "SC001,SC005"],
        ["--ignore", "SC001", "--ignore", "sc005"],
    ],
)
def test_ignored_rule_does_not_fire(tmp_path, option):
    result, report = check([*option, *batch(tmp_path)])
    assert result.exit_code == 0, result.output
    est = next(c for c in report["claims"] if c["claim_id"] == "EST")
    assert est["status"] == "accepted"
    assert not [f for f in est["findings"] if f["rule"] == "SC005"]
    assert any("turned off (--ignore)" in n and "SC005" in n for n in report["notes"])


def test_warned_rule_warns_and_claim_is_accepted(tmp_path):
    result, report = check(["--warn", "SC005", *batch(tmp_path)])
    assert result.exit_code == 0
    est = next(c for c in report["claims"] if c["claim_id"] == "EST")
    assert est["status"] == "accepted"
    assert [f["severity"] for f in est["findings"] if f["rule"] == "SC005"] == ["warning"]
    assert "rules turned down to warnings (--warn): SC005" in report["notes"]


def test_select_applies_only_the_selected_rules(tmp_path):
    result, report = check(["--select", "SC012", *batch(tmp_path)])
    assert result.exit_code == 0
    assert statuses(report)["EST"] == "accepted"
    off = next(n for n in report["notes"] if "(--select)" in n)
    assert "SC005" in off and "SC012" not in off


def test_unknown_code_exits_2_with_the_nearest(tmp_path):
    result, _ = check(["--select", "SC0O5", *batch(tmp_path)])
    assert result.exit_code == 2
    assert "'SC0O5' names no rule (did you mean 'SC005'?)" in result.output


def test_env001_cannot_be_turned_off(tmp_path):
    result, _ = check(["--ignore", "ENV001", *batch(tmp_path)])
    assert result.exit_code == 2 and "ENV001 cannot be selected" in result.output


def _policy_with_rules(tmp_path, table):
    text, _ = policy_text("bcbsma")
    path = tmp_path / "payer.toml"
    path.write_text(text + "\n[rules]\n" + table, encoding="utf-8")
    return str(path)


def test_policy_rules_table_and_cli_wins(tmp_path):
    args = batch(tmp_path)
    policy = _policy_with_rules(tmp_path, 'SC005 = "off"\n')
    result, report = check(["--policy", policy, *args])
    assert result.exit_code == 0 and statuses(report)["EST"] == "accepted"
    assert any(n.startswith("rules turned off (policy ") and "SC005" in n for n in report["notes"])
    # The command line wins: --select brings SC005 back, --warn turns it down.
    result, report = check(["--policy", policy, "--select", "SC00", *args])
    assert result.exit_code == 1 and statuses(report)["EST"] == "rejected"
    policy = _policy_with_rules(tmp_path, 'SC005 = "warning"\n')
    result, report = check(["--policy", policy, *args])
    assert result.exit_code == 0 and statuses(report)["EST"] == "accepted"
    result, report = check(["--policy", policy, "--ignore", "SC005", *args])
    est = next(c for c in report["claims"] if c["claim_id"] == "EST")
    assert not [f for f in est["findings"] if f["rule"] == "SC005"]


def test_policy_rules_unknown_code_and_level(tmp_path):
    args = batch(tmp_path)
    result, _ = check(["--policy", _policy_with_rules(tmp_path, 'SC099 = "off"\n'), *args])
    assert result.exit_code == 2 and "payer.toml [rules] SC099" in result.output
    result, _ = check(["--policy", _policy_with_rules(tmp_path, 'SC005 = "mute"\n'), *args])
    assert result.exit_code == 2
    assert "rules.SC005 = 'mute': must be one of reject, warning, off" in result.output


def test_run_accepts_the_same_options(tmp_path):
    (tmp_path / "in").mkdir()
    result = CliRunner().invoke(
        main,
        [
            "run",
            "-q",
            "--inbox",
            str(tmp_path / "in"),
            "--outbox",
            str(tmp_path / "out"),
            "--history",
            "none",
            "--warn",
            "SC0Q7",
        ],
    )
    assert result.exit_code == 2 and "did you mean 'SC007'?" in result.output


@given(st.sampled_from(sorted(set(c[:n] for c in selectable_codes() for n in (3, 4, 5, 6)))))
def test_a_prefix_expands_to_the_codes_it_starts(prefix):
    assert expand(prefix) == [c for c in selectable_codes() if c.startswith(prefix)]


@given(st.sampled_from(selectable_codes()), st.sampled_from(list(Severity)))
def test_apply_turns_rejections_down_and_drops_off_rules(code, severity):
    finding = Finding(code, severity, "m")
    warned = RuleSelection.build(warn=[code]).apply([finding])
    assert len(warned) == 1
    assert warned[0].severity == (Severity.WARNING if severity is Severity.REJECT else severity)
    assert RuleSelection.build(ignore=[code]).apply([finding]) == []
    assert RuleSelection.build().apply([finding]) == [finding]


def test_unknown_level_in_build():
    with pytest.raises(RuleSelectionError, match="not one of reject, warning, off"):
        RuleSelection.build({"SC001": "loud"})


@pytest.mark.slow
def test_run_reports_note_the_rules_turned_off(tmp_path):
    args = batch(tmp_path)
    inbox = tmp_path / "in"
    inbox.mkdir()
    for path in args[6:]:
        (inbox / Path(path).name).write_bytes(Path(path).read_bytes())
    outbox = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "run",
            "-q",
            "--inbox",
            str(inbox),
            "--outbox",
            str(outbox),
            "--history",
            "none",
            *args[:6],
            "--ignore",
            "SC005",
        ],
    )
    assert result.exit_code == 0, result.output
    (report_path,) = (outbox / "reports").glob("*.json")
    report = json.loads(report_path.read_text())
    assert "rules turned off (--ignore): SC005" in report["notes"]
    assert {c["status"] for c in report["claims"]} == {"accepted"}
