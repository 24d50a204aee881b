"""What each 277CA STC says (issue 14): the answers the rules declare -- entity codes
(STC01-3), the second code 21 and 732 need (STC10), A6/A7/A8 by kind -- written by real
screening runs, and nothing invented. pyx12's X214 map validates every 277CA written."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from edi837.claim.builder import ClaimReader
from edi837.rules import RULES
from edi837.rules.registry import NEEDS_DETAIL, NEEDS_ENTITY
from edi837.screening import Screening
from edi837.stc_codes import ENTITIES, STATUS_CODES
from edi837.store.base import MemoryHistory
from edi837.synth.writer import render_837
from edi837.verdicts import Finding, Severity, Verdict
from edi837.writers.ack_277ca import write_277ca
from edi837.x12.pyx12_adapter import pyx12_validate
from edi837.x12.tokenizer import SegmentReader
from tests.scenario import OUT_NPI, Auth, Scenario, days, s_claim, s_line

WHEN = date(2026, 11, 3)


def write(verdicts: list[Verdict]) -> str:
    out = io.StringIO(newline="")
    write_277ca(
        out,
        verdicts,
        sender_id="EDI837",
        receiver_id="SUBMITTER01",
        control_number=42,
        date_=WHEN,
        line_ending="\n",
    )
    return out.getvalue()


def valid_277ca(verdicts: list[Verdict]) -> str:
    text = write(verdicts)
    ok, errors = pyx12_validate(text)
    assert ok and errors == [], errors
    return text


def segments(text: str) -> list[list[str]]:
    return [s.elements for s in SegmentReader(io.BytesIO(text.encode("latin-1")), name="out")]


def claim_loops(text: str) -> dict[str, dict[str, list[list[str]]]]:
    """CLM01 -> {"STC": [...], "other": [...], "lines": [[SVC, STC, ...], ...]}."""
    loops: dict[str, dict] = {}
    level, current = "", None
    for el in segments(text):
        if el[0] == "HL":
            level, current = el[3], None
        elif el[0] == "TRN" and level == "PT":
            current = loops.setdefault(el[2], {"STC": [], "lines": [], "other": []})
        elif current is None:
            continue
        elif el[0] == "SVC":
            current["lines"].append([el])
        elif current["lines"]:
            current["lines"][-1].append(el)
        elif el[0] == "STC":
            current["STC"].append(el)
        else:
            current["other"].append(el)
    return loops


def stc01(loops, claim_id: str) -> list[str]:
    return [s[1] for s in loops[claim_id]["STC"]]


def stc10(stc: list[str]) -> str:
    return stc[10] if len(stc) > 10 else ""


def run(sc: Scenario) -> tuple[dict[str, Verdict], dict]:
    verdicts = sc.run()
    return verdicts, claim_loops(valid_277ca(list(verdicts.values())))


def screen_text(tmp_path, text: str, **kw) -> list[Verdict]:
    path = tmp_path / "in.837"
    path.write_text(text)
    return list(Screening([path], Scenario(tmp_path, **kw).run_context()).verdicts())


# -- declared with the rule ------------------------------------------------------------


def test_every_declared_answer_meets_its_status_codes_usage_note():
    """252/562/96/677 (and 16/19) carry an entity; 21 and 732 a second, specific code; and
    every code and entity is in edi837's tables (so reports and `rules` can explain it)."""
    for code, rule in RULES.items():
        for branch, stc in rule.answers():
            where = f"{code} {branch or '(usual)'}"
            assert stc.status in STATUS_CODES, where
            if stc.status in NEEDS_ENTITY:
                assert stc.entity in ENTITIES, where
            if stc.status in NEEDS_DETAIL:
                category, status, *_ = stc.detail.split(":")
                assert category == stc.category and status in STATUS_CODES, where
                assert status not in NEEDS_DETAIL, where
            else:
                assert not stc.detail, where


