"""Strict policies (issue 11 item 7): every bad profile is exit 2 with one line per problem
naming the file and ``table.key``; nothing is screened."""

import codecs
import re

import pytest
from click.testing import CliRunner

from edi837.cli import main
from edi837.errors import PolicyError
from edi837.policy import SHIPPED, load_policy, policy_text
from edi837.schemas import load_schema, validator
from tests.scenario import Scenario, s_claim

BASE, _ = policy_text("bcbsma")


def edited(pattern: str, replacement: str) -> str:
    text, n = re.subn(pattern, replacement, BASE, count=1, flags=re.M)
    assert n == 1, pattern
    return text


CASES = [
    (
        edited(r"^default = 11", "defualt = 11"),
        "s0354_max_months.defualt: unknown key (did you mean 'default'?)",
    ),
    (edited(r"^value = 365", "value = -5"), "timely_filing_days.value = -5: must be at least 1"),
    (edited(r'^amount = "300.00"', 'amount = "NaN"'), "fee.amount = 'NaN': must be a finite"),
    (edited(r'^amount = "300.00"', "amount = inf"), "fee.amount = inf: must be a finite"),
    (edited(r'^amount = "300.00"', "amount = nan"), "fee.amount = nan: must be a finite"),
    (edited(r'^amount = "300.00"', 'amount = "-1"'), "fee.amount = '-1': must be a finite"),
    (
        edited(r"^default = 11", 'default = "11"'),
        "s0354_max_months.default = '11': must be an integer",
    ),
    (edited(r"^default = 11", "default = 0"), "s0354_max_months.default = 0: must be at least 1"),
    (
        edited(r'^value = \["837P", "837I"\]', "value = [1, 2]"),
        "allowed_forms.value[0] = 1: must be one of 837P, 837I",
    ),
    (
        edited(r'^value = \["837P", "837I"\]', 'value = ["837P", "UB04"]'),
        "allowed_forms.value[1] = 'UB04': must be one of 837P, 837I",
    ),
    (edited(r"^value = 30", "value = 0"), "s0354_min_interval_days.value = 0: must be at least 1"),
    (edited(r"^value = \[\]", 'value = ["MA", "XX"]'), "eligible_states.value[1] = 'XX'"),
    (edited(r"^value = 1$", "value = true"), "units_per_line.value = True: must be an integer"),
    (
        edited(r'^value = "2012-04-01"', 'value = "April 2012"'),
        "code_effective_date.value = 'April 2012': must be a date YYYY-MM-DD",
    ),
    (BASE + "\n[sc007]\nvalue = 1\n", "unknown table [sc007]"),
    (
        BASE.replace("[one_form]", "[one_fomr]"),
        "unknown table [one_fomr] (did you mean 'one_form'?)",
    ),
    (
        edited(r"^\[profile\]", '[profile]\nnmae = "x"'),
        "profile.nmae: unknown key (did you mean 'name'?)",
    ),
    (
        BASE.replace("[timely_filing_days]\nvalue = 365", "[timely_filing_days]"),
        "timely_filing_days.value: missing",
    ),
]


@pytest.mark.parametrize(("text", "message"), CASES, ids=[m[:40] for _, m in CASES])
def test_bad_policy_is_one_line_naming_file_and_key(tmp_path, text, message):
    path = tmp_path / "payer.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(str(path))
    lines = str(err.value).splitlines()
    assert any(line.startswith(f"{path}: ") and message in line for line in lines), lines


def _screen_with(tmp_path, data: bytes):
    sc = Scenario(tmp_path).file(s_claim("OK"))
    paths = sc.paths()
    policy = tmp_path / "payer.toml"
    policy.write_bytes(data)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        [
            "check",
            "-q",
            "--no-history",
            "--policy",
            str(policy),
            "--format",
            "json",
            "-o",
            str(out),
            str(paths[0]),
        ],
    )
    return result, out


def test_cli_exit_2_and_nothing_screened(tmp_path):
    result, out = _screen_with(tmp_path, edited(r"^value = 365", "value = -5").encode())
    assert result.exit_code == 2
    assert result.output.startswith("edi837: error: ")
    assert "timely_filing_days.value" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_several_problems_are_all_reported(tmp_path):
    text = edited(r"^default = 11", "defualt = 11").replace("value = 365", "value = -5")
    result, _ = _screen_with(tmp_path, text.encode())
    lines = result.output.splitlines()
    assert result.exit_code == 2 and len(lines) == 2
    assert all(line.startswith("edi837: error: ") for line in lines)


def test_latin1_policy_is_one_line(tmp_path):
    text = BASE.replace('payer = "Blue Cross', 'payer = "Blue Crøss')
    result, out = _screen_with(tmp_path, text.encode("latin-1"))
    assert result.exit_code == 2 and len(result.output.splitlines()) == 1
    assert "not UTF-8" in result.output and "payer.toml:" in result.output
    assert not out.exists()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_policy_is_one_line(tmp_path, encoding):
    result, _ = _screen_with(tmp_path, BASE.encode(encoding))
    assert result.exit_code == 2 and len(result.output.splitlines()) == 1
    assert "UTF-16" in result.output


def test_utf8_with_bom_is_read(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(codecs.BOM_UTF8 + BASE.encode())
    assert load_policy(str(path)).timely_filing_days == 365


def test_shipped_profiles_match_the_published_schema():
    import tomllib

    check = validator("policy")
    for name in SHIPPED:
        assert not list(check.iter_errors(tomllib.loads(policy_text(name)[0]))), name
    assert load_schema("policy")["$schema"].endswith("2020-12/schema")
