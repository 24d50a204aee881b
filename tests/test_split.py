"""Split writer: accepted + rejected 837s hold every claim once, byte for byte, and validate."""

from __future__ import annotations

import io
import os
import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi837.claim.builder import ClaimReader
from edi837.synth.random_batch import generate_file
from edi837.synth.spec import ClaimSpec, LineSpec, PersonSpec
from edi837.synth.writer import render_837
from edi837.writers.split import write_split
from edi837.writers.x12out import atomic_open
from edi837.x12.pyx12_adapter import pyx12_validate
from edi837.x12.separators import Separators
from edi837.x12.tokenizer import SegmentReader


def pyx12_errors(text: str) -> list[str]:
    """Validate with pyx12 against the map its GS08 names; the ERROR records it logged."""
    ok, errors = pyx12_validate(text)
    assert ok or errors, "pyx12 said invalid without logging why"
    return errors


def claim_blocks(text: str) -> list[str]:
    """Each claim's wire text (CLM up to the next HL, CLM or SE), in order."""
    blocks: list[str] = []
    current: list[str] | None = None
    for seg in SegmentReader(io.BytesIO(text.encode("latin-1")), name="x"):
        if seg.id in ("HL", "CLM", "SE", "GE", "IEA"):
            if current is not None:
                blocks.append("".join(current))
            current = [str(seg)] if seg.id == "CLM" else None
        elif current is not None:
            current.append(str(seg))
    return blocks


def read(text: str) -> list:
    return list(ClaimReader(io.BytesIO(text.encode("latin-1")), name="x"))


def context(claim) -> tuple:
    """A claim with what its parent loops say about it (billing provider, subscriber, patient)."""
    patient = claim.patient
    return (
        claim.CLM01,
        claim.billing.npi,
        claim.billing.name,
        claim.subscriber.member_id,
        claim.subscriber.last,
        claim.filing_indicator,
        claim.payer_id,
        (patient.last, patient.first, patient.birth_date) if patient else None,
        claim.form,
        claim.envelope.BHT03,
    )


def split(path, statuses, **kw) -> tuple[str, str, object]:
    accepted, rejected = io.StringIO(newline=""), io.StringIO(newline="")
    summary = write_split(
        path, statuses, accepted, rejected, control_number=kw.pop("cn", 500), **kw
    )
    return accepted.getvalue(), rejected.getvalue(), summary


def check_conservation(path, choose) -> tuple[str, str]:
    raw = Path(path).read_bytes().decode("latin-1")
    claims = read(raw)
    statuses = {c.position.ordinal: choose(i, c) for i, c in enumerate(claims)}
    accepted, rejected, summary = split(path, statuses)
    blocks = claim_blocks(raw)
    want = {"accepted": [], "rejected": []}
    for block, claim in zip(blocks, claims, strict=True):
        want[statuses[claim.position.ordinal]].append((block, context(claim)))
    for text, side in ((accepted, "accepted"), (rejected, "rejected")):
        got = list(zip(claim_blocks(text), map(context, read(text)), strict=True)) if text else []
        assert got == want[side], side  # same claims, same order, same bytes, same parents
        assert getattr(summary, side) == len(want[side])
        if text:
            assert pyx12_errors(text) == [], side
        else:
            assert want[side] == []
    assert summary.unmatched == summary.missing == []
    return accepted, rejected


CHOICES = {
    "alternate": lambda i, c: "rejected" if i % 3 == 0 else "accepted",
    "random": lambda i, c: random.Random(i * 7919).choice(["accepted", "rejected"]),
    "all_accepted": lambda i, c: "accepted",
    "dependants_rejected": lambda i, c: "rejected" if c.patient else "accepted",
}


@pytest.mark.parametrize(
    "form,interchanges,per_st,choice",
    [
        ("837P", 1, 7, "alternate"),
        ("837I", 1, 5, "random"),
        ("mixed", 2, 6, "alternate"),
        ("mixed", 3, 4, "dependants_rejected"),
        ("mixed", 1, 50, "all_accepted"),
    ],
)
@pytest.mark.slow
def test_split_conserves_claims(tmp_path, form, interchanges, per_st, choice) -> None:
    path = tmp_path / "in.837"
    generate_file(
        path,
        seed=len(choice) * 31 + per_st,
        claims=36,
        form=form,
        interchanges=interchanges,
        claims_per_st=per_st,
    )
    raw = path.read_text("latin-1")
    assert "*23*" in raw or form == "837I"  # dependants (2000C) are exercised
    accepted, rejected = check_conservation(path, CHOICES[choice])
    if choice == "all_accepted":
        assert rejected == ""  # no empty interchange, group or set
        assert accepted.count("~ST*") == raw.count("~ST*")