def test_answers_by_kind():
    """Missing data A6, invalid A7, relational A8 (issue 14); units 476, not 259."""
    assert str(RULES["SC001"].stc) == "A8:732 + STC10 A8:454"
    assert str(RULES["SC003"].stc) == "A8:732 + STC10 A8:276"
    assert str(RULES["SC011"].stc) == "A7:476"
    assert STATUS_CODES["476"] == "Missing or invalid units of service"
    assert {b: str(s) for b, s in RULES["SC008"].branches.items()} == {
        "missing": "A6:252:DK",
        "matched": "A6:252:DK",
        "unknown": "A7:252:DK",
        "other_member": "A8:252:IL",
        "outside_dates": "A8:84",
        "not_awarded": "A8:84",
        "no_date": "A6:187",
    }
    assert RULES["STR006"].category == "A6" and RULES["STR004"].category == "A8"


def test_an_undeclared_branch_is_an_error():
    with pytest.raises(KeyError):
        RULES["SC008"].finding("x", branch="made-up")


# -- entity codes, end to end ------------------------------------------------------------


def test_sc009_entity_is_the_provider_checked(tmp_path):
    """Out of network: 96 with DK (837P 2420E) or 71 (837I attending)."""
    auths = [Auth(ordering_npi=OUT_NPI), Auth(order_id="O2", member_id="M2", ordering_npi=OUT_NPI)]
    sc = Scenario(tmp_path, auths=auths).file(
        s_claim("P", line_kw={"ordering_npi": OUT_NPI}),
        s_claim("I", form="837I", member="M2", order="O2", attending_npi=OUT_NPI),
    )
    _, loops = run(sc)
    assert stc01(loops, "P") == ["A7:96:DK"]
    assert stc01(loops, "I") == ["A7:96:71"]
    assert loops["P"]["lines"][0][1][1] == "A7:96:DK"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("auth", "claim_kw", "expected"),
    [
        (Auth(valid_from=date(2025, 1, 1), valid_to=date(2025, 2, 1)), {"order": None},
         "A6:252:DK"),
        (Auth(), {"order": "NOPE"}, "A7:252:DK"),
        (Auth(member_id="OTHER"), {}, "A8:252:IL"),
        (Auth(valid_from=days(1)), {}, "A8:84"),
        (Auth(s_codes="S0353"), {}, "A8:84"),
        (Auth(status="cancelled"), {}, "A7:84"),
    ],
    ids=["missing", "unknown", "other-member", "outside-dates", "not-awarded", "cancelled"],
)  # fmt: skip
def test_sc008_branch_answers(tmp_path, auth, claim_kw, expected):
    verdicts, loops = run(Scenario(tmp_path, auths=[auth]).file(s_claim("X", **claim_kw)))
    assert {f.rule for f in verdicts["X"].rejections} == {"SC008"}
    assert stc01(loops, "X") == [expected]


def test_sc008_837i_missing_order_names_the_attending(tmp_path):
    sc = Scenario(tmp_path, auths=[Auth(valid_from=date(2025, 1, 1), valid_to=date(2025, 2, 1))])
    _, loops = run(sc.file(s_claim("I", form="837I", order=None)))
    assert stc01(loops, "I") == ["A6:252:71"]


BAD_NPI = "1234567890"  # fails the check digit


@pytest.mark.slow
@pytest.mark.parametrize(
    ("claim_kw", "expected"),
    [
        ({"billing_npi": BAD_NPI}, "A7:562:85"),
        ({"rendering_npi": BAD_NPI}, "A7:562:82"),
        ({"referring_npi": BAD_NPI}, "A7:562:DN"),
        ({"line_kw": {"ordering_npi": BAD_NPI}}, "A7:562:DK"),
        ({"form": "837I", "attending_npi": BAD_NPI}, "A7:562:71"),
    ],
    ids=["billing", "rendering", "referring", "ordering", "attending"],
)
def test_str002_entity_is_the_npi_that_failed(tmp_path, claim_kw, expected):
    verdicts, loops = run(Scenario(tmp_path).file(s_claim("B", **claim_kw)))
    assert "STR002" in {f.rule for f in verdicts["B"].rejections}
    assert expected in stc01(loops, "B")


