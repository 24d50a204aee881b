"""TR3 validation in the default check: claim vs set rejection, 999 coordinates, root causes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from edi837.cli import main
from edi837.synth import generate_file
from edi837.x12.pyx12_adapter import pyx12_validate


def _file(tmp_path: Path, form: str = "837P") -> str:
    path = tmp_path / "base.837"
    generate_file(path, claims=4, seed=21, form=form)
    return path.read_text(encoding="latin-1")


def _replace_element(text: str, prefix: str, index: int, value: str, nth: int = 0) -> str:
    start = -1
    for _ in range(nth + 1):
        start = text.index(prefix, start + 1)
    end = text.index("~", start)
    parts = text[start:end].split("*")
    parts[index] = value
    return text[:start] + "*".join(parts) + text[end:]


def _check(tmp_path: Path, text: str, *extra: str) -> tuple[int, dict, str]:
    path = tmp_path / "in.837"
    path.write_text(text, encoding="latin-1")
    ack = tmp_path / "out.999"
    result = CliRunner().invoke(
        main,
        ["check", "-q", "--no-history", "--format", "json", "--999", str(ack), *extra, str(path)],
    )
    return result.exit_code, json.loads(result.stdout), ack.read_text()


def _rules(report: dict) -> list[str]:
    return [f["rule"] for c in report["claims"] for f in c["findings"]]


def test_bad_sv102_rejects_its_claim_with_one_finding(tmp_path: Path) -> None:
    text = _replace_element(_file(tmp_path), "SV1*", 2, "3X0")
    code, report, ack = _check(tmp_path, text)
    assert code == 1
    rejected = [c for c in report["claims"] if c["status"] == "rejected"]
    assert len(rejected) == 1
    rules = [f["rule"] for f in rejected[0]["findings"]]
    assert rules.count("TR3002") == 1
    assert not {"STR004", "STR005", "SC011"} & set(rules)
    assert "IK4*2*782*6*3X0~" in ack and "IK5*E*5~" in ack and "CTX*CLM01:" in ack
    assert "*2400*8~" in ack  # IK303 names the loop
    assert pyx12_validate(ack)[0]


def test_bad_dtp03_gives_one_finding(tmp_path: Path) -> None:
    text = _replace_element(_file(tmp_path), "DTP*472*", 3, "20260231")
    code, report, ack = _check(tmp_path, text)
    assert code == 1
    rules = _rules(report)
    assert rules.count("TR3002") == 1
    assert not {"STR003", "STR006"} & set(rules)


def test_root_cause_without_validation(tmp_path: Path) -> None:
    """The reader's own structure checks also stop at the root cause."""
    text = _replace_element(_file(tmp_path), "SV1*", 2, "3X0")
    _, report, _ = _check(tmp_path, text, "--no-validate")
    rules = _rules(report)
    assert rules.count("STR005") == 1
    assert not {"STR004", "SC011"} & set(rules)
    text = _replace_element(_file(tmp_path), "DTP*472*", 3, "20260231")
    _, report, _ = _check(tmp_path, text, "--no-validate")
    rules = _rules(report)
    assert "STR003" in rules and "STR006" not in rules


def test_error_above_the_claims_rejects_the_set(tmp_path: Path) -> None:
    text = _replace_element(_file(tmp_path), "SBR*", 9, "QQ")
    code, report, ack = _check(tmp_path, text)
    assert code == 2
    assert all(c["status"] == "rejected" for c in report["claims"])
    assert "IK5*R*5~" in ack and "IK4*9*1032*7*QQ~" in ack
    assert "CTX" not in ack
    assert pyx12_validate(ack)[0]


def test_long_clm01_and_missing_payer_are_caught(tmp_path: Path) -> None:
    base = _file(tmp_path)
    text = _replace_element(base, "CLM*", 1, "C" * 43)
    _, _, ack = _check(tmp_path, text)
    assert "IK4*1*1028*5*" in ack
    start = base.index("NM1*PR*")
    text = base[:start] + base[base.index("~", start) + 1 :].lstrip("\n")
    _, _, ack = _check(tmp_path, text)
    assert "*3~" in ack and "IK5*R" in ack  # 2010BB required loop missing


