"""--validate: pyx12's full TR3 validation folded into the 999 and the report."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi837.cli import main
from edi837.x12.pyx12_adapter import pyx12_validate

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "malformed"


def check(*args):
    result = CliRunner().invoke(
        main, ["check", "-q", "--no-history", "--validate", "--format", "json", *args]
    )
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.slow
def test_valid_file_has_no_tr3_findings(tmp_path):
    code, report = check("--999", str(tmp_path / "a.999"), str(FIXTURES / "valid_lf.837"))
    assert code == 0 and report["files"][0]["errors"] == []
    assert "IK5*A" in (tmp_path / "a.999").read_text()


@pytest.mark.slow
def test_tr3_errors_reject_the_set_and_reach_the_999(tmp_path):
    bad = tmp_path / "bad.837"
    text = (FIXTURES / "valid_lf.837").read_text()
    # DMG03 "X" is no gender code: pyx12's code lists catch it, our reader does not.
    bad.write_text(re.sub(r"(DMG\*D8\*\d+\*)[A-Z]", r"\1X", text, count=1))
    ack = tmp_path / "bad.999"
    code, report = check("--999", str(ack), str(bad))
    assert code == 2
    (error,) = report["files"][0]["errors"]
    assert "DMG03" in error and ":seg " in error and " @" in error
    assert all(c["status"] == "rejected" for c in report["claims"])
    assert {f["rule"] for c in report["claims"] for f in c["findings"]} == {"ENV001"}
    text999 = ack.read_text()
    assert "IK3*DMG*" in text999 and "IK4*3*1068*7*X" in text999 and "IK5*R*5" in text999
    valid, messages = pyx12_validate(ack)
    assert valid, messages


def test_errata_label_unknown_to_pyx12_warns_and_does_not_reject():
    code, report = check(str(FIXTURES / "errata_labels.837"))
    assert code == 0
    assert all(c["status"] == "accepted" for c in report["claims"])
    assert any("pyx12" in w for w in report["files"][0]["warnings"])


def test_reader_catches_an_impossible_birth_date_without_pyx12(tmp_path):
    bad = tmp_path / "dob.837"
    bad.write_text(
        (FIXTURES / "valid_lf.837").read_text().replace("DMG*D8*19870630", "DMG*D8*19871330", 1)
    )
    ack = tmp_path / "dob.999"
    result = CliRunner().invoke(
        main, ["check", "-q", "--no-history", "--format", "json", "--999", str(ack), str(bad)]
    )
    assert result.exit_code == 2
    (error,) = json.loads(result.stdout)["files"][0]["errors"]
    assert "DMG02: invalid date" in error
    assert "19871330" not in error  # a member's birth date never goes to stderr
    assert "IK4*2*1251*8*19871330" in ack.read_text()
