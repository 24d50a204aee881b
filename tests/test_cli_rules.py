"""`edi837 rules [CODE]` and `edi837 schema NAME` (through CliRunner)."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from edi837.cli import main
from edi837.rules import RULES
from edi837.rules.explain import EXAMPLES
from edi837.schemas import SCHEMAS
from edi837.stc_codes import CATEGORY_DEFINITIONS, STATUS_CODES

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_rules_lists_every_code():
    result = invoke("rules")
    assert result.exit_code == 0
    listed = re.findall(r"^(\S+)\s", result.output, flags=re.M)
    assert listed == sorted(RULES)


def test_rule_explained_with_resolved_parameter():
    result = invoke("rules", "SC005")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("SC005: S0354 at least 30 days after S0353")
    assert "Why:" in out and "day 30 is accepted" in out
    assert "s0354_gap_after_s0353_days = 30" in out
    assert 'quote:  "S0354 cannot be reimbursed within 30 days' in out
    assert "A7:259" in out and "Frequency of service" in out
    assert "Rejected for Invalid Information" in out
    assert "Example finding:" in out and "SC005 reject:" in out


def test_rule_parameter_follows_the_policy():
    out = invoke("rules", "SC007", "--policy", "carelon-ma").output
    assert "s0354_max_months = default 5" in out
    assert "blue-medicare-advantage-enhanced-reimbursement-faq.txt" in out


def test_rules_json_and_lowercase_code():
    result = invoke("rules", "sc008", "--format", "json")
    data = json.loads(result.output)
    assert data["code"] == "SC008" and data["parameter"] is None and data["citation"]
    assert [(s["branch"], s["code"]) for s in data["stc"]] == [
        (None, "A7:84"),
        ("missing", "A6:252:DK"),
        ("matched", "A6:252:DK"),
        ("unknown", "A7:252:DK"),
        ("other_member", "A8:252:IL"),
        ("outside_dates", "A8:84"),
        ("not_awarded", "A8:84"),
        ("no_date", "A6:187"),
    ]
    missing = data["stc"][1]
    assert missing["entity"] == "DK" and missing["entity_meaning"] == "Ordering Physician"
    assert "requires use of an Entity Code" in missing["status_meaning"]
    assert data["stc"][0]["status_meaning"] == "Service not authorized"
    assert data["example"]["rule"] == "SC008"
    everything = json.loads(invoke("rules", "--format", "json").output)
    assert [d["code"] for d in everything] == sorted(RULES)


def test_rules_shows_the_second_code_732_needs():
    """STC10 of SC001 in text and JSON: the specific code its 732 needs."""
    text = invoke("rules", "SC001").output
    assert "A8:732" in text and "STC10 A8:454: 454: Procedure code for services rendered" in text
    assert "277CA A8:732 + STC10 A8:454" in text  # the example finding's answer
    [usual] = json.loads(invoke("rules", "SC001", "--format", "json").output)["stc"]
    assert usual["stc10"]["code"] == "A8:454" and usual["branch"] is None
    sc008 = invoke("rules", "SC008").output
    assert "(branch: outside_dates)" in sc008
    assert "277CA A7:252:DK" in sc008  # the example (unknown order id) as its branch answers


def test_unknown_rule_exits_2_with_the_nearest():
    result = invoke("rules", "SC08")
    assert result.exit_code == 2
    assert result.output == (
        "edi837: error: unknown rule 'SC08' (did you mean 'SC008'?); `edi837 rules` lists them\n"
    )


def test_rule_level_under_a_policy_with_a_rules_table(tmp_path):
    from edi837.policy import policy_text

    path = tmp_path / "p.toml"
    path.write_text(policy_text("bcbsma")[0] + '\n[rules]\nSC007 = "warning"\n')
    data = json.loads(invoke("rules", "SC007", "--format", "json", "--policy", str(path)).output)
    assert data["level"] == "warning"


@pytest.mark.slow
@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_has_an_example_and_known_stc(code):
    assert code in EXAMPLES
    data = json.loads(invoke("rules", code, "--format", "json").output)
    for stc in data["stc"]:
        assert "not in edi837's table" not in stc["category_meaning"] + stc["status_meaning"]


def test_status_table_covers_every_code_the_rules_send():
    sent = set()
    for path in (ROOT / "edi837" / "rules").glob("*.py"):
        text = path.read_text()
        sent |= set(re.findall(r'stc="A\d:(\d+)', text))
        sent |= set(re.findall(r'status_code="(\d+)"', text))
    for rule in RULES.values():
        for _, stc in rule.answers():
            sent.add(stc.status)
            if stc.detail:
                sent.add(stc.detail.split(":")[1])
    sent.add("19")  # the 277CA's receipt and accepted answer, A1:19
    assert sent <= set(STATUS_CODES), sent - set(STATUS_CODES)
    assert {f"A{n}" for n in range(1, 9)} <= set(CATEGORY_DEFINITIONS)


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_command_prints_a_valid_2020_12_schema(name):
    result = invoke("schema", name)
    assert result.exit_code == 0
    schema = json.loads(result.output)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_unknown_name_is_a_usage_error():
    assert invoke("schema", "claims").exit_code == 2


@pytest.mark.parametrize("code", [f"STR00{n}" for n in range(1, 8)])
def test_structure_rule_explained_like_an_s_code_rule(code):
    result = invoke("rules", code)
    assert result.exit_code == 0
    out = result.output
    assert out.startswith(f"{code}: {RULES[code].title}")
    why = out.split("Why:\n", 1)[1].split("\n\n", 1)[0]
    assert len(why.split()) > 10  # the rule's own docstring, not an empty section
