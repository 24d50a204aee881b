"""Differential test: our ``ClaimReader`` against pyx12's ``X12ContextReader``.

On every committed fixture pyx12 can read, and on generated batches (837P, 837I, mixed,
with dependants, several interchanges and transaction sets, odd separators), the claim
ids, procedure codes and service dates we extract must equal what pyx12 extracts with
its 5010 maps. Where pyx12 reads only part of a file (its documented quirks: it keeps the
first ISA's separators, stops silently at an empty segment, yields no partial claim), its
claims must be a prefix of ours; where it cannot read a file at all, it must say so.
"""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi837.claim.builder import ClaimReader
from edi837.synth import random_claims, write_837
from edi837.x12.pyx12_adapter import ClaimFacts, pyx12_claims, pyx12_validate
from edi837.x12.separators import Separators

pytestmark = pytest.mark.slow  # see README: pytest -m "not slow"

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MALFORMED = json.loads((FIXTURES / "malformed" / "expected.json").read_text())
BATCH_FILES = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("**/claims/*"))


def d8(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def ours(path: Path) -> list[ClaimFacts]:
    """The same facts from our reader: DTP*472 as sent (D8, or RD8 ``from-to``)."""
    out = []
    for claim in ClaimReader(path):
        lines = []
        for ln in claim.lines:
            when = ""
            if ln.service_date is not None:
                when = d8(ln.service_date)
                if ln.service_date_end is not None:
                    when += "-" + d8(ln.service_date_end)
            lines.append((ln.procedure, when))
        out.append((claim.CLM01, lines))
    return out


def by_pyx12(reads: str) -> list[str]:
    return sorted(n for n, case in MALFORMED.items() if case["pyx12"]["reads"] == reads)


@pytest.mark.parametrize("rel", BATCH_FILES + [f"malformed/{n}" for n in by_pyx12("all")])
def test_same_claims_as_pyx12(rel):
    path = FIXTURES / rel
    mine = ours(path)
    assert mine, "a fixture without claims proves nothing"
    assert mine == pyx12_claims(path)


@pytest.mark.parametrize("name", by_pyx12("prefix"))
def test_pyx12_reads_a_prefix(name):
    path = FIXTURES / "malformed" / name
    mine, theirs = ours(path), pyx12_claims(path)
    assert len(theirs) < len(mine)
    assert mine[: len(theirs)] == theirs


@pytest.mark.parametrize("name", by_pyx12("none"))
def test_pyx12_refuses(name):
    with pytest.raises(Exception):  # noqa: B017 - X12Error, EngineError: pyx12's own types
        pyx12_claims(FIXTURES / "malformed" / name)


def test_pyx12_validates_the_profile_batches():
    """The hand-built claims are valid 837s by pyx12's maps, not just by our reader."""
    for rel in BATCH_FILES:
        valid, errors = pyx12_validate(FIXTURES / rel)
        assert valid and not errors, (rel, errors)


def test_pyx12_validate_reports_an_se_count():
    valid, errors = pyx12_validate((FIXTURES / "malformed" / "wrong_se_count.837").read_text())
    assert not valid
    assert any("SE count" in e for e in errors), errors


# -- generated batches ---------------------------------------------------------------------

SEPARATORS = [
    Separators(),
    Separators(element="|", repetition="!", component=">", segment="\n"),
    Separators(element="^", repetition="{", component="\\", segment="'"),
    Separators(element="\x1d", repetition="\x1e", component="\x1f", segment="\x1c"),
]


def generate(
    path: Path,
    *,
    seed: int,
    n: int,
    form: str,
    dependants: float,
    interchanges: int,
    per_st: int,
    seps: Separators,
    ending: str,
) -> None:
    """Like ``generate_file``, with the dependant ratio and separators under test control."""
    claims = random_claims(seed, n, form=form, dependant_ratio=dependants)
    out, st_next = StringIO(newline=""), 1
    per, extra = divmod(n, interchanges)
    for k in range(interchanges):
        summary = write_837(out, islice(claims, per + (k < extra)), separators=seps,
                            line_ending="" if seps.segment == "\n" else ending,
                            isa_control=k + 1, gs_control=10 * k + 1, st_start=st_next,
                            claims_per_st=per_st)  # fmt: skip
        st_next = summary.next_st
    path.write_text(out.getvalue(), encoding="latin-1", newline="")


@pytest.mark.parametrize("form, dependants", [("837P", 0.0), ("837I", 0.3), ("mixed", 0.9)])
def test_generated_batch(tmp_path, form, dependants):
    path = tmp_path / "batch.837"
    generate(path, seed=7, n=150, form=form, dependants=dependants, interchanges=1,
             per_st=60, seps=Separators(), ending="\n")  # fmt: skip
    mine = ours(path)
    assert len(mine) == 150
    assert mine == pyx12_claims(path)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(seed=st.integers(0, 10**6), n=st.integers(1, 40),
       form=st.sampled_from(["837P", "837I", "mixed"]), dependants=st.sampled_from([0, 0.5, 1]),
       interchanges=st.integers(1, 3), per_st=st.integers(1, 25),
       seps=st.sampled_from(SEPARATORS), ending=st.sampled_from(["", "\n", "\r\n"]))  # fmt: skip
def test_random_batches(tmp_path, seed, n, form, dependants, interchanges, per_st, seps, ending):
    path = tmp_path / f"{seed}.837"
    generate(path, seed=seed, n=max(n, interchanges), form=form, dependants=dependants,
             interchanges=interchanges, per_st=per_st, seps=seps, ending=ending)  # fmt: skip
    assert ours(path) == pyx12_claims(path)