def test_split_renumbers_envelopes_and_hl(tmp_path) -> None:
    path = tmp_path / "in.837"
    generate_file(path, seed=5, claims=12, form="837P", claims_per_st=4, interchanges=2)
    claims = read(path.read_text("latin-1"))
    statuses = {
        c.position.ordinal: "accepted" if i % 2 else "rejected" for i, c in enumerate(claims)
    }
    accepted, rejected, summary = split(path, statuses, cn=900, rejected_control_number=70)
    segs = [s.elements for s in SegmentReader(io.BytesIO(accepted.encode()), name="a")]
    assert [s[13] for s in segs if s[0] == "ISA"] == ["000000900", "000000901"]
    assert [s[6] for s in segs if s[0] == "GS"] == ["900", "901"]
    assert [s[2] for s in segs if s[0] == "ST"] == ["0900", "0901", "0902", "0903"]
    assert summary.accepted_sets == 4
    hl_by_set: list[list[list[str]]] = []
    for s in segs:
        if s[0] == "ST":
            hl_by_set.append([])
        elif s[0] == "HL":
            hl_by_set[-1].append(s)
    for hls in hl_by_set:
        assert [h[1] for h in hls] == [str(i) for i in range(1, len(hls) + 1)]
        level = {h[1]: h[3] for h in hls}
        for h in hls:
            assert (level.get(h[2]), h[3]) in {(None, "20"), ("20", "22"), ("22", "23")}
            children = [c for c in hls if c[2] == h[1]]
            assert h[4] == ("1" if children else "0")
    rsegs = [s.elements for s in SegmentReader(io.BytesIO(rejected.encode()), name="r")]
    assert [s[13] for s in rsegs if s[0] == "ISA"][0] == "000000070"


def mixed_subscriber_file() -> str:
    """One 2000B with the subscriber's own claim *and* a dependant's 2000C (HL04 1)."""
    sub = PersonSpec("ROWAN", "MAPLE", date(1970, 1, 2))
    kid = PersonSpec("ROWAN", "ASH", date(2010, 3, 4), gender="M")
    day = date(2026, 1, 5)
    text = render_837(
        [
            ClaimSpec("OWN1", "M100", [LineSpec(service_date=day)], subscriber=sub),
            ClaimSpec("OWN2", "M100", [LineSpec(service_date=day)], subscriber=sub),
            ClaimSpec("KID1", "M100", [LineSpec(service_date=day)], subscriber=sub, patient=kid),
        ]
    )
    # Fold the dependant's 2000B into the first one.
    start = text.index("HL*3*1*22*1~")
    end = text.index("HL*4*3*23*0~")
    removed = text[start:end].count("~")
    text = text[:start] + text[end:]
    text = text.replace("HL*2*1*22*0~", "HL*2*1*22*1~").replace("HL*4*3*23*0~", "HL*3*2*23*0~")
    se = text[text.index("SE*") :].split("*")[1]
    return text.replace(f"SE*{se}*", f"SE*{int(se) - removed}*")


@pytest.mark.slow
@pytest.mark.parametrize("kid", ["accepted", "rejected"])
def test_split_child_code_follows_what_was_written(tmp_path, kid) -> None:
    path = tmp_path / "mixed.837"
    path.write_text(mixed_subscriber_file(), "latin-1")
    assert pyx12_errors(path.read_text("latin-1")) == []
    claims = read(path.read_text("latin-1"))
    statuses = {c.position.ordinal: kid if c.CLM01 == "KID1" else "accepted" for c in claims}
    accepted, rejected, _ = split(path, statuses)
    check_conservation(path, lambda i, c: statuses[c.position.ordinal])
    hl22 = [line for line in accepted.split("~") if line.startswith("HL*") and "*22*" in line]
    assert hl22 == (["HL*2*1*22*1"] if kid == "accepted" else ["HL*2*1*22*0"])
    if kid == "rejected":
        assert "HL*1**20*1~HL" not in rejected and "HL*2*1*22*1~" in rejected
        assert "HL*3*2*23*0~" in rejected


