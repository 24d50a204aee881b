"""The published report schema is honest: reports validate, drift is caught."""

import json

import pytest
from click.testing import CliRunner

from edi837.cli import main
from edi837.verdicts import Finding
from tests.report_schema import validate_report
from tests.scenario import Scenario, days, s_claim


def _paths(tmp_path):
    sc = Scenario(tmp_path).file(
        s_claim("INIT", "S0353", days(0)), s_claim("EST", "S0354", days(20))
    )
    return [str(p) for p in sc.paths()]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_reports_validate(tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    result = CliRunner().invoke(
        main, ["check", "-q", "--no-history", "--format", fmt, "-o", str(out), *_paths(tmp_path)]
    )
    assert result.exit_code == 1
    assert validate_report(out.read_text()) >= 1


def test_the_hook_catches_a_field_the_schema_does_not_know(tmp_path, monkeypatch):
    original = Finding.to_json
    monkeypatch.setattr(Finding, "to_json", lambda self: {**original(self), "extra": 1})
    result = CliRunner().invoke(
        main, ["check", "-q", "--no-history", "--format", "json", *_paths(tmp_path)]
    )
    # The hook's AssertionError is an internal error to the CLI: one line, exit 3.
    assert result.exit_code == 3
    assert "report.schema.json" in result.output


def test_jsonl_run_record_is_allowed():
    run = {
        "type": "run",
        "schema": "edi837.report/1",
        "policy": "bcbsma",
        "policy_source": "bcbsma (shipped)",
        "notes": ["no --providers feed"],
    }
    summary = {
        "type": "summary",
        "schema": "edi837.report/1",
        "files": 0,
        "unreadable_files": 0,
        "claims": 0,
        "accepted": 0,
        "rejected": 0,
        "s_code_lines": 0,
        "expected_reimbursement": "0.00",
        "findings_by_rule": {},
    }
    assert validate_report(json.dumps(run) + "\n" + json.dumps(summary)) == 2
    with pytest.raises(AssertionError):
        validate_report(
            json.dumps({**run, "schema": "edi837.report/2"}) + "\n" + json.dumps(summary)
        )
