"""pyx12's checks outside its map walk, and the maps' element regexes, against pyx12.

pyx12's reader (``x12file``) checks HL01/HL02 numbering, LX01 per claim, trailing
element separators, empty segments and duplicate GS06/ST02; its 999 has no IK3 for the
numbering ones, so the comparison here is with the errors pyx12 *logs* (``Line:<segment
ordinal> SEG:HL1 - ...``): on every mutant, the set of (segment ordinal, kind) pyx12
logs equals ours, and the rest of its 999 (IK3, IK4) equals ours as in
tests/test_tr3_differential.py. Then the 999 we write for each kind, which pyx12 must
itself validate.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi837.claim.builder import ClaimReader
from edi837.cli import main
from edi837.synth import generate_file
from edi837.x12.pyx12_adapter import _run_validator, pyx12_validate
from edi837.x12.tr3 import validate_path
from edi837.x12.tr3.validator import TR3Validator
from tests.test_tr3_differential import _fix_se, assert_same

KINDS = frozenset({"HL1", "HL2", "LX", "SEG1", "EMPTY", "REGEX", "ST23", "GS6"})
_LOGGED = re.compile(r"Line:(\d+) (SEG|ELE|ST|GS|ISA):(\S+) - (.*)")
_ISSUE_KINDS = {"ST02_DUPLICATE": "ST23", "GS06_DUPLICATE": "GS6"}


def pyx12_logged(path: Path) -> set[tuple[int, str]]:
    """(segment ordinal, kind) of the errors in ``KINDS`` pyx12 logs for ``path``."""
    _, messages = _run_validator(path)
    out: set[tuple[int, str]] = set()
    for message in messages:
        found = _LOGGED.search(message)
        if found is None:
            continue
        line, level, code, text = int(found[1]), found[2], found[3], found[4]
        if level == "SEG" and code == "8" and text.endswith("is empty"):
            code = "EMPTY"
        elif level == "ELE" and code == "7" and "regular expression" in text:
            code = "REGEX"
        elif level in ("ST", "GS"):
            code = level + code
        if code in KINDS:
            out.add((line, code))
    return out


def ours(path: Path) -> set[tuple[int, str]]:
    """The same kinds from the default check's reading pass (validator and envelope)."""
    validator = TR3Validator()
    reader = ClaimReader(path, validator=validator)
    for _ in reader:
        pass
    out = {
        (i.position.ordinal, _ISSUE_KINDS[i.code])
        for i in reader.tracker.issues
        if i.code in _ISSUE_KINDS
    }
    for err in validator.errors:
        if err.kind:
            out.add((err.ordinal, err.kind))
        elif err.element is not None and "guide's pattern" in err.element.what:
            out.add((err.ordinal, "REGEX"))
    return out


def assert_agree(path: Path, expect: bool = True) -> set[tuple[int, str]]:
    theirs = pyx12_logged(path)
    mine = ours(path)
    assert mine == theirs, f"{path.name}: ours-pyx12 {mine - theirs} pyx12-ours {theirs - mine}"
    if expect:
        assert theirs, f"{path.name}: the mutation gave pyx12 nothing to report"
    assert_same(path)  # and the 999's IK3/IK4 (HL, LX, SE left out) agree as well
    return mine


def _base(tmp: Path, form: str, seed: int = 5, claims: int = 5, **kw) -> str:
    path = tmp / f"base-{form}.837"
    generate_file(path, claims=claims, seed=seed, form=form, **kw)
    return path.read_text(encoding="latin-1")


def _write(tmp: Path, name: str, segs: list[str]) -> Path:
    path = tmp / name
    path.write_text(_fix_se("~".join(segs)), encoding="latin-1")
    return path


def _not_found(path: Path, ordinal: int) -> bool:
    """Does the walk find no place for the segment at ``ordinal`` (IK304 1)?"""
    return any(e.ordinal == ordinal and e.code == "1" for e in validate_path(path))


def _body_indexes(segs: list[str], sid: str) -> list[int]:
    return [i for i, s in enumerate(segs) if s.strip().startswith(sid + "*")]


