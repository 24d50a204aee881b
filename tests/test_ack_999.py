"""999 (005010X231A1) writer: syntax answers per group and set, in the input's separators."""

from __future__ import annotations

import contextlib
import io
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from edi837.claim.builder import ClaimReader
from edi837.cli import main
from edi837.errors import UnsupportedVersionError
from edi837.synth.spec import ClaimSpec, LineSpec
from edi837.synth.writer import render_837
from edi837.writers.ack_999 import syntax_rejected_999_needed, write_999
from edi837.x12.pyx12_adapter import pyx12_validate
from edi837.x12.separators import Separators
from edi837.x12.tokenizer import SegmentReader

WHEN = date(2026, 11, 3)


def pyx12_errors(text: str) -> list[str]:
    """Validate with pyx12 against the map its GS08 names; the ERROR records it logged."""
    ok, errors = pyx12_validate(text)
    assert ok or errors, "pyx12 said invalid without logging why"
    return errors


def claims(n: int, form: str = "837P", prefix: str = "C") -> list[ClaimSpec]:
    day = date(2026, 1, 5)
    return [
        ClaimSpec(f"{prefix}{i}", f"M{i}", [LineSpec("S0354", day)], form=form)
        for i in range(1, n + 1)
    ]


def tracker_of(text: str):
    reader = ClaimReader(io.BytesIO(text.encode("latin-1")), name="in.837")
    list(reader)
    return reader.tracker


def ack(text: str, **kw) -> tuple[int, str]:
    out = io.StringIO(newline="")
    options = {
        "sender_id": "EDI837",
        "receiver_id": "SUBMITTER01",
        "control_number": 7,
        "date_": WHEN,
        **kw,
    }
    count = write_999(out, tracker_of(text), **options)
    return count, out.getvalue()


def segments(text: str) -> list[list[str]]:
    return [s.elements for s in SegmentReader(io.BytesIO(text.encode("latin-1")), name="999")]


def body(text: str) -> list[list[str]]:
    """The 999's segments between ST and SE."""
    return [el for el in segments(text) if el[0] not in ("ISA", "GS", "ST", "SE", "GE", "IEA")]


def test_clean_input_is_accepted() -> None:
    text = render_837(claims(3), claims_per_st=2)
    tracker = tracker_of(text)
    assert not syntax_rejected_999_needed(tracker)
    count, out = ack(text)
    assert count == 1
    assert pyx12_errors(out) == []
    assert body(out) == [
        ["AK1", "HC", "1", "005010X222A1"],
        ["AK2", "837", "0001", "005010X222A1"],
        ["IK5", "A"],
        ["AK2", "837", "0002", "005010X222A1"],
        ["IK5", "A"],
        ["AK9", "A", "2", "2", "2"],
    ]


def test_se_count_error_rejects_the_set() -> None:
    text = render_837(claims(2))
    se = next(el for el in segments(text) if el[0] == "SE")
    text = text.replace(f"SE*{se[1]}*", f"SE*{int(se[1]) + 1}*")
    assert syntax_rejected_999_needed(tracker_of(text))
    _, out = ack(text)
    assert pyx12_errors(out) == []
    assert body(out)[1:] == [
        ["AK2", "837", "0001", "005010X222A1"],
        ["IK5", "R", "4"],
        ["AK9", "R", "1", "1", "0"],
    ]


def test_partial_acceptance_and_segment_errors() -> None:
    text = render_837(claims(4), claims_per_st=2)
    text = text.replace("LX*1~", "LX*1~ZZQ*1~", 1)  # unknown segment in set 1
    text = text.replace("ST*837*0002*005010X222A1", "ST*837*0002*005010X223A2")  # set 2
    _, out = ack(text)
    assert pyx12_errors(out) == []
    b = body(out)
    ik3 = [el for el in b if el[0] == "IK3"]
    in_set = [s for s in segments(text) if s[0] not in ("ISA", "GS")]
    zzq = next(i for i, s in enumerate(in_set) if s[0] == "ZZQ") + 1
    assert ik3[0] == ["IK3", "ZZQ", str(zzq), "", "1"]
    assert ik3[1] == ["IK3", "ST", "1", "", "8"]
    assert ["IK4", "3", "1705", "7", "005010X223A2"] in b
    # the extra segment also makes SE01 wrong (IK502 4)
    assert [el for el in b if el[0] == "IK5"] == [["IK5", "R", "5", "4"], ["IK5", "R", "6"]]
    assert b[-1] == ["AK9", "R", "2", "2", "0"]


def test_one_999_per_group_with_partial_group() -> None:
    text = render_837(claims(2) + claims(2, "837I", "I"), claims_per_st=1)
    text = text.replace("SE*", "SE*9", 1)  # first 837P set miscounted
    count, out = ack(text)
    assert count == 2
    assert pyx12_errors(out) == []
    segs = segments(out)
    assert [el[2] for el in segs if el[0] == "ST"] == ["0007", "0008"]
    assert [el[:3] for el in segs if el[0] == "AK1"] == [["AK1", "HC", "1"], ["AK1", "HC", "2"]]
    assert [el for el in segs if el[0] == "AK9"] == [
        ["AK9", "P", "2", "2", "1"],
        ["AK9", "A", "2", "2", "2"],
    ]
    assert segs[-2] == ["GE", "2", "7"]