def test_sc010_677_names_the_billing_provider(tmp_path):
    sc = Scenario(tmp_path, policy="carelon-ma").file(s_claim("X", billing_state="TX"))
    verdicts, loops = run(sc)
    assert "SC010" in {f.rule for f in verdicts["X"].rejections}
    assert "A7:677:85" in stc01(loops, "X")


# -- second codes (STC10) ----------------------------------------------------------------


def test_732_carries_its_specific_code_in_stc10(tmp_path):
    claim = s_claim("MIX", lines=[s_line("S0354"), s_line("96413", charge=Decimal("100"))])
    verdicts, loops = run(Scenario(tmp_path).file(claim))
    [stc] = loops["MIX"]["STC"]
    assert stc[1] == "A8:732" and stc10(stc) == "A8:454"
    [line] = loops["MIX"]["lines"]
    assert line[0][1] == "HC:96413" and line[1][1] == "A8:732" and line[1][10] == "A8:454"


def test_sc003_cross_form_is_relational_with_the_claim_form(tmp_path):
    sc = Scenario(tmp_path).file(s_claim("P1")).file(s_claim("U2", form="837I"))
    verdicts, loops = run(sc)
    assert verdicts["P1"].accepted
    assert ("A8:732", "A8:276") in [(s[1], stc10(s)) for s in loops["U2"]["STC"]]


@pytest.mark.slow
def test_tr3_error_is_a3_21_with_684_and_no_line_loop_invents_a_charge(tmp_path):
    """SV102 3X0: one root cause (TR3002), answered A3:21 with 684 (syntax error, see
    the 999) in STC10 (no SC011 "0 units" or STR004 charge-sum finding follows from the
    bad charge). The line gets no 2220D: its SVC02 (required) would be an invented 0;
    the claim's STC12 names the line instead."""
    text = render_837([s_claim("BAD")]).replace("*300*UN*1*", "*3X0*UN*1*", 1)
    assert "*3X0*UN*1*" in text
    [verdict] = screen_text(tmp_path, text)
    assert {f.rule for f in verdict.rejections} == {"TR3002"}
    loops = claim_loops(valid_277ca([verdict]))
    assert [(s[1], stc10(s)) for s in loops["BAD"]["STC"]] == [("A3:21", "A3:684")]
    assert loops["BAD"]["STC"][0][12].startswith("TR3002 line 1 ")
    assert loops["BAD"]["lines"] == []


def test_units_stay_in_svc07_when_another_line_field_is_bad(tmp_path):
    """A rejected line whose charge reads keeps SVC07 = the units as sent (SV104)."""
    claim = s_claim("U2", lines=[s_line(units=Decimal(2))])
    [verdict] = screen_text(tmp_path, render_837([claim]))
    [line] = claim_loops(valid_277ca([verdict]))["U2"]["lines"]
    assert (line[0][2], line[0][7]) == ("300", "2")


def test_line_codes_never_split_a_732_from_its_detail():
    """2220D has three code slots (STC01, STC10, STC11): a 732 and its detail take two;
    a third reason that would not fit with its detail is left to the 2200D STCs."""
    [claim] = list(ClaimReader(io.BytesIO(render_837([s_claim("L")]).encode()), name="x"))
    lx = claim.lines[0].LX01

    def f(rule, cat, status, detail=""):
        return Finding(rule, Severity.REJECT, rule, category=cat, status_code=status,
                       line=lx, detail=detail)  # fmt: skip

    verdict = Verdict(claim, [f("A", "A7", "259"), f("B", "A8", "732", "A8:454"),
                              f("C", "A7", "732", "A7:276")])  # fmt: skip
    loops = claim_loops(valid_277ca([verdict]))
    [line] = loops["L"]["lines"]
    assert line[1][1] == "A7:259" and line[1][10:12] == ["A8:732", "A8:454"]
    assert [(s[1], stc10(s)) for s in loops["L"]["STC"]] == [
        ("A7:259", ""),
        ("A8:732", "A8:454"),
        ("A7:732", "A7:276"),
    ]


# -- units, duplicates, accepted ---------------------------------------------------------


