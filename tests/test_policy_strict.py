"""Strict policies (issue 11 item 7): every bad profile is exit 2 with one line per problem
naming the file and ``table.key``; nothing is screened."""

import codecs
import re
from datetime import date

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


# -- the quick schema walk (edi837.schemas.quick) -------------------------------------
# A run asks jsonschema only about a policy the quick walk cannot prove valid, so the
# walk must never call valid what jsonschema rejects; these tests hold it to that.

_ODD_VALUES = [
    -1, 0, 1, 7, 365, 10**10, 1.0, 2.5, -0.5, float("nan"), float("inf"), float("-inf"),
    "", "x", "MA", "XX", "837P", "837I", "UB04", "300.00", "-1", "NaN", "0960", "2012-04-01",
    "April 2012", "reject", "warning", "off", "flat", True, False, [], ["MA"], ["MA", "MA"],
    ["837P", "837P"], ["837P", "837I"], [1, 2], [1.0], [True], {}, {"value": 1},
    {"value": "x"}, {"value": True}, {"value": []}, date(2012, 4, 1), None,
]  # fmt: skip
_ODD_KEYS = ["bogus", "defualt", "SC007", "SC00", "STR", "sc007", "value", "note", "S", "x1"]


def _leaves(data, path=()):
    """Every (path, value) in a parsed policy, tables included."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, (*path, i))


def _mutants(data, rng, count):
    """Copies of ``data`` each broken (or not) in one to three places."""
    import copy

    paths = [p for p, _ in _leaves(data) if p]
    for _ in range(count):
        out = copy.deepcopy(data)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(paths)
            parent = out
            try:
                for part in path[:-1]:
                    parent = parent[part]
                last = path[-1]
                parent[last]  # noqa: B018 - still there after earlier edits?
            except (KeyError, IndexError, TypeError):
                continue
            if not isinstance(parent, dict | list):
                continue
            move = rng.random()
            if move < 0.6:
                parent[last] = copy.deepcopy(rng.choice(_ODD_VALUES))
            elif move < 0.75 and isinstance(parent, dict):
                del parent[last]
            elif isinstance(parent, dict):
                parent[rng.choice(_ODD_KEYS)] = copy.deepcopy(rng.choice(_ODD_VALUES))
            elif isinstance(parent, list):
                parent.append(copy.deepcopy(rng.choice(_ODD_VALUES)))
        yield out


def test_quick_walk_proves_the_shipped_profiles_valid():
    import tomllib

    from edi837.schemas.quick import surely_valid

    schema = load_schema("policy")
    for name in SHIPPED:
        assert surely_valid(tomllib.loads(policy_text(name)[0]), schema), name


@pytest.mark.slow
def test_quick_walk_never_calls_valid_what_jsonschema_rejects():
    import random
    import tomllib

    from edi837.schemas.quick import surely_valid

    schema, check = load_schema("policy"), validator("policy")
    rng = random.Random(837)
    proven = rejected = 0
    for name in SHIPPED:
        data = tomllib.loads(policy_text(name)[0])
        data.setdefault("rules", {"SC007": "warning"})
        for mutant in _mutants(data, rng, 500):
            errors = list(check.iter_errors(mutant))
            if surely_valid(mutant, schema):
                assert not errors, (mutant, [e.message for e in errors])
                proven += 1
            rejected += bool(errors)
    assert proven > 100 and rejected > 700, (proven, rejected)  # both kinds were tried


@pytest.mark.parametrize(("text", "message"), CASES, ids=[m[:40] for _, m in CASES])
def test_quick_walk_leaves_every_bad_case_to_jsonschema(text, message):
    import tomllib

    from edi837.schemas.quick import surely_valid

    assert not surely_valid(tomllib.loads(text), load_schema("policy"))


def test_shipped_policy_loads_without_jsonschema():
    import subprocess
    import sys

    code = (
        "import sys; from edi837.policy import SHIPPED, load_policy\n"
        "for name in SHIPPED: load_policy(name)\n"
        "print('jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