def test_group_level_error_rejects_every_set() -> None:
    text = render_837(claims(2), claims_per_st=1).replace("GE*2*", "GE*3*")
    _, out = ack(text)
    assert pyx12_errors(out) == []
    b = body(out)
    assert [el for el in b if el[0] == "IK5"] == [["IK5", "R"], ["IK5", "R"]]
    # AK902 is GE01 as sent (3), AK903 the sets received (2); AK905 5: the count differs
    assert b[-1] == ["AK9", "R", "3", "2", "0", "5"]


def test_group_control_number_mismatch_is_ak905_4() -> None:
    """GE02 != GS06: the sets are rejected with the group, and AK9 says why (4)."""
    text = render_837(claims(2), claims_per_st=1)
    gs06 = next(el for el in segments(text) if el[0] == "GS")[6]
    text = text.replace(f"GE*2*{gs06}~", "GE*2*99999~")
    assert "GE*2*99999~" in text
    _, out = ack(text)
    assert pyx12_errors(out) == []
    b = body(out)
    assert [el for el in b if el[0] == "IK5"] == [["IK5", "R"], ["IK5", "R"]]
    assert b[-1] == ["AK9", "R", "2", "2", "0", "4"]


def test_both_group_trailer_errors_are_reported() -> None:
    text = render_837(claims(2), claims_per_st=1)
    gs06 = next(el for el in segments(text) if el[0] == "GS")[6]
    text = text.replace(f"GE*2*{gs06}~", "GE*1*99999~")
    _, out = ack(text)
    assert pyx12_errors(out) == []
    assert body(out)[-1] == ["AK9", "R", "1", "2", "0", "4", "5"]


def test_unreadable_ge01_falls_back_to_the_count_found() -> None:
    text = render_837(claims(2), claims_per_st=1).replace("GE*2*", "GE*X*")
    _, out = ack(text)
    assert pyx12_errors(out) == []
    assert body(out)[-1] == ["AK9", "R", "2", "2", "0", "5"]


def test_input_separators_are_kept() -> None:
    seps = Separators("|", "!", ">", "~")
    text = render_837(claims(2), separators=seps, line_ending="\r\n")
    text = text.replace("SE|", "SE|9", 1)
    _, out = ack(text, line_ending="\r\n")
    assert out.startswith("ISA|00|") and out.split("\r\n")[0].endswith("|>~")
    assert len(out.split("\r\n")[0]) == 106
    assert "*" not in out and ":" not in out
    assert pyx12_errors(out) == []
    assert ["IK5", "R", "4"] in body(out)
    _, plain = ack(text, separators=Separators())
    assert plain.startswith("ISA*00*") and pyx12_errors(plain) == []


def test_control_numbers_are_derived_and_deterministic() -> None:
    text = render_837(claims(1))
    _, first = ack(text, control_number=123456789)
    _, again = ack(text, control_number=123456789)
    assert first == again
    segs = segments(first)
    assert segs[0][13] == "123456789" and segs[1][6] == "123456789"
    assert segs[2] == ["ST", "999", "123456789", "005010X231A1"]
    assert segs[-3] == ["SE", str(len(segs) - 4), "123456789"]
    assert segs[-1] == ["IEA", "1", "123456789"]


def test_oracle_catches_a_broken_999() -> None:
    _, out = ack(render_837(claims(1)))
    assert pyx12_errors(out.replace("IK5*A", "IK5*Q"))


def test_truncated_file_and_garbage_segment() -> None:
    text = render_837(claims(3))
    text = text.replace("LX*1~", "LX*1~@@garbage~", 1)
    text = text[: text.index("SE*")]  # no SE, GE or IEA
    _, out = ack(text)
    assert pyx12_errors(out) == []
    b = body(out)
    assert [el for el in b if el[0] == "IK3"][0][1] == "ZZZ"  # IK301 must be an id
    # 5 segment in error, 2 no SE; 1: the interchange (no IEA) was not accepted either
    assert [el for el in b if el[0] == "IK5"] == [["IK5", "R", "5", "2", "1"]]
    assert b[-1] == ["AK9", "R", "1", "1", "0", "3", "1"]


def test_no_group_means_no_999() -> None:
    text = render_837(claims(1))
    text = text[: text.index("GS*")]
    assert ack(text) == (0, "")


def refused_tracker(text: str):
    """The tracker of a file the reader refused part-way (the error is the report's)."""
    reader = ClaimReader(io.BytesIO(text.encode("latin-1")), name="in.837")
    with contextlib.suppress(UnsupportedVersionError):
        list(reader)
    return reader.tracker


