"""TA1, interchange-level 999 reasons, --envelope lenient and the control-number counter."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
from datetime import date

import pytest

from edi837.claim.builder import ClaimReader
from edi837.control import FileCounter
from edi837.errors import UnsupportedVersionError
from edi837.synth.spec import ClaimSpec, LineSpec
from edi837.synth.writer import render_837
from edi837.writers.ack_999 import write_999
from edi837.writers.ack_ta1 import write_ta1
from edi837.x12.pyx12_adapter import pyx12_validate
from edi837.x12.syntax_issue import relax
from edi837.x12.tokenizer import SegmentReader

TEXT = render_837([ClaimSpec("C1", "M1", [LineSpec("S0354", date(2026, 1, 5))])])
ISA = TEXT[: TEXT.index("~")]


def tracker_of(text: str, lenient: bool = False):
    reader = ClaimReader(io.BytesIO(text.encode("latin-1")), name="in.837")
    with contextlib.suppress(UnsupportedVersionError):  # fatal, but the ISA was read
        list(reader)
    if lenient:
        relax(reader.tracker.issues)
    return reader.tracker


def with_isa(index: int, value: str) -> str:
    fields = ISA.split("*")
    fields[index] = value.ljust(len(fields[index])) if index in (6, 8) else value
    return TEXT.replace(ISA, "*".join(fields), 1)


def ta1(text: str) -> tuple[str, list[list[str]]]:
    out = io.StringIO(newline="")
    numbers = iter(range(41, 99))
    write_ta1(
        out,
        tracker_of(text),
        sender_id="EDI837",
        receiver_id="SUBMITTER01",
        control_number=lambda: next(numbers),
        date_=date(2026, 11, 2),
        time_="0915",
    )
    text_out = out.getvalue()
    if not text_out:
        return "", []
    segs = [s.elements for s in SegmentReader(io.BytesIO(text_out.encode()), name="ta1")]
    return text_out, segs


def ta1_structure_ok(text: str) -> None:
    """pyx12 reads the TA1 interchange (its control map: ISA, TA1, IEA; it only notes the
    absent GS loop, which a TA1-only interchange never has) and the TA1 fits the layout
    of that map: five elements, TA104 in A/E/R, TA105 a three-digit note code."""
    ok, errors = pyx12_validate(text)
    assert ok and all("GS_LOOP" in e for e in errors), errors
    segs = [s.elements for s in SegmentReader(io.BytesIO(text.encode()), name="ta1")]
    assert [s[0] for s in segs] == ["ISA", "TA1", "IEA"]
    t = segs[1]
    assert len(t) == 6 and len(t[1]) == 9 and t[4] in "AER" and len(t[5]) == 3


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "note"),
    [
        (TEXT.replace("IEA*1*000000001", "IEA*1*000000002"), "001"),
        (TEXT.replace("IEA*1*", "IEA*2*"), "021"),
        (TEXT[: TEXT.index("IEA")], "023"),
        (with_isa(9, "261399"), "014"),
        (with_isa(10, "2575"), "015"),
        (with_isa(15, "X"), "020"),
        (with_isa(5, "QQ"), "005"),
        (with_isa(7, "QQ"), "007"),
        (with_isa(6, ""), "006"),
        (with_isa(1, "77"), "010"),
        (with_isa(14, "7"), "019"),
        (TEXT.replace("GS*", "NTE*X~GS*", 1), "024"),
        (TEXT.replace("GE*", "SE*2*9~GE*", 1), "022"),
    ],
)
def test_interchange_error_gets_ta1_r(text: str, note: str) -> None:
    out, segs = ta1(text)
    assert segs[1][4:] == ["R", note]
    assert segs[1][1] == "000000001"  # TA101 echoes the received ISA13
    if note not in ("014", "015", "006"):  # those echo the bad value (TA102/TA103)
        ta1_structure_ok(out)


def test_ack_requested_gets_ta1_a_and_none_otherwise() -> None:
    out, segs = ta1(with_isa(14, "1"))
    assert segs[1][4:] == ["A", "000"] and segs[0][13] == "000000041"
    ta1_structure_ok(out)
    assert ta1(TEXT) == ("", [])


def test_version_4010_is_answered_not_silent() -> None:
    out, segs = ta1(with_isa(12, "00401"))
    assert segs[1][4:] == ["R", "017"]


def test_lenient_envelope_is_accepted_with_errors() -> None:
    bad = TEXT.replace("IEA*1*000000001", "IEA*1*000000002")
    se = next(s for s in TEXT.split("~") if s.strip().startswith("SE*")).strip()
    bad = bad.replace(se, "SE*99*" + se.split("*")[2])
    strict, lenient = tracker_of(bad), tracker_of(bad, lenient=True)
    assert strict.has_errors and not lenient.has_errors
    out = io.StringIO(newline="")
    write_999(
        out,
        lenient,
        sender_id="EDI837",
        receiver_id="SUBMITTER01",
        control_number=5,
        date_=date(2026, 1, 1),
    )
    assert "IK5*E*4" in out.getvalue() and "AK9*E*1*1*1*1" in out.getvalue()
    ok, errors = pyx12_validate(out.getvalue())
    assert ok, errors
    numbers = iter(range(1, 9))
    buf = io.StringIO(newline="")
    write_ta1(
        buf,
        lenient,
        sender_id="EDI837",
        receiver_id="SUBMITTER01",
        control_number=lambda: next(numbers),
        date_=date(2026, 1, 1),
        time_="0000",
    )
    assert "*E*001~" in buf.getvalue()


@pytest.mark.parametrize(
    ("text", "ik5", "ak9"),
    [
        (TEXT.replace("IEA*1*000000001", "IEA*1*000000002"), ["IK5", "R", "1"], "1"),
        (with_isa(15, "X"), ["IK5", "R", "1"], "1"),
    ],
)
def test_999_interchange_rejection_carries_reasons(text, ik5, ak9) -> None:
    out = io.StringIO(newline="")
    write_999(
        out,
        tracker_of(text),
        sender_id="EDI837",
        receiver_id="SUBMITTER01",
        control_number=5,
        date_=date(2026, 1, 1),
    )
    segs = [s.split("*") for s in out.getvalue().split("~") if s]
    assert ik5 in segs
    assert next(s for s in segs if s[0] == "AK9")[-1] == ak9
    ok, errors = pyx12_validate(out.getvalue())
    assert ok, errors


def _draw(path: str, n: int, queue) -> None:
    counter = FileCounter(path)
    queue.put([counter.take() for _ in range(n)])


@pytest.mark.slow
def test_counter_is_unique_across_processes(tmp_path) -> None:
    path = str(tmp_path / "control-number")
    queue = multiprocessing.get_context("fork").Queue()
    procs = [
        multiprocessing.get_context("fork").Process(target=_draw, args=(path, 50, queue))
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    drawn = [n for _ in procs for n in queue.get(timeout=60)]
    for p in procs:
        p.join(60)
    assert sorted(drawn) == list(range(1, 201))


def test_counter_wraps_at_nine_digits(tmp_path) -> None:
    path = tmp_path / "c"
    path.write_text("999999999\n")
    assert FileCounter(path).take() == 1


def test_control_numbers_unique_across_outputs_and_runs(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from edi837.cli import main

    monkeypatch.setenv("EDI837_HOME", str(tmp_path / "home"))
    src = tmp_path / "in.837"
    src.write_text(with_isa(14, "1"), encoding="latin-1")
    seen: list[str] = []
    for run in ("a", "b"):
        out = tmp_path / run
        args = [
            "check",
            "--no-history",
            "-q",
            "-o",
            str(tmp_path / f"{run}.txt"),
            "--277ca",
            f"{out}/",
            "--999",
            f"{out}/",
            "--ta1",
            f"{out}/",
            "--accepted",
            f"{out}/",
            "--rejected",
            f"{out}/",
            str(src),
        ]
        result = CliRunner().invoke(main, args)
        assert result.exit_code in (0, 1), result.output
        for path in sorted(out.iterdir()):
            text = path.read_text(encoding="latin-1")
            seen.append(text[:106].split(text[3])[13])  # ISA13
    assert len(seen) >= 6 and len(set(seen)) == len(seen), seen
    assert "000000001" not in seen[1:]  # the input's ISA13 is never reused by a split


def test_277ca_2100b_is_the_837_submitter() -> None:
    from edi837.policy import load_policy
    from edi837.screening import make_verdict
    from edi837.writers.ack_277ca import write_277ca

    claims = list(ClaimReader(io.BytesIO(TEXT.encode("latin-1")), name="in.837"))
    env = claims[0].envelope
    assert env.submitter_name and env.submitter_id_qualifier == "46"
    out = io.StringIO(newline="")
    write_277ca(
        out,
        [make_verdict(c, [], load_policy("bcbsma")) for c in claims],
        sender_id="EDI837",
        receiver_id="SUBMITTER01",
        control_number=3,
        date_=date(2026, 11, 2),
        time_="0915",
    )
    nm1 = next(s for s in out.getvalue().split("~") if s.startswith("NM1*41"))
    assert nm1 == f"NM1*41*2*{env.submitter_name}*****46*{env.submitter_id}"
    ok, errors = pyx12_validate(out.getvalue())
    assert ok, errors