# -- HL numbering (pyx12 HL1, HL2) ----------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("form,seed", [("837P", 1), ("837I", 2)])
def test_hl_numbering_agrees_with_pyx12(form: str, seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    segs = _base(tmp_path, form, seed, claims=6, claims_per_st=3).split("~")
    hls = _body_indexes(segs, "HL")
    seen = set()
    for n in range(40):
        mutant = list(segs)
        i = rng.choice(hls)
        parts = mutant[i].split("*")
        j = rng.choice([1, 2])
        own = int(parts[1])
        parts[j] = rng.choice([str(own + 1), str(own - 1), "0" + parts[j], "X", " 1", "9"])
        mutant[i] = "*".join(parts)
        if j == 2 and parts[3].startswith("20"):
            continue  # 2000A HL02 is "not used": the map's error, not the numbering's
        seen |= {k for _, k in assert_agree(_write(tmp_path, f"hl{n}.837", mutant), False)}
    assert {"HL1", "HL2"} <= seen


def test_hl01_out_of_order_rejects_the_set_in_the_999(tmp_path: Path) -> None:
    text = _base(tmp_path, "837P").replace("HL*2*1*22*", "HL*3*1*22*", 1)
    code, report, ack = _check(tmp_path, text)
    assert code == 2 and all(c["status"] == "rejected" for c in report["claims"])
    assert "IK3*HL*12*2000*8~" in ack and "IK4*1*628*I12*3~" in ack and "IK5*R*5~" in ack
    assert pyx12_validate(ack)[0]


def test_hl02_not_a_parent_is_reported(tmp_path: Path) -> None:
    text = _base(tmp_path, "837I").replace("HL*2*1*22*", "HL*2*7*22*", 1)
    path = tmp_path / "hl2.837"
    path.write_text(text, encoding="latin-1")
    # HL 2's bad parent also empties pyx12's stack: the next 2000B's HL02 1 is no parent
    assert (14, "HL2") in assert_agree(path)
    code, _, ack = _check(tmp_path, text)
    assert code == 2 and "IK4*2*734*I12*7~" in ack and "IK5*R*5~" in ack
    assert pyx12_validate(ack)[0]


def test_hl04_and_hl03_levels_are_not_numbering_errors(tmp_path: Path) -> None:
    """pyx12 accepts an HL04 of 1 with no child (only the code list is checked), and an
    HL02 naming any HL still open above (the grandparent too): so do we."""
    base = _base(tmp_path, "837P")
    for a, b in [("HL*2*1*22*0", "HL*2*1*22*1")]:
        path = tmp_path / "hl04.837"
        path.write_text(base.replace(a, b, 1), encoding="latin-1")
        assert assert_agree(path, expect=False) == set()
        assert ours(path) == set()


# -- LX numbering (pyx12 LX) -----------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("form,seed", [("837P", 3), ("837I", 4)])
def test_lx_numbering_agrees_with_pyx12(form: str, seed: int, tmp_path: Path) -> None:
    """837P only: pyx12 does not count LX under its 837I map (id 837Q3), nor do we."""
    rng = random.Random(seed)
    segs = _base(tmp_path, form, seed, claims=6).split("~")
    lxs = _body_indexes(segs, "LX")
    for n in range(30):
        mutant = list(segs)
        i = rng.choice(lxs)
        own = int(mutant[i].split("*")[1])
        value = rng.choice([str(own + 1), str(own - 1), f"0{own}", "7", f"{own}.0"])
        mutant[i] = mutant[i].split("*")[0] + "*" + value
        if rng.random() < 0.3:  # or drop a line: the next ones are then out of order
            del mutant[rng.choice(lxs)]
        assert_agree(_write(tmp_path, f"lx{n}.837", mutant), expect=form == "837P")


def test_lx01_out_of_order_rejects_only_its_claim(tmp_path: Path) -> None:
    base = _base(tmp_path, "837P")
    text = base.replace("LX*2~", "LX*3~", 1)
    code, report, ack = _check(tmp_path, text)
    assert code == 1
    assert sum(c["status"] == "rejected" for c in report["claims"]) == 1
    assert "*2400*8~" in ack and "CTX*CLM01:" in ack and "IK4*1*554*I12*3~" in ack
    assert "IK5*E*5~" in ack
    assert pyx12_validate(ack)[0]


# -- segment shape: trailing separators (SEG1), empty segments ----------------------
@pytest.mark.slow
@pytest.mark.parametrize("form,seed", [("837P", 5), ("837I", 6)])
def test_trailing_separators_and_empty_segments_agree(form: str, seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    segs = _base(tmp_path, form, seed, claims=5).split("~")
    body = [
        i
        for i, s in enumerate(segs)
        if s.strip() and s.strip()[:3] not in ("ISA", "IEA", "GS*", "GE*", "ST*", "SE*")
    ]
    seen = set()
    skipped = 0
    for n in range(40):
        mutant = list(segs)
        i = rng.choice(body)
        if rng.random() < 0.7:
            mutant[i] += rng.choice(["*", "**", ":"])
        else:  # every element emptied, separators kept (or none at all)
            parts = mutant[i].split("*")
            mutant[i] = rng.choice(["*".join([parts[0]] + [""] * (len(parts) - 1)), parts[0]])
        path = _write(tmp_path, f"shape{n}.837", mutant)
        if _not_found(path, i + 1):
            skipped += 1  # pyx12 moves its error onto the next segment it finds: not copied
            continue
        seen |= {k for _, k in assert_agree(path, False)}
    assert {"SEG1", "EMPTY"} <= seen and skipped < 20


def test_whitespace_before_the_terminator_is_no_trailing_separator(tmp_path: Path) -> None:
    """``DMG*D8*...*F* ~``: pyx12 sees a last element " " (no SEG1); our tokenizer
    strips the space, and must not then call the ``*`` a trailing separator."""
    base = _base(tmp_path, "837P")
    dmg = re.search(r"DMG\*D8\*\d+\*[MFU]", base)[0]
    path = tmp_path / "pad.837"
    path.write_text(base.replace(dmg + "~", dmg + "* ~", 1), encoding="latin-1")
    assert ours(path) == set()
    assert pyx12_logged(path) == set()


def test_trailing_separator_inside_a_claim_rejects_that_claim(tmp_path: Path) -> None:
    base = _base(tmp_path, "837P")
    text = base.replace("LX*1~", "LX*1*~", 1)
    code, report, ack = _check(tmp_path, text)
    assert code == 1
    assert sum(c["status"] == "rejected" for c in report["claims"]) == 1
    assert "*2400*8~" in ack and "CTX*CLM01:" in ack and "IK5*E*5~" in ack
    assert pyx12_validate(ack)[0]


# -- the maps' element regexes (837I 2010AA N403, 837P REF*SY REF02) ------------------
@pytest.mark.parametrize("zip_code", ["02140", "0214060610", "02140-6061", "021406061"])
def test_837i_billing_provider_zip_agrees(zip_code: str, tmp_path: Path) -> None:
    base = _base(tmp_path, "837I")
    n4 = re.search(r"NM1\*85\*[^~]*~\s*N3\*[^~]*~\s*(N4\*[^~]*)~", base)[1]
    parts = n4.split("*")
    parts[3] = zip_code
    path = tmp_path / "zip.837"
    path.write_text(base.replace(n4, "*".join(parts), 1), encoding="latin-1")
    # pyx12 *searches* [0-9]{9}: ten digits pass, ZIP+4 with a dash does not
    expect = zip_code in ("02140", "02140-6061")
    found = assert_agree(path, expect=expect)
    assert {k for _, k in found} == ({"REGEX"} if expect else set())


def test_837p_billing_provider_zip_has_no_pattern(tmp_path: Path) -> None:
    base = _base(tmp_path, "837P")
    n4 = re.search(r"NM1\*85\*[^~]*~\s*N3\*[^~]*~\s*(N4\*[^~]*)~", base)[1]
    parts = n4.split("*")
    parts[3] = "02140"
    path = tmp_path / "zip.837"
    path.write_text(base.replace(n4, "*".join(parts), 1), encoding="latin-1")
    assert assert_agree(path, expect=False) == set()


def test_837p_ssn_ref_agrees(tmp_path: Path) -> None:
    segs = _base(tmp_path, "837P").split("~")
    i = next(k for k, s in enumerate(segs) if s.strip().startswith("DMG*"))
    for n, value in enumerate(["12345678", "123456789", "123-45-6789"]):
        mutant = segs[: i + 1] + ["\nREF*SY*" + value] + segs[i + 1 :]
        found = assert_agree(_write(tmp_path, f"sy{n}.837", mutant), expect=value != "123456789")
        assert {k for _, k in found} == ({"REGEX"} if value != "123456789" else set())


def test_837i_zip_in_the_999_rejects_the_set(tmp_path: Path) -> None:
    base = _base(tmp_path, "837I")
    n4 = re.search(r"NM1\*85\*[^~]*~\s*N3\*[^~]*~\s*(N4\*[^~]*)~", base)[1]
    parts = n4.split("*")
    parts[3] = "02140"
    code, report, ack = _check(tmp_path, base.replace(n4, "*".join(parts), 1))
    assert code == 2 and all(c["status"] == "rejected" for c in report["claims"])
    assert "IK3*N4*" in ack and "*2010*8~" in ack and "IK4*3*116*7*02140~" in ack
    assert "IK5*R*5~" in ack and pyx12_validate(ack)[0]


# -- duplicate control numbers (pyx12 GS 6, ST 23) ------------------------------------
def test_duplicate_st02_in_a_group_agrees_and_rejects_that_set(tmp_path: Path) -> None:
    text = _base(tmp_path, "837P", claims=4, claims_per_st=2)
    text = text.replace("ST*837*0002*", "ST*837*0001*").replace("*0002~\nGE", "*0001~\nGE")
    path = tmp_path / "st.837"
    path.write_text(text, encoding="latin-1")
    assert {k for _, k in assert_agree(path)} == {"ST23"}
    code, report, ack = _check(tmp_path, text)
    assert code == 2
    assert [c["status"] for c in report["claims"]] == ["accepted"] * 2 + ["rejected"] * 2
    assert ack.count("IK5*A~") == 1 and "IK5*R*23~" in ack
    assert pyx12_validate(ack)[0]


def test_st02_repeated_in_another_group_is_no_error(tmp_path: Path) -> None:
    text = _base(tmp_path, "837P", claims=4, claims_per_st=2)
    group = text[text.index("GS*") : text.index("IEA*")]
    second = group.replace("*1*X*005010", "*2*X*005010").replace("GE*2*1~", "GE*2*2~")
    path = tmp_path / "st2.837"
    path.write_text(text.replace("IEA*1*", second + "IEA*2*"), encoding="latin-1")
    assert assert_agree(path, expect=False) == set()


def test_duplicate_gs06_in_an_interchange_agrees_and_rejects_the_group(tmp_path: Path) -> None:
    text = _base(tmp_path, "837P", claims=4, claims_per_st=2)
    group = text[text.index("GS*") : text.index("IEA*")]
    text = text.replace("IEA*1*", group + "IEA*2*")
    path = tmp_path / "gs.837"
    path.write_text(text, encoding="latin-1")
    assert {k for _, k in assert_agree(path)} == {"GS6"}
    code, report, ack = _check(tmp_path, text)
    assert code == 2
    assert [c["status"] for c in report["claims"]] == ["accepted"] * 4 + ["rejected"] * 4
    assert "AK9*A*2*2*2~" in ack and "AK9*R*2*2*0*6~" in ack
    assert pyx12_validate(ack)[0]


def test_isa11_equal_to_isa16_is_a_warning_only(tmp_path: Path) -> None:
    """pyx12 never looks at ISA11: a repetition separator equal to the component
    separator is read without complaint, so it rejects nothing here either."""
    text = _base(tmp_path, "837P").replace("*1200*^*00501*", "*1200*:*00501*", 1)
    assert "*:*00501*" in text
    path = tmp_path / "isa11.837"
    path.write_text(text, encoding="latin-1")
    assert pyx12_logged(path) == set() and pyx12_validate(path)[0]
    code, report, _ = _check(tmp_path, text)
    assert code == 0 and all(c["status"] == "accepted" for c in report["claims"])
    assert any("ISA11" in w for w in report["files"][0]["warnings"])


def _check(tmp_path: Path, text: str) -> tuple[int, dict, str]:
    path = tmp_path / "in.837"
    path.write_text(text, encoding="latin-1")
    ack = tmp_path / "out.999"
    result = CliRunner().invoke(
        main, ["check", "-q", "--no-history", "--format", "json", "--999", str(ack), str(path)]
    )
    return result.exit_code, json.loads(result.stdout), ack.read_text()
