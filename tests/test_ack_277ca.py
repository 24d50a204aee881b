"""277CA (005010X214) writer: one answer per claim, valid per pyx12's X214 map."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

import edi837.writers.x12out as x12out
from edi837.claim.builder import ClaimReader
from edi837.synth.random_batch import generate_file
from edi837.synth.spec import ClaimSpec, LineSpec, PersonSpec
from edi837.synth.writer import render_837
from edi837.verdicts import Finding, Severity, Verdict
from edi837.writers.ack_277ca import REJECTED_CATEGORIES, write_277ca
from edi837.x12.pyx12_adapter import pyx12_validate
from edi837.x12.separators import Separators
from edi837.x12.tokenizer import SegmentReader

WHEN = date(2026, 11, 3)


def pyx12_errors(text: str) -> list[str]:
    """Validate with pyx12 against the map its GS08 names; the ERROR records it logged."""
    ok, errors = pyx12_validate(text)
    assert ok or errors, "pyx12 said invalid without logging why"
    return errors


def segments(text: str) -> list[list[str]]:
    return [s.elements for s in SegmentReader(io.BytesIO(text.encode("latin-1")), name="out")]


def reject(
    rule: str, stc: str, *, line: int | None = None, loop: str = "", detail: str = ""
) -> Finding:
    category, status, *entity = stc.split(":")
    return Finding(
        rule,
        Severity.REJECT,
        f"{rule} says no",
        fix="fix it",
        category=category,
        status_code=status,
        line=line,
        loop=loop,
        entity=entity[0] if entity else "",
        detail=detail,
    )


def claims_of(text: str) -> list:
    return list(ClaimReader(io.BytesIO(text.encode("latin-1")), name="in.837"))


def write(verdicts, **kw) -> tuple[int, str]:
    out = io.StringIO(newline="")
    options = {
        "sender_id": "EDI837",
        "receiver_id": "SUBMITTER01",
        "control_number": 42,
        "date_": WHEN,
        "line_ending": "\n",
        **kw,
    }
    count = write_277ca(out, verdicts, **options)
    return count, out.getvalue()


def claim_loops(text: str) -> dict[str, dict[str, list[list[str]]]]:
    """CLM01 -> {"STC": [...], "lines": [[SVC, STC, REF...], ...]} read back from a 277CA."""
    loops: dict[str, dict] = {}
    level = ""
    current: dict | None = None
    for el in segments(text):
        sid = el[0]
        if sid == "HL":
            level, current = el[3], None
        elif sid == "TRN" and level == "PT":
            current = loops.setdefault(el[2], {"STC": [], "lines": [], "other": []})
        elif current is None:
            continue
        elif sid == "SVC":
            current["lines"].append([el])
        elif current["lines"]:
            current["lines"][-1].append(el)
        elif sid == "STC":
            current["STC"].append(el)
        else:
            current["other"].append(el)
    return loops


def claim_ids(text: str) -> list[str]:
    """TRN02 of every 2200D (a TRN*2 under a patient HL), in order."""
    ids, level = [], ""
    for el in segments(text):
        if el[0] == "HL":
            level = el[3]
        elif el[:2] == ["TRN", "2"] and level == "PT":
            ids.append(el[2])
    return ids


def mixed_claims() -> list[ClaimSpec]:
    sub = PersonSpec("ROWAN", "MAPLE", date(1970, 1, 2))
    kid = PersonSpec("ROWAN", "ASH", date(2010, 3, 4), gender="M")
    day = date(2026, 1, 5)
    return [
        ClaimSpec("P1", "M100", [LineSpec("S0353", day)], subscriber=sub),
        ClaimSpec(
            "P2",
            "M100",
            [
                LineSpec("99214", day, charge=Decimal("185")),
                LineSpec("S0354", day, date(2026, 1, 7), modifiers=("25",)),
            ],
            subscriber=sub,
        ),
        ClaimSpec("K1", "M100", [LineSpec("S0354", day)], subscriber=sub, patient=kid),
        ClaimSpec(
            "I1",
            "M200",
            [
                LineSpec("S0354", day),
                LineSpec("96413", day, charge=Decimal("450.5"), revenue_code="0335"),
            ],
            form="837I",
        ),
        ClaimSpec(
            "I2",
            "M200",
            [LineSpec("S0353", None, revenue_code="0980")],
            form="837I",
            statement_from=day,
            statement_to=date(2026, 1, 9),
        ),
        ClaimSpec(
            "O1",
            "M300",
            [LineSpec("S0354", day)],
            billing_npi="1234567893",
            billing_name="OTHER ONCOLOGY",
        ),
    ]


@pytest.fixture(scope="module")
def mixed_text() -> str:
    return render_837(mixed_claims(), line_ending="\n")


def mixed_verdicts(text: str) -> list[Verdict]:
    """Verdicts in file order: the 837P set (P1, P2, K1, O1), then the 837I set (I1, I2)."""
    claims = claims_of(text)
    by_id = {c.CLM01: c for c in claims}
    by_id["P2"].REF_D9 = "CH-TRACE-9"
    findings = {
        "P2": [
            reject("SC005", "A7:259", line=2, loop="2400"),
            reject("SC009", "A7:562:DK", line=2, loop="2420E"),
            reject("SC011", "A8:454", line=2),
            reject("SC012", "A3:718", line=2),
        ],
        "K1": [Finding("SC099", Severity.WARNING, "just a note")],
        "I1": [reject("SC010", "A3:96:85", loop="2010AA"), reject("SC002", "A7:455", line=1)],
        "I2": [reject("SC002", "A7:455", line=1)],
        "O1": [reject("SC001", "A8:732", detail="A8:454")],
    }
    return [Verdict(c, findings.get(c.CLM01, [])) for c in claims]


def test_277ca_answers_every_claim_and_validates(mixed_text: str) -> None:
    verdicts = mixed_verdicts(mixed_text)
    count, text = write(verdicts)
    assert count == 6
    assert pyx12_errors(text) == []
    loops = claim_loops(text)
    assert claim_ids(text) == [c.CLM01 for c in claims_of(mixed_text)]
    for verdict in verdicts:
        stcs = loops[verdict.claim.CLM01]["STC"]
        assert stcs, verdict.claim.CLM01
        if verdict.accepted:
            assert [s[1:5] for s in stcs] == [
                ["A1:19:40", "20261103", "WQ", str(verdict.claim.total_charge)]
            ]
            assert loops[verdict.claim.CLM01]["lines"] == []
        else:
            assert all(s[1].split(":")[0] in REJECTED_CATEGORIES for s in stcs)
            assert all(s[3] == "U" for s in stcs)


def test_277ca_claim_and_line_detail(mixed_text: str) -> None:
    _, text = write(mixed_verdicts(mixed_text))
    loops = claim_loops(text)
    p2 = loops["P2"]
    # Only line-level reasons: each distinct one at claim level, with its message.
    assert [s[1] for s in p2["STC"]] == ["A7:259", "A7:562:DK", "A8:454", "A3:718"]
    assert p2["STC"][0][12] == "SC005 line 2 - SC005 says no"
    assert ["REF", "D9", "CH-TRACE-9"] in p2["other"]
    assert ["DTP", "472", "RD8", "20260105-20260107"] in p2["other"]
    # Only the rejected line gets a 2220D; STC is used once, extra reasons in STC10/11.
    [line] = p2["lines"]
    assert line[0] == ["SVC", "HC:S0354:25", "300", "", "", "", "", "1"]
    assert line[1] == [
        "STC",
        "A7:259",
        "20261103",
        "U",
        "",
        "",
        "",
        "",
        "",
        "",
        "A7:562:DK",
        "A8:454",
    ]
    assert ["REF", "FJ", "P2-2"] in line
    assert ["DTP", "472", "RD8", "20260105-20260107"] in line
    i1 = loops["I1"]
    # Claim-level reasons win at claim level; the line keeps its own.
    assert [s[1] for s in i1["STC"]] == ["A3:96:85"]
    assert ["REF", "BLT", "131"] in i1["other"]
    assert i1["lines"][0][0] == ["SVC", "HC:S0354", "300", "", "0960", "", "", "1"]
    i2 = loops["I2"]
    assert ["DTP", "472", "RD8", "20260105-20260109"] in i2["other"]  # statement period
    assert not any(seg[0] == "DTP" for seg in i2["lines"][0])  # the line had no date


def test_277ca_hierarchy_counts_and_grouping(mixed_text: str) -> None:
    _, text = write(mixed_verdicts(mixed_text))
    segs = segments(text)
    hls = [s for s in segs if s[0] == "HL"]
    levels = [s[3] for s in hls]
    # One 2000A/2000B for the one batch; providers in order; patients consecutive only.
    assert levels[:2] == ["20", "21"]
    assert levels.count("20") == levels.count("21") == 2  # one pair per 837 set (batch)
    assert [s[1] for s in hls] == [str(i) for i in range(1, len(hls) + 1)]
    ids = {s[1]: s[3] for s in hls}
    for s in hls[1:]:
        if s[3] != "20":
            assert (ids[s[2]], s[3]) in {("20", "21"), ("21", "19"), ("19", "PT")}
    assert all(len(s) == 4 for s in hls if s[3] == "PT")  # HL04 not used in 2000D
    assert levels.count("19") == 3  # practice + OTHER ONCOLOGY (837P), practice (837I)
    patients = [s for s in segs if s[0] == "NM1" and s[1] == "QC"]
    assert [p[3:5] + p[8:] for p in patients][:2] == [
        ["ROWAN", "MAPLE", "MI", "M100"],
        ["ROWAN", "ASH", "MI", "M100"],
    ]
    qty = [s for s in segs if s[0] == "QTY" and s[1] in ("90", "AA")]
    assert qty == [["QTY", "90", "2"], ["QTY", "AA", "2"], ["QTY", "AA", "2"]]
    amt = [s for s in segs if s[0] == "AMT" and s[1] in ("YU", "YY")][:2]
    assert amt == [["AMT", "YU", "600"], ["AMT", "YY", "785"]]
    trn_2200b = segs[segs.index(hls[1]) + 2]
    assert trn_2200b[:2] == ["TRN", "2"] and trn_2200b[2]  # the 837's BHT03


def test_277ca_envelope_is_deterministic(mixed_text: str) -> None:
    verdicts = mixed_verdicts(mixed_text)
    _, first = write(verdicts)
    _, again = write(iter(verdicts))
    assert first == again
    segs = segments(first)
    assert segs[0][13] == "000000042" and len(first.split("\n")[0]) == 106
    assert segs[1][1] == "HN" and segs[1][6] == "42" and segs[1][8] == "005010X214"
    assert segs[2] == ["ST", "277", "0042", "005010X214"]
    assert segs[-3] == ["SE", str(len(segs) - 4), "0042"]
    assert segs[-2] == ["GE", "1", "42"] and segs[-1] == ["IEA", "1", "000000042"]


def test_277ca_with_other_separators_validates(mixed_text: str) -> None:
    seps = Separators("|", "!", ">", "~")
    _, text = write(mixed_verdicts(mixed_text), separators=seps, line_ending="")
    assert text.startswith("ISA|00|") and "HC>S0354>25" in text and "\n" not in text
    assert pyx12_errors(text) == []


def test_277ca_free_text_cannot_break_the_syntax(mixed_text: str) -> None:
    [claim] = [c for c in claims_of(mixed_text) if c.CLM01 == "P1"]
    nasty = Finding(
        "SC005",
        Severity.REJECT,
        "bad * value ~ with: separators\nand ^ more",
        category="A7",
        status_code="259",
    )
    _, text = write([Verdict(claim, [nasty])])
    assert pyx12_errors(text) == []
    [stc] = claim_loops(text)["P1"]["STC"]
    assert stc[12] == "SC005 - bad value with separators and more"


def test_277ca_unknown_category_becomes_a3(mixed_text: str) -> None:
    [claim] = [c for c in claims_of(mixed_text) if c.CLM01 == "P1"]
    _, text = write([Verdict(claim, [reject("SC000", "A1:21")])])
    assert claim_loops(text)["P1"]["STC"][0][1] == "A3:21"


def test_277ca_nothing_to_answer_writes_nothing() -> None:
    assert write([]) == (0, "")


def test_277ca_oracle_catches_a_broken_277ca(mixed_text: str) -> None:
    """The pyx12 check is real: a 277CA with an HL04 in 2000D fails it."""
    _, text = write(mixed_verdicts(mixed_text))
    broken = text.replace("*PT~", "*PT*1~", 1)
    assert broken != text
    assert pyx12_errors(broken)


@pytest.mark.slow
def test_277ca_streams_through_a_disk_spool(tmp_path, monkeypatch) -> None:
    """Many claims of one provider: the spools roll over to disk and still validate."""
    monkeypatch.setattr(x12out, "_SPOOL_MEMORY", 2048)
    path = tmp_path / "batch.837"
    generate_file(path, seed=11, claims=300, form="mixed", claims_per_st=120, interchanges=2)
    claims = list(ClaimReader(path))

    def verdicts():
        for i, claim in enumerate(claims):
            lx = claim.lines[-1].LX01
            yield Verdict(claim, [reject("SC006", "A7:571", line=lx)] if i % 4 == 0 else [])

    count, text = write(verdicts())
    assert count == len(claims) == 300
    assert pyx12_errors(text) == []
    assert sorted(claim_ids(text)) == sorted(c.CLM01 for c in claims)
    batches = [el for el in segments(text) if el[0] == "HL" and el[3] == "21"]
    assert len(batches) >= 4  # two interchanges, each with an 837P and an 837I set
    rejected = sum(int(el[2]) for el in segments(text) if el[:2] == ["QTY", "AA"])
    assert rejected == 75


def test_277ca_groups_only_consecutive_claims(mixed_text: str) -> None:
    """A batch, provider or patient seen again later gets new loops (streaming)."""
    verdicts = mixed_verdicts(mixed_text)
    p1, p2, k1 = verdicts[:3]
    _, text = write([p1, p2, k1, p1])  # P1 and P2: one patient; K1 another; P1 again
    assert pyx12_errors(text) == []
    levels = [el[3] for el in segments(text) if el[0] == "HL"]
    assert levels == ["20", "21", "19", "PT", "PT", "PT"]
    _, text = write([p1, verdicts[4], p1])  # 837P, 837I, 837P: three batches
    assert [el[3] for el in segments(text) if el[0] == "HL"].count("20") == 3
    assert claim_ids(text) == ["P1", "I1", "P1"]


def test_277ca_revenue_only_line_and_missing_dates(mixed_text: str) -> None:
    """An 837I line without HCPCS is SVC*NU:<revenue>; no dates at all -> BHT04 date."""
    [claim] = [c for c in claims_of(mixed_text) if c.CLM01 == "I2"]
    claim.lines[0].procedure = ""
    claim.statement_from = claim.statement_to = None
    _, text = write([Verdict(claim, [reject("SC002", "A7:507", line=1)])])
    assert pyx12_errors(text) == []
    loops = claim_loops(text)["I2"]
    assert loops["lines"][0][0] == ["SVC", "NU:0980", "300", "", "", "", "", "1"]
    assert ["DTP", "472", "D8", claim.envelope.BHT04] in loops["other"]
