"""Rule scenarios at the boundaries DOMAIN.md and the seeds draw, per program.

Each test states one DOMAIN.md (or seed) sentence in a comment and screens real 837
files with real feeds (``tests.scenario``), across runs where the sentence is about
history. A few go through the CLI to check the 277CA and the exit status as well.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner

from edi837.cli import main
from edi837.store.base import MemoryHistory
from edi837.synth.spec import LineSpec
from tests.scenario import (
    ORDERING_NPI,
    OTHER_NPI,
    OUT_NPI,
    Auth,
    Scenario,
    days,
    rules_of,
    s_claim,
    s_line,
)

POLICIES = ["bcbsma", "mop", "carelon-ma"]


def program(tmp_path, policy: str, **kw) -> Scenario:
    """A scenario under ``policy``; carelon-ma's providers practise in NY (an eligible
    state, blue-medicare-advantage-enhanced-reimbursement-faq.txt question 1)."""
    sc = Scenario(tmp_path, policy=policy, **kw)
    if policy == "carelon-ma":
        sc.providers = [(npi, name, net, "NY") for npi, name, net, _ in sc.providers]
    return sc


def claim(policy: str, claim_id: str, procedure: str = "S0354", day=None, **kw):
    if policy == "carelon-ma":
        kw.setdefault("billing_state", "NY")
    return s_claim(claim_id, procedure, day if day is not None else days(0), **kw)


# -- DOMAIN.md section 5: "a second S0354 needs a service date at least 30 days after the
# previous reimbursed one (previous + 30 or later)"; every program says "once per 30 days".


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(("gap", "accepted"), [(29, False), (30, True)])
def test_s0354_interval_across_runs_per_program(tmp_path, policy, gap, accepted):
    store = MemoryHistory()
    first = program(tmp_path / "a", policy).file(claim(policy, "A", day=days(0)))
    assert first.run(history=store)["A"].accepted
    v = program(tmp_path / "b", policy).file(claim(policy, "B", day=days(gap))).run(history=store)
    assert v["B"].accepted is accepted
    if not accepted:
        assert rules_of(v["B"]) == {"SC006"}
        assert (v["B"].rejections[0].category, v["B"].rejections[0].status_code) == ("A7", "259")


@pytest.mark.parametrize(("gap", "accepted"), [(29, False), (30, True)])
def test_two_s0354_on_one_claim(tmp_path, gap, accepted):
    # DOMAIN.md section 5 (day 29 rejected, day 30 accepted) and section 4: "A rejected
    # line rejects its whole claim".
    two = s_claim("TWO", lines=[s_line("S0354", days(0)), s_line("S0354", days(gap))])
    v = Scenario(tmp_path).file(two).run()["TWO"]
    assert v.accepted is accepted
    if not accepted:
        assert rules_of(v) == {"SC006"} and v.rejections[0].line == 2


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(("gap", "accepted"), [(29, False), (30, True)])
def test_s0354_after_s0353_across_runs_per_program(tmp_path, policy, gap, accepted):
    # DOMAIN.md section 2, every program: S0354 "not within 30 days of S0353".
    store = MemoryHistory()
    program(tmp_path / "a", policy).file(claim(policy, "INIT", "S0353")).run(history=store)
    v = program(tmp_path / "b", policy).file(claim(policy, "EST", day=days(gap))).run(history=store)
    assert v["EST"].accepted is accepted
    if not accepted:
        assert rules_of(v["EST"]) == {"SC005"}


def test_interval_is_measured_from_the_accepted_s0354_across_runs(tmp_path):
    # DOMAIN.md section 4: "A rejected claim never counts toward frequency history".
    store = MemoryHistory()
    Scenario(tmp_path / "a").file(s_claim("A", day=days(0))).run(history=store)
    b = Scenario(tmp_path / "b").file(s_claim("B", day=days(20))).run(history=store)
    assert rules_of(b["B"]) == {"SC006"}
    c = Scenario(tmp_path / "c").file(s_claim("C", day=days(30))).run(history=store)
    assert c["C"].accepted  # 30 days after A; B (10 days before C) was never reimbursed


def test_files_out_of_date_order_get_date_order_verdicts(tmp_path):
    # DOMAIN.md section 5: the interval runs from the previous service *date*, whichever
    # file carries it first.
    sc = Scenario(tmp_path)
    sc.file(s_claim("LATE", day=days(30)))
    sc.file(s_claim("EARLY", day=days(0)))
    sc.file(s_claim("MIDDLE", day=days(15)))
    v = sc.run()
    assert v["EARLY"].accepted and v["LATE"].accepted
    assert rules_of(v["MIDDLE"]) == {"SC006"}


# -- months: "Up to N months" counts S0354 units per authorization (DOMAIN.md section 5).


def test_mop_uses_the_authorizations_own_months(tmp_path):
    # DOMAIN.md section 2, Medical Oncology Program: "up to the maximum months the
    # program specified for that authorization".
    sc = Scenario(tmp_path, policy="mop", auths=[Auth(s0354_max_months="2")])
    v = sc.file(*[s_claim(f"M{i}", day=days(30 * i)) for i in range(3)]).run()
    assert [v[f"M{i}"].accepted for i in range(3)] == [True, True, False]
    assert rules_of(v["M2"]) == {"SC007"}


def test_carelon_months_count_across_runs(tmp_path):
    # DOMAIN.md section 2, Blue Medicare Advantage: "5 as issued"; the count is kept in
    # history, so the sixth month in a later run is still the sixth.
    store = MemoryHistory()
    first = program(tmp_path / "a", "carelon-ma")
    first.file(*[claim("carelon-ma", f"M{i}", day=days(30 * i)) for i in range(5)])
    assert all(x.accepted for x in first.run(history=store).values())
    later = program(tmp_path / "b", "carelon-ma").file(claim("carelon-ma", "M5", day=days(150)))
    v = later.run(history=store)["M5"]
    assert rules_of(v) == {"SC007"} and "limit is 5" in v.rejections[0].message


# -- authorization: the order's valid date range, inclusive (DOMAIN.md section 2).


@pytest.mark.parametrize(("offset", "accepted"), [(0, True), (1, False)])
def test_837i_statement_date_against_the_valid_to_date(tmp_path, offset, accepted):
    # DOMAIN.md section 3: an 837I line without DTP*472 takes the claim's DTP*434.
    sc = Scenario(tmp_path, auths=[Auth(valid_from=days(-30), valid_to=days(0))])
    day = days(offset)
    ub = s_claim(
        "UB",
        form="837I",
        lines=[LineSpec(procedure="S0354", service_date=None)],
        statement_from=day,
        statement_to=day,
    )
    v = sc.file(ub).run()["UB"]
    assert v.accepted is accepted
    if not accepted:
        f = v.rejections[0]
        assert f.rule == "SC008" and (f.category, f.status_code) == ("A8", "84")


def test_line_ref_g1_governs_over_the_claim_ref_g1(tmp_path):
    # DOMAIN.md section 3: 837P prior auth is REF*G1 in 2300 "and per line in 2400".
    auths = [Auth(), Auth(order_id="SHORT", valid_from=days(0), valid_to=days(1))]
    v = (
        Scenario(tmp_path, auths=auths)
        .file(
            s_claim("LINEOK", day=days(10), order="SHORT", line_kw={"ref_g1": "ORD1001"}),
            s_claim("LINEBAD", day=days(50), order="ORD1001", line_kw={"ref_g1": "SHORT"}),
        )
        .run()
    )
    assert v["LINEOK"].accepted
    assert rules_of(v["LINEBAD"]) == {"SC008"} and "SHORT" in v["LINEBAD"].rejections[0].message


# -- ordering provider (DOMAIN.md section 3).


def test_837p_referring_2310a_is_not_the_ordering_provider(tmp_path):
    # "2420E NM1*DK (line level only; 2310A is the *referring* provider)": the order's
    # NPI in 2310A alone does not make the claim the ordering provider's.
    bare = s_claim("REF", line_kw={"ordering_npi": None}, referring_npi=ORDERING_NPI)
    v = Scenario(tmp_path).file(bare).run()["REF"]
    assert rules_of(v) == {"SC009"}


def test_837i_referring_provider_may_be_the_orderer(tmp_path):
    # "837I ... attending 2310A (NM1*71) / referring; match against the authorization's
    # ordering NPI".
    ub = s_claim("UB", form="837I", attending_npi=OTHER_NPI, referring_npi=ORDERING_NPI)
    assert Scenario(tmp_path).file(ub).run()["UB"].accepted


# -- one form, separate claim, revenue code, code date (DOMAIN.md section 2).


def test_one_form_across_runs(tmp_path):
    # "bill on a professional 1500 (837P) or a UB-04 (837I), not both".
    store = MemoryHistory()
    Scenario(tmp_path / "a").file(s_claim("PRO", day=days(0))).run(history=store)
    v = Scenario(tmp_path / "b").file(s_claim("UB", day=days(0), form="837I")).run(history=store)
    assert "SC003" in rules_of(v["UB"])


def test_mop_accepts_s_codes_with_other_services_on_an_837i(tmp_path):
    # "So the BCBSMA separate-claim rule must *not* fire here."
    mixed = s_claim(
        "MIX",
        form="837I",
        lines=[
            s_line("S0354", days(0)),
            LineSpec(procedure="96413", service_date=days(0), charge=Decimal("450.00")),
        ],
    )
    assert Scenario(tmp_path, policy="mop").file(mixed).run()["MIX"].accepted


def test_0980_is_rejected_for_a_service_date_before_december_2021(tmp_path):
    # "0960 replaced 0980 *for all dates of service*".
    sc = Scenario(tmp_path, auths=[Auth(valid_from=date(2019, 1, 1))], received=date(2019, 6, 1))
    ub = s_claim("OLD", day=date(2019, 3, 1), form="837I", line_kw={"revenue_code": "0980"})
    v = sc.file(ub).run()["OLD"]
    assert rules_of(v) == {"SC002"} and "0980" in v.rejections[0].message


@pytest.mark.parametrize(
    ("day", "accepted"), [(date(2012, 3, 31), False), (date(2012, 4, 1), True)]
)
def test_s0353_code_added_date(tmp_path, day, accepted):
    # hcpcs-s0353.txt: Code Added Date 20120401.
    sc = Scenario(tmp_path, auths=[Auth(valid_from=date(2012, 1, 1))], received=date(2012, 5, 1))
    v = sc.file(s_claim("X", "S0353", day)).run()["X"]
    assert v.accepted is accepted
    if not accepted:
        assert rules_of(v) == {"SC013"}


# -- frequency (DOMAIN.md section 4): "a replacement (7) replaces it"; "A void (8)
# removes the original from history".


@pytest.mark.parametrize("same_file", [True, False])
def test_replacement_dated_before_its_original_replaces_it(tmp_path, same_file):
    # The replacement corrects the service date to an earlier one. Judged first (by its
    # date) it found nothing to replace, and the original was then rejected against its
    # own replacement (SC006).
    original = s_claim("A", day=days(10))
    replacement = s_claim("R", day=days(5), frequency="7", ref_f8="A")
    sc = Scenario(tmp_path)
    if same_file:
        sc.file(original, replacement)
    else:
        sc.file(replacement).file(original)
    v = sc.run()
    assert v["A"].accepted and v["R"].accepted, (v["A"].findings, v["R"].findings)
    assert any(f.rule == "SC014" and "no longer" in f.message for f in v["R"].findings)


def test_replacement_dated_before_its_original_counts_from_its_own_date(tmp_path):
    sc = Scenario(tmp_path).file(
        s_claim("A", day=days(10)),
        s_claim("R", day=days(5), frequency="7", ref_f8="A"),
        s_claim("B", day=days(36)),  # 31 days after R (26 after A, which R replaced)
        s_claim("C", day=days(34), member="MBR0002", order="O2"),
    )
    sc.auths.append(Auth(order_id="O2", member_id="MBR0002"))
    v = sc.run()
    assert v["A"].accepted and v["R"].accepted and v["B"].accepted


def test_void_dated_before_its_original_removes_it(tmp_path):
    v = (
        Scenario(tmp_path)
        .file(
            s_claim("A", day=days(10)),
            s_claim("V", day=days(9), frequency="8", ref_f8="A"),
            s_claim("B", day=days(20)),
        )
        .run()
    )
    assert v["A"].accepted and v["V"].accepted
    assert v["B"].accepted, v["B"].findings  # A was voided: nothing stands within 30 days


# -- "An accepted claim was forwarded: re-screening it never reverses it." (section 4)


def test_rescreening_after_the_order_was_cancelled_keeps_the_claim_accepted(tmp_path):
    store = MemoryHistory()
    sc = Scenario(tmp_path).file(s_claim("A"))
    assert sc.run(history=store)["A"].accepted
    sc.auths = [Auth(status="cancelled")]
    v = sc.run(history=store)["A"]
    assert v.accepted, v.findings
    notes = [f for f in v.findings if f.rule == "SC016" and not f.rejects]
    assert notes and "stays accepted" in notes[0].message and "cancelled" in notes[0].message
    assert any(f.rule == "SC008" and not f.rejects for f in v.findings)  # shown, not applied


def test_rescreening_with_a_later_receipt_date_keeps_the_claim_accepted(tmp_path):
    store = MemoryHistory()
    sc = Scenario(tmp_path).file(s_claim("A"))
    assert sc.run(history=store)["A"].accepted
    sc.received = days(400)  # past the 365-day filing limit now
    assert sc.run(history=store)["A"].accepted


def test_a_new_claim_is_still_rejected_by_the_changed_feed(tmp_path):
    # Only the very claim accepted before is kept; another claim is judged afresh.
    store = MemoryHistory()
    Scenario(tmp_path / "a").file(s_claim("A")).run(history=store)
    sc = Scenario(tmp_path / "b", auths=[Auth(status="cancelled")])
    v = sc.file(s_claim("B", day=days(40))).run(history=store)["B"]
    assert rules_of(v) == {"SC008"}


# -- 277CA (DOMAIN.md section 4) and exit status, through the CLI.


def _check(tmp_path, sc: Scenario, *extra: str):
    sc.run_context()  # writes the feeds
    paths = [str(p) for p in sc.paths()]
    ack = tmp_path / "out.277"
    args = ["check", "-q", "--no-history", "--policy", sc.policy]
    args += ["--authorizations", str(tmp_path / "auths.csv")]
    args += ["--providers", str(tmp_path / "providers.csv")]
    args += ["--received", "2026-11-02", "--277ca", str(ack), "-o", str(tmp_path / "r.txt")]
    result = CliRunner().invoke(main, [*args, *extra, *paths])
    stcs: dict[str, str] = {}  # CLM01 -> the 2200D claim STC01
    patient, claim_id = False, None
    for seg in ack.read_text().replace("\n", "").split("~"):
        elements = seg.split("*")
        if elements[0] == "HL":
            patient, claim_id = elements[3] == "PT", None  # 2000D: HL*n*p*PT
        elif patient and seg.startswith("TRN*2*"):
            claim_id = elements[2]
        elif elements[0] == "STC" and claim_id:
            stcs.setdefault(claim_id, elements[1])
    return result.exit_code, stcs


def test_cli_277ca_status_codes_and_entities(tmp_path):
    # "missing data is A6, wrong data A7, two fields inconsistent with each other A8";
    # 252 and 96 carry the entity code in STC01-3 (DK ordering, 71 attending, IL subscriber).
    sc = Scenario(
        tmp_path,
        auths=[
            Auth(),
            Auth(order_id="O2", member_id="M2"),
            Auth(order_id="O3", member_id="M3", ordering_npi=OUT_NPI),
            Auth(order_id="O4", member_id="M4", ordering_npi=OUT_NPI),
        ],
    )
    sc.file(
        s_claim("OK", "S0353"),
        s_claim("NOAUTHP", member="M9", order=None),
        s_claim("NOAUTHI", member="M8", order=None, form="837I"),
        s_claim("UNKNOWN", member="M7", order="NOSUCH"),
        s_claim("OTHERMBR", member="M6", order="O2"),
        s_claim("OONP", member="M3", order="O3", line_kw={"ordering_npi": OUT_NPI}),
        s_claim("OONI", member="M4", order="O4", form="837I", attending_npi=OUT_NPI),
    )
    code, stcs = _check(tmp_path, sc)
    assert code == 1  # some rejected
    assert stcs == {
        "OK": "A1:19:40",
        "NOAUTHP": "A6:252:DK",
        "NOAUTHI": "A6:252:71",
        "UNKNOWN": "A7:252:DK",
        "OTHERMBR": "A8:252:IL",
        "OONP": "A7:96:DK",
        "OONI": "A7:96:71",
    }


@pytest.mark.parametrize("policy", POLICIES)
def test_cli_exit_0_when_every_claim_is_accepted(tmp_path, policy):
    sc = program(tmp_path, policy, auths=[Auth(s0354_max_months="5")])
    sc.file(claim(policy, "INIT", "S0353"), claim(policy, "EST", day=days(30)))
    code, stcs = _check(tmp_path, sc)
    assert code == 0 and stcs == {"INIT": "A1:19:40", "EST": "A1:19:40"}


def test_cli_carelon_state_not_on_the_list(tmp_path):
    # blue-medicare-advantage-enhanced-reimbursement-faq.txt question 1: MA is not listed.
    sc = program(tmp_path, "carelon-ma")
    sc.auths.append(Auth(order_id="O2", member_id="M2"))
    sc.file(
        claim("carelon-ma", "NY"),
        claim("carelon-ma", "MA", member="M2", order="O2", billing_state="MA"),
    )
    code, stcs = _check(tmp_path, sc)
    assert code == 1 and stcs == {"NY": "A1:19:40", "MA": "A7:677:85"}