def test_no_validate_accepts_what_the_guide_rejects(tmp_path: Path) -> None:
    text = _replace_element(_file(tmp_path), "SBR*", 9, "QQ")
    code, _, ack = _check(tmp_path, text, "--no-validate")
    assert code == 0 and "IK5*A" in ack


def _renumber_hl(text: str, start: int) -> str:
    """Every HL01/HL02 shifted to begin at ``start`` (a set cut out of a bigger file)."""
    out = []
    for seg in text.split("~"):
        if seg.lstrip("\n").startswith("HL*"):
            parts = seg.split("*")
            parts[1] = str(int(parts[1]) + start - 1)
            parts[2] = str(int(parts[2]) + start - 1) if parts[2] else ""
            seg = "*".join(parts)
        out.append(seg)
    return "~".join(out)


def test_hl_numbering_not_from_one_rejects_the_set_as_pyx12_does(tmp_path: Path) -> None:
    # TR3: HL01 begins with 1 and is incremented by one; a consistent hierarchy numbered
    # from 63 (cut out of a bigger file) is still answered IK5*R by pyx12.
    text = _renumber_hl(_file(tmp_path), 63)
    assert "HL*63**20*1~" in text
    assert not pyx12_validate(text)[0]
    code, report, ack = _check(tmp_path, text)
    assert code == 2
    assert all(c["status"] == "rejected" for c in report["claims"])
    assert "IK4*1*628*I12*63~" in ack and "IK5*R*5~" in ack
    # pyx12's parents are its own counts (1, 2, ...): HL02 63 is no parent to it either
    assert "IK4*2*734*I12*63~" in ack
    assert pyx12_validate(ack)[0]


def test_hl_parent_that_is_no_enclosing_hl_is_an_error(tmp_path: Path) -> None:
    base = _file(tmp_path)
    assert "HL*2*1*22*" in base
    text = base.replace("HL*2*1*22*", "HL*2*7*22*", 1)
    code, _, ack = _check(tmp_path, text)
    assert code == 2
    assert "IK4*2*734*I12*7~" in ack and "IK5*R*5~" in ack
    assert pyx12_validate(ack)[0]


def test_lx_out_of_order_rejects_its_claim_only(tmp_path: Path) -> None:
    base = _file(tmp_path)
    assert "LX*1~" in base
    text = base.replace("LX*1~", "LX*2~", 1)
    assert not pyx12_validate(text)[0]
    code, report, ack = _check(tmp_path, text)
    assert code == 1
    rejected = [c for c in report["claims"] if c["status"] == "rejected"]
    assert len(rejected) == 1 and "TR3002" in [f["rule"] for f in rejected[0]["findings"]]
    assert "IK4*1*554*I12*2~" in ack and "IK5*E*5~" in ack
    assert pyx12_validate(ack)[0]


def test_element_regex_of_the_map_is_checked(tmp_path: Path) -> None:
    # pyx12's 837I map gives 2010AA N403 the pattern [0-9]{9} (the TR3's ZIP+4 for the
    # billing provider): a 5-digit ZIP there is IK403 7, and it sits above the claims.
    base = _file(tmp_path, "837I")
    n4 = base.index("N4*", base.index("NM1*85*"))
    zip_start = base.index("*", base.index("*", n4 + 3) + 1) + 1
    zip_end = base.index("~", zip_start)
    assert len(base[zip_start:zip_end]) == 9
    text = base[:zip_start] + "02110" + base[zip_end:]
    assert not pyx12_validate(text)[0]
    code, report, ack = _check(tmp_path, text)
    assert code == 2
    assert all(c["status"] == "rejected" for c in report["claims"])
    assert "IK4*3*116*7*02110~" in ack and "IK5*R*5~" in ack
    assert pyx12_validate(ack)[0]
    # the pattern is searched, as pyx12 does: nine digits anywhere in the value pass
    assert _check(tmp_path, base)[0] == 0
