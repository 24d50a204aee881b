"""The validator's fast paths (transition cache, whole-segment patterns) against its plain
walk and full element checks: the same errors, in the same order, on generated files and
their mutants (tests/test_tr3_differential.py holds both to pyx12)."""

from __future__ import annotations

import random
from dataclasses import astuple
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi837.synth import generate_file
from edi837.x12.tr3 import validate_path, validator
from edi837.x12.tr3.compile import load_map
from edi837.x12.tr3.elements import check_segment, quick_check
from tests.test_tr3_differential import mutate

_BASES: dict[tuple[str, int], str] = {}


def _base(form: str, seed: int, tmp: Path) -> str:
    key = (form, seed)
    if key not in _BASES:
        path = tmp / f"base-{form}-{seed}.837"
        generate_file(path, claims=5, seed=seed, form=form)
        _BASES[key] = path.read_text(encoding="latin-1")
    return _BASES[key]


def _errors(path: Path, fast: bool) -> list[tuple]:
    return [astuple(e) for e in validate_path(path, fast=fast)]


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    form=st.sampled_from(["837P", "837I"]),
    seed=st.integers(0, 3),
    mutation=st.integers(0, 10_000),
    changes=st.integers(0, 4),
)
def test_fast_and_plain_agree(
    form: str, seed: int, mutation: int, changes: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.getbasetemp()
    text = _base(form, seed, tmp)
    rng = random.Random(mutation)
    for _ in range(changes):
        text = mutate(text, rng)
    path = tmp / f"fast-{form}-{seed}-{mutation}-{changes}.837"
    path.write_text(text, encoding="latin-1")
    assert _errors(path, fast=True) == _errors(path, fast=False)


def test_agree_with_a_tiny_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache cleared every few segments gives the same errors (plans are map-only)."""
    monkeypatch.setattr(validator, "TRANSITION_LIMIT", 3)
    validator._TABLES.clear()
    rng = random.Random(5)
    text = _base("837P", 1, tmp_path)
    for n in range(20):
        path = tmp_path / f"tiny{n}.837"
        path.write_text(mutate(text, rng), encoding="latin-1")
        assert _errors(path, fast=True) == _errors(path, fast=False)
    validator._TABLES.clear()


def test_the_fast_paths_are_taken_and_see_errors(tmp_path: Path) -> None:
    """The fast paths must not be dead code: the cache fills, clean bodies match their
    pattern, and a bad value does not."""
    path = tmp_path / "gen.837"
    generate_file(path, claims=20, seed=3, form="837P")
    validator._TABLES.clear()
    assert validate_path(path) == []
    plans, _ = validator._tables(load_map("837P"))
    assert 0 < len(plans) < 1000
    header = load_map("837P").st_loop.children[1]
    nm1 = header.children[1].first  # 1000A submitter name
    good = "NM1*41*2*SYNTHETIC CLAIMS SUBMITTER*****46*SUBMITTER01"
    assert quick_check(nm1, good, "*", ":")
    assert check_segment(nm1, good.split("*"), ":") == ()
    for bad in (good.replace("*46*", "*47*"), good + "*X", good.replace("*2*", "**")):
        assert not quick_check(nm1, bad, "*", ":")
        assert check_segment(nm1, bad.split("*"), ":") != ()


def test_a_segment_pattern_is_built_the_second_time_its_node_is_asked_about() -> None:
    """The first body of a node goes the long way (no pattern built: most nodes of a
    small file are seen once); from the second on the pattern answers."""
    from edi837.x12.tr3 import elements

    nm1 = load_map("837P").st_loop.children[1].children[1].first  # 1000A submitter name
    good = "NM1*41*2*SYNTHETIC CLAIMS SUBMITTER*****46*SUBMITTER01"
    key = (nm1, "^", ":")  # separators no other test uses: a node not yet seen
    elements._SEGMENT.pop(key, None)
    assert not quick_check(nm1, good.replace("*", "^"), "^", ":")
    assert elements._SEGMENT[key] is elements._SEEN_ONCE
    assert quick_check(nm1, good.replace("*", "^"), "^", ":")
    assert elements._SEGMENT[key] is not None
    assert check_segment(nm1, good.split("*"), ":") == ()


def test_an_class_written_as_ranges_is_the_same_set() -> None:
    import re

    from edi837.x12.tr3 import elements

    for drop in ((), ("*", ":"), ("~", "^", " "), ("\\", "]", "-")):
        chars = elements._AN_SET - set(drop)
        pattern = re.compile(elements._class(chars), re.ASCII)
        assert {c for c in map(chr, range(256)) if pattern.fullmatch(c)} == chars