def test_units_answer_476(tmp_path):
    claim = s_claim("U", lines=[s_line(units=Decimal(2))])
    verdicts, loops = run(Scenario(tmp_path).file(claim))
    assert {f.rule for f in verdicts["U"].rejections} == {"SC011"}
    assert stc01(loops, "U") == ["A7:476"]
    assert loops["U"]["lines"][0][0][7] == "2"


def test_duplicate_answers_54(tmp_path):
    one = render_837([s_claim("A")], isa_control=1)
    two = render_837([s_claim("A2")], isa_control=2)
    path = tmp_path / "twice.837"
    path.write_text(one + two)
    ctx = Scenario(tmp_path).run_context()
    first, second = Screening([path], ctx, MemoryHistory()).verdicts()
    loops = claim_loops(valid_277ca([first, second]))
    assert stc01(loops, "A") == ["A1:19:40"]
    [stc] = loops["A2"]["STC"]
    assert stc[1:4] == ["A7:54", "20261103", "U"] and stc[12].startswith("SC016 - duplicate")
    assert loops["A2"]["lines"] == []  # a claim-level answer: no 2220D


def test_accepted_claim_is_received_not_adjudicated_and_carries_its_trace_id(tmp_path):
    """A pre-payer screen answers A1:19 (received; entity 40, the 837's receiver) -- not
    A2:20, which only the payer's adjudication system can say -- and REF*D9 is our
    trace number for the claim (verdict.trace_id)."""
    verdicts, loops = run(Scenario(tmp_path).file(s_claim("OK")))
    v = verdicts["OK"]
    assert v.accepted and v.trace_id.endswith(".OK")
    assert [s[1:4] for s in loops["OK"]["STC"]] == [["A1:19:40", "20261103", "WQ"]]
    assert ["REF", "D9", v.trace_id] in loops["OK"]["other"]


def test_trace_id_wins_over_the_837s_ref_d9_and_a_long_one_is_not_cut():
    [claim] = list(ClaimReader(io.BytesIO(render_837([s_claim("T")]).encode()), name="x"))
    claim.REF_D9 = "UPSTREAM-9"
    loops = claim_loops(valid_277ca([Verdict(claim, [], trace_id="1.2.0001.T")]))
    assert [r for r in loops["T"]["other"] if r[0] == "REF"] == [["REF", "D9", "1.2.0001.T"]]
    loops = claim_loops(valid_277ca([Verdict(claim, [], trace_id="9" * 51)]))
    assert [r for r in loops["T"]["other"] if r[0] == "REF"] == [["REF", "D9", "UPSTREAM-9"]]


# -- nothing invented ------------------------------------------------------------------


def billing_segments(text: str) -> tuple[list[str], list[str]]:
    segs = segments(text)
    i = next(k for k, s in enumerate(segs) if s[:2] == ["NM1", "85"])
    return segs[i], segs[i + 1]


def test_billing_provider_without_npi_takes_the_837s_tax_id():
    text = render_837([s_claim("N")])
    [claim] = list(ClaimReader(io.BytesIO(text.encode()), name="x"))
    assert claim.billing.tax_id == "990000001"  # 2010AA REF*EI, as sent
    claim.billing.npi = ""
    nm1, trn = billing_segments(valid_277ca([Verdict(claim, [])]))
    assert nm1[8:10] == ["FI", "990000001"] and "0000000000" not in nm1
    assert trn == ["TRN", "1", "990000001"]


def test_billing_provider_with_no_identifier_gets_none_invented():
    """Neither NPI nor REF*EI (the 837 broke its own guide): no NM108/NM109 at all, and
    2200C's required TRN02 is our own trace (ISA13-batch-HL), never 0. pyx12's map
    requires NM108/NM109, and that is all it objects to."""
    [claim] = list(ClaimReader(io.BytesIO(render_837([s_claim("N")]).encode()), name="x"))
    claim.billing.npi = claim.billing.tax_id = ""
    text = write([Verdict(claim, [])])
    nm1, trn = billing_segments(text)
    assert len(nm1) <= 8 and "XX" not in nm1
    assert trn == ["TRN", "1", "42-1-3"]
    ok, errors = pyx12_validate(text)
    assert not ok and errors and all("NM108" in e or "NM109" in e for e in errors), errors