@pytest.mark.slow
def test_split_keeps_separators_and_line_endings(tmp_path) -> None:
    path = tmp_path / "odd.837"
    generate_file(
        path,
        seed=3,
        claims=10,
        form="mixed",
        separators=Separators("|", "!", ">", "~"),
        line_ending="\r\n",
        claims_per_st=3,
    )
    accepted, rejected = check_conservation(path, CHOICES["alternate"])
    for text in (accepted, rejected):
        assert text.startswith("ISA|") and text.split("\r\n")[0].endswith("|>~")
        assert all(line.endswith("~") for line in text.split("\r\n")[:-1])
        assert text.endswith("~\r\n")


def test_split_unmatched_claims_go_to_rejected(tmp_path) -> None:
    path = tmp_path / "in.837"
    generate_file(path, seed=9, claims=5, form="837P")
    claims = read(path.read_text("latin-1"))
    statuses = {c.position.ordinal: "accepted" for c in claims[1:]}
    statuses[99999] = "accepted"
    accepted, rejected, summary = split(path, statuses)
    assert summary.unmatched == [claims[0].position.ordinal]
    assert summary.missing == [99999]
    assert [c.CLM01 for c in read(rejected)] == [claims[0].CLM01]
    assert (summary.accepted, summary.rejected) == (4, 1)


def test_split_one_side_only(tmp_path) -> None:
    path = tmp_path / "in.837"
    generate_file(path, seed=9, claims=6, form="837P")
    claims = read(path.read_text("latin-1"))
    statuses = {
        c.position.ordinal: "rejected" if i == 2 else "accepted" for i, c in enumerate(claims)
    }
    out = io.StringIO(newline="")
    summary = write_split(path, statuses, out, None, control_number=1)
    assert [c.CLM01 for c in read(out.getvalue())] == [
        c.CLM01 for c in claims if statuses[c.position.ordinal] == "accepted"
    ]
    assert (summary.accepted, summary.rejected) == (5, 1)


def test_split_into_files_atomically(tmp_path) -> None:
    path = tmp_path / "in.837"
    generate_file(path, seed=4, claims=8, form="mixed")
    claims = read(path.read_text("latin-1"))
    statuses = {c.position.ordinal: "accepted" for c in claims}
    with atomic_open(tmp_path / "ok.837") as a, atomic_open(tmp_path / "bad.837") as r:
        write_split(path, statuses, a, r, control_number=3)
    assert read((tmp_path / "ok.837").read_text("latin-1"))
    assert (tmp_path / "bad.837").read_text() == ""
    assert sorted(os.listdir(tmp_path)) == ["bad.837", "in.837", "ok.837"]


def test_atomic_open_leaves_no_half_file(tmp_path) -> None:
    target = tmp_path / "out.837"
    target.write_text("OLD")
    with pytest.raises(RuntimeError), atomic_open(target) as out:
        out.write("NEW PARTIAL")
        raise RuntimeError("crash")
    assert target.read_text() == "OLD"
    assert os.listdir(tmp_path) == ["out.837"]
    with atomic_open(target) as out:
        out.write("ISA\xe9")
    assert target.read_bytes() == b"ISA\xe9"
    assert oct(target.stat().st_mode & 0o777) != "0o600"


@pytest.fixture(scope="module")
def batch_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("split") / "batch.837"
    generate_file(path, seed=21, claims=40, form="mixed", interchanges=2, claims_per_st=6)
    return path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.booleans(), min_size=40, max_size=40))
@pytest.mark.slow
def test_split_any_assignment_conserves_claims(batch_file, flags) -> None:
    """Whatever the verdicts, every claim lands once, intact, under its own parents."""
    raw = batch_file.read_bytes().decode("latin-1")
    claims = read(raw)
    statuses = {
        c.position.ordinal: "accepted" if flag else "rejected"
        for c, flag in zip(claims, flags, strict=True)
    }
    accepted, rejected, summary = split(batch_file, statuses)
    want: dict[str, list] = {"accepted": [], "rejected": []}
    for block, claim in zip(claim_blocks(raw), claims, strict=True):
        want[statuses[claim.position.ordinal]].append((block, context(claim)))
    for text, side in ((accepted, "accepted"), (rejected, "rejected")):
        got = list(zip(claim_blocks(text), map(context, read(text)), strict=True)) if text else []
        assert got == want[side]
        if text:
            reader = ClaimReader(io.BytesIO(text.encode("latin-1")), name=side)
            list(reader)
            assert not reader.tracker.has_errors  # envelopes and counts are right
            sets = reader.tracker.transactions
            assert sets and all(t.claims and t.closed for t in sets)  # no empty ST
