"""Bounded fuzzing of the edges: mutated 837s with every output on.

No exception escapes, the exit code is 0, 1 or 2, and every claim inside ST..SE is
answered exactly once in the report and in the 277CA (see tests/fuzz_edges.py for the
exact count). CI runs ``EDI837_FUZZ_EXAMPLES`` (default 2,000) mutants; set it to
100000 for a long run outside CI.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi837.synth.random_batch import generate_file
from edi837.x12.separators import Separators
from tests.fuzz_edges import KINDS, Mutation, mutate, run_everything

pytestmark = pytest.mark.slow  # see README: pytest -m "not slow"

EXAMPLES = int(os.environ.get("EDI837_FUZZ_EXAMPLES", "2000"))
_WORK = Path(tempfile.mkdtemp(prefix="edi837-fuzz-"))
atexit.register(shutil.rmtree, _WORK, ignore_errors=True)


def _base(seed: int, claims: int, interchanges: int) -> str:
    path = _WORK / f"base-{seed}-{claims}-{interchanges}.837"
    if not path.exists():
        generate_file(
            path,
            seed=seed,
            claims=claims,
            interchanges=interchanges,
            separators=Separators("*", "^", ":", "~"),
        )
    return path.read_text(encoding="ascii")


BASES = [_base(1, 3, 1), _base(2, 4, 2), _base(3, 2, 1)]
mutations = st.lists(
    st.builds(Mutation, st.sampled_from(KINDS), st.integers(0, 400), st.integers(0, 10_000)),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    base=st.sampled_from(range(len(BASES))),
    other=st.sampled_from(range(len(BASES))),
    changes=mutations,
)
def test_mutants_conserve_claims_and_never_crash(
    base: int, other: int, changes: list[Mutation]
) -> None:
    mutant = _WORK / "mutant.837"
    mutant.write_bytes(mutate(BASES[base], changes, BASES[other]).encode("utf-8"))
    got = run_everything(mutant, _WORK / "out")
    assert got.exit_code in (0, 1, 2), got.output
    if got.readable:
        assert got.report_claims == got.ack_claims == got.expected, (changes, got)
    else:  # refused as a whole: no claim answered, and the report says why
        assert got.report_claims == got.ack_claims == 0, (changes, got)
        assert got.exit_code == 2, got.output