def test_gs08_4010_group_is_answered_version_not_supported() -> None:
    # A 5010 interchange carrying a 4010 group (GS08 004010X098A1) is refused, but the
    # group is answered: AK9*R with AK905 2 (functional group version not supported).
    text = render_837(claims(1), version_label="004010X098A1")
    out = io.StringIO(newline="")
    count = write_999(
        out, refused_tracker(text), sender_id="EDI837", receiver_id="S1", control_number=7,
        date_=WHEN,
    )  # fmt: skip
    assert count == 1
    assert body(out.getvalue()) == [
        ["AK1", "HC", "1", "004010X098A1"],
        ["AK9", "R", "0", "0", "0", "2"],
    ]
    assert pyx12_errors(out.getvalue()) == []


def _check_999(tmp_path: Path, text: str) -> tuple[int, list[list[str]]]:
    source = tmp_path / "in.837"
    source.write_text(text, encoding="ascii")
    ack_path = tmp_path / "out.999"
    result = CliRunner().invoke(
        main,
        ["--no-config", "check", "-q", "--no-history", "-o", str(tmp_path / "r.txt"),
         "--999", str(ack_path), str(source)],
        env={"EDI837_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    return result.exit_code, body(ack_path.read_text())


def test_file_refused_part_way_accepts_no_group(tmp_path: Path) -> None:
    # A second ISA that cannot be read makes the file unreadable: none of its claims
    # is judged or answered by a 277CA, so its 999 must not say the set was accepted.
    text = render_837(claims(2)) + "ISA*00*CUT SHORT~"
    code, b = _check_999(tmp_path, text)
    assert code == 2
    assert [el for el in b if el[0] in ("IK5", "AK9")] == [
        ["IK5", "R", "1"],
        ["AK9", "R", "1", "1", "0", "1"],
    ]


def test_a_stray_segment_after_the_iea_is_an_error_that_rejects_no_set(
    tmp_path: Path,
) -> None:
    # As pyx12 answers it: the complete interchange before it is read, judged and
    # accepted; the stray segment is the file's error (exit 2, no set to answer it in).
    text = render_837(claims(2)) + "STC*A1:20*20261102~"
    code, b = _check_999(tmp_path, text)
    assert code == 2
    assert [el for el in b if el[0] in ("IK5", "AK9")] == [
        ["IK5", "A"],
        ["AK9", "A", "1", "1", "1"],
    ]


def test_a_footer_after_the_iea_is_not_a_refusal(tmp_path: Path) -> None:
    # Text with no element separator after a complete interchange (a gateway's footer)
    # is a warning: the set is read, judged and accepted as pyx12 accepts it.
    text = render_837(claims(2)) + "\n-- end of transmission --\n"
    code, b = _check_999(tmp_path, text)
    assert code == 0
    assert [el for el in b if el[0] in ("IK5", "AK9")] == [
        ["IK5", "A"],
        ["AK9", "A", "1", "1", "1"],
    ]


def test_5010_group_before_a_refused_4010_group_is_not_accepted(tmp_path: Path) -> None:
    first = render_837(claims(1))
    second = render_837(claims(1, prefix="D"), version_label="004010X098A1", gs_control=2)
    text = first[: first.index("IEA*")] + second[second.index("GS*") : second.index("IEA*")]
    code, b = _check_999(tmp_path, text + "IEA*2*000000001~")
    assert code == 2
    assert [el for el in b if el[0] in ("AK1", "IK5", "AK9")] == [
        ["AK1", "HC", "1", "005010X222A1"],
        ["IK5", "R", "1"],
        ["AK9", "R", "1", "1", "0", "1"],
        ["AK1", "HC", "2", "004010X098A1"],
        ["AK9", "R", "0", "0", "0", "2"],
    ]


def test_composite_error_has_no_composite_id_in_ik402(tmp_path: Path) -> None:
    # A required composite missing (CLM05, C023): IK402 is a data element number (N0),
    # which a composite's id is not, so the IK4 leaves it out and the 999 stays valid.
    text = render_837(claims(1)).replace("CLM*C1*300***11:B:1*", "CLM*C1*300****")
    code, b = _check_999(tmp_path, text)
    assert code == 1
    assert ["IK4", "5", "", "1"] in b
    assert pyx12_errors((tmp_path / "out.999").read_text()) == []


def test_overlong_group_control_number_is_ak905_6() -> None:
    """GS06 of 11 digits breaks GS06's N0 1/9: the group is rejected (AK905 6, group
    control number violates syntax) and AK102 carries the same number in at most 9
    digits (its leading zeros dropped), so the 999 itself stays valid."""
    text = render_837(claims(1)).replace("*1200*1*X*", "*1200*00000000042*X*", 1)
    text = text.replace("GE*1*1~", "GE*1*00000000042~")
    _, out = ack(text)
    assert pyx12_errors(out) == []
    b = body(out)
    assert b[0] == ["AK1", "HC", "42", "005010X222A1"]
    assert [el for el in b if el[0] == "IK5"] == [["IK5", "R"]]
    assert b[-1] == ["AK9", "R", "1", "1", "0", "6"]
