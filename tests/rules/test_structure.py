"""STR001-STR007: each structure rule fires when one element of a good synthetic claim
is broken, and is selectable (--ignore, --warn) like any S-code rule."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi837.cli import main
from edi837.policy import load_policy
from edi837.rules import RULES
from edi837.rules.context import RunContext
from edi837.rules.selection import RuleSelection
from edi837.screening import Screening
from edi837.synth.spec import ClaimSpec, LineSpec
from edi837.synth.writer import render_837
from edi837.verdicts import Verdict
from tests.scenario import BILLING_NPI, DAY0, ORDERING_NPI, days

STRUCTURE_RULES = [f"STR00{n}" for n in range(1, 8)]


def _claim(form: str = "837P") -> ClaimSpec:
    return ClaimSpec(
        claim_id="C1",
        member_id="MBR0001",
        form=form,
        ref_g1="ORD1001",
        billing_npi=BILLING_NPI,
        attending_npi=ORDERING_NPI if form == "837I" else None,
        lines=[
            LineSpec("S0354", DAY0, charge=Decimal("300.00"), ordering_npi=ORDERING_NPI),
            LineSpec("S0354", days(35), charge=Decimal("200.00"), ordering_npi=ORDERING_NPI),
        ],
    )


def _segments(form: str = "837P") -> list[str]:
    return render_837([_claim(form)]).split("~")


def _index(segments: list[str], prefix: str, nth: int = 0) -> int:
    return [i for i, s in enumerate(segments) if s.startswith(prefix)][nth]


def _set(segments: list[str], prefix: str, element: int, value: str, nth: int = 0) -> None:
    """Set one element of the nth segment starting with ``prefix``."""
    i = _index(segments, prefix, nth)
    parts = segments[i].split("*")
    parts[element] = value
    segments[i] = "*".join(parts)


def _text(segments: list[str]) -> str:
    """The segments as a file, SE01 recounted (a dropped segment is the claim's problem,
    not an envelope error)."""
    out, count = [], 0
    for seg in segments:
        if seg.startswith("ST*"):
            count = 0
        count += 1
        if seg.startswith("SE*"):
            seg = f"SE*{count}*" + seg.split("*", 2)[2]
        out.append(seg)
    return "~".join(out)


def _screen(tmp_path: Path, segments: list[str], *, tr3: bool = False, **rules) -> Verdict:
    path = tmp_path / "claim.837"
    path.write_text(_text(segments), encoding="latin-1")
    policy = load_policy("bcbsma")
    run = RunContext(policy, tr3=tr3, rules=RuleSelection.build(policy.rules, **rules))
    with Screening([path], run) as screening:
        (verdict,) = screening.verdicts()
        assert not any(f.errors for f in screening.files), screening.files[0].errors
    return verdict


def _structure(verdict: Verdict) -> list[str]:
    return [f.rule for f in verdict.findings if f.rule.startswith("STR") and f.rejects]


@pytest.mark.parametrize("form", ["837P", "837I"])
def test_the_unbroken_claim_has_no_structure_finding(tmp_path, form):
    for tr3 in (False, True):
        assert _structure(_screen(tmp_path, _segments(form), tr3=tr3)) == []


def test_str001_claim_without_service_lines(tmp_path):
    segs = _segments()
    del segs[_index(segs, "LX*") : _index(segs, "SE*")]
    verdict = _screen(tmp_path, segs)
    assert _structure(verdict) == ["STR001"]
    assert "has no service line (2400 LX)" in verdict.rejections[0].message
    # With TR3 validation the missing loop is TR3001's root cause, not also STR001.
    rules = [f.rule for f in _screen(tmp_path, segs, tr3=True).rejections]
    assert "TR3001" in rules and "STR001" not in rules


@pytest.mark.parametrize(
    ("prefix", "element", "why"),
    [
        ("NM1*85*", 9, "billing provider 2010AA NPI"),
        ("NM1*DK*", 9, "ordering provider 2420E NPI"),
    ],
)
def test_str002_npi_check_digit(tmp_path, prefix, element, why):
    segs = _segments()
    npi = segs[_index(segs, prefix)].split("*")[element]
    _set(segs, prefix, element, npi[:-1] + str((int(npi[-1]) + 1) % 10))
    verdict = _screen(tmp_path, segs)
    assert _structure(verdict) == ["STR002"]
    assert why in verdict.rejections[0].message and "check digit" in verdict.rejections[0].message


def test_str002_billing_provider_without_npi(tmp_path):
    segs = _segments()
    _set(segs, "NM1*85*", 8, "")
    _set(segs, "NM1*85*", 9, "")
    assert "STR002" in _structure(_screen(tmp_path, segs))


def test_str003_service_date_not_a_calendar_date(tmp_path):
    segs = _segments()
    _set(segs, "DTP*472*", 3, "20260231")
    verdict = _screen(tmp_path, segs)
    assert _structure(verdict) == ["STR003"]
    assert "'20260231'" in verdict.rejections[0].message


def test_str004_total_charge_does_not_balance(tmp_path):
    segs = _segments()
    _set(segs, "CLM*", 2, "600")
    verdict = _screen(tmp_path, segs)
    assert _structure(verdict) == ["STR004"]
    assert verdict.rejections[0].message == (
        "CLM02 total charge 600 does not equal the sum of line charges 500"
    )
    # The TR3 does not check the balance: STR004 fires with TR3 validation on, too.
    assert _structure(_screen(tmp_path, segs, tr3=True)) == ["STR004"]


@pytest.mark.parametrize(
    ("prefix", "element", "value", "message"),
    [
        ("CLM*", 1, "", "CLM01 (patient control number) is empty"),
        ("CLM*", 2, "5X0", "CLM02 total charge is not a number"),
        ("SV1*", 2, "3X0", "SV102 charge is not a number"),
        ("SV1*", 4, "one", "SV104 units is not a number"),
    ],
)
def test_str005_claim_id_and_amounts(tmp_path, prefix, element, value, message):
    segs = _segments()
    _set(segs, prefix, element, value)
    verdict = _screen(tmp_path, segs)
    assert _structure(verdict) == ["STR005"]  # and no STR004 over an unreadable amount
    assert [f.message for f in verdict.rejections if f.rule == "STR005"] == [message]


def test_str005_unreadable_units_are_not_also_a_units_finding(tmp_path):
    segs = _segments()
    _set(segs, "SV1*", 4, "one")
    assert "SC011" not in {f.rule for f in _screen(tmp_path, segs).findings}


def test_str006_837p_line_without_service_date(tmp_path):
    segs = _segments()
    del segs[_index(segs, "DTP*472*", 1)]
    verdict = _screen(tmp_path, segs)
    assert _structure(verdict) == ["STR006"]
    assert verdict.rejections[0].message.startswith("line 2 has no service date")


def test_str006_does_not_apply_to_837i(tmp_path):
    segs = _segments("837I")
    for i in reversed([i for i, s in enumerate(segs) if s.startswith("DTP*472*")]):
        del segs[i]
    assert "STR006" not in _structure(_screen(tmp_path, segs))


def test_str007_line_without_sv1(tmp_path):
    segs = _segments()
    del segs[_index(segs, "SV1*", 1)]
    _set(segs, "CLM*", 2, "300")  # the line's charge went with its SV1
    verdict = _screen(tmp_path, segs)
    assert _structure(verdict) == ["STR007"]
    assert verdict.rejections[0].message == "line 2 has no SV1/SV2 service segment"
    rules = [f.rule for f in _screen(tmp_path, segs, tr3=True).rejections]
    assert "TR3001" in rules and "STR007" not in rules


def test_structure_rules_are_selectable(tmp_path):
    segs = _segments()
    _set(segs, "CLM*", 2, "600")
    assert _structure(_screen(tmp_path, segs, ignore=["STR004"])) == []
    warned = _screen(tmp_path, segs, warn=["STR004"])
    assert warned.accepted and [f.rule for f in warned.findings] == ["STR004"]
    assert _structure(_screen(tmp_path, segs, select=["SC", "STR004"])) == ["STR004"]
    assert _structure(_screen(tmp_path, segs, select=["SC"])) == []


@pytest.mark.parametrize("code", STRUCTURE_RULES)
def test_structure_rules_are_registered_with_a_check_and_rationale(code):
    rule = RULES[code]
    assert rule.kind == "structure" and rule.check is not None
    assert rule.rationale and rule.rationale.split()[0] not in ("", code)


@pytest.mark.parametrize(
    ("option", "status", "severity"),
    [((), 1, "reject"), (("--warn", "STR004"), 0, "warning"), (("--ignore", "STR004"), 0, None)],
)
def test_structure_rule_selection_on_the_command_line(tmp_path, option, status, severity):
    segs = _segments()
    _set(segs, "CLM*", 2, "600")
    path = tmp_path / "claim.837"
    path.write_text(_text(segs), encoding="latin-1")
    result = CliRunner().invoke(
        main, ["check", "-q", "--no-history", "--format", "json", *option, str(path)]
    )
    assert result.exit_code == status, result.output
    (claim,) = json.loads(result.stdout)["claims"]
    found = [f["severity"] for f in claim["findings"] if f["rule"] == "STR004"]
    assert found == ([severity] if severity else [])
