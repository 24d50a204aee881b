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

from edi837.claim.builder import ClaimReader
from edi837.synth import generate_file
from edi837.x12.tr3 import validate_path, validator, walk
from edi837.x12.tr3.compile import load_map
from edi837.x12.tr3.elements import NOT_YET, check_segment, quick_check, segment_pattern
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
    walk._TABLES.clear()
    rng = random.Random(5)
    text = _base("837P", 1, tmp_path)
    for n in range(20):
        path = tmp_path / f"tiny{n}.837"
        path.write_text(mutate(text, rng), encoding="latin-1")
        assert _errors(path, fast=True) == _errors(path, fast=False)
    walk._TABLES.clear()


def test_the_fast_paths_are_taken_and_see_errors(tmp_path: Path) -> None:
    """The fast paths must not be dead code: the cache fills, clean bodies match their
    pattern, and a bad value does not."""
    path = tmp_path / "gen.837"
    generate_file(path, claims=20, seed=3, form="837P")
    walk._TABLES.clear()
    assert validate_path(path) == []
    plans, _ = walk._tables(load_map("837P"))
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


def _segment_nodes() -> list:
    nodes = []

    def walk(loop) -> None:
        for child in loop.children:
            if child.is_loop:
                walk(child)
            else:
                nodes.append(child)

    for form in ("837P", "837I"):
        walk(load_map(form).st_loop)
    return nodes


_DATES = ("20260105", "20240229", "20230229", "20260230", "20260431", "17991231", "18000101")
_DATES += ("2026010", "202601051", "20261301", "20260100", "20261231")


def _pattern(node, ele: str, comp: str):
    """The node's pattern, built now (``segment_pattern`` builds it on second sight)."""
    found = segment_pattern(node, ele, comp)
    return segment_pattern(node, ele, comp) if found is NOT_YET else found


def _value(spec, comp: str, rng: random.Random) -> str:
    """A value for ``spec``: often valid (a code, a date), often not (garbage, too long)."""
    r = rng.random()
    if r < 0.15:
        return ""
    if spec.kind == "C":
        subs = spec.components
        if not subs:
            return "X"
        return comp.join(
            _value(subs[min(i, len(subs) - 1)], comp, rng)
            for i in range(rng.randint(0, len(subs) + 1))
        )
    if r < 0.5 and spec.codes:
        return rng.choice(sorted(spec.codes))
    if r < 0.7:
        date = rng.choice(_DATES)
        return date if rng.random() < 0.5 else f"{date}-{rng.choice(_DATES)}"
    alphabet = "AB 0129.-" + ("\x07" if rng.random() < 0.05 else "") + (comp if r < 0.72 else "")
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, min(spec.max_len + 2, 40))))


@pytest.mark.parametrize(("ele", "comp"), [("*", ":"), ("|", ">")])
def test_a_body_its_pattern_matches_has_no_error(ele: str, comp: str) -> None:
    """The whole-segment pattern (dates and syntax rules in it) is never looser than
    ``check_segment``: a body it matches has no element or syntax error."""
    rng = random.Random(ord(ele))
    matched = 0
    for node in _segment_nodes():
        if _pattern(node, ele, comp) is None:
            continue
        specs = node.elements
        for _ in range(40):
            values = [
                _value(specs[min(i, len(specs) - 1)], comp, rng)
                for i in range(rng.randint(0, len(specs) + 1))
            ]
            if node.id == "DTP" and len(values) >= 3 and rng.random() < 0.5:
                values[1] = rng.choice(["D8", "RD8", "TM", "DT"])
                values[2] = rng.choice(_DATES) + (
                    "" if values[1] == "D8" else f"-{rng.choice(_DATES)}"
                )
            body = ele.join([node.id, *values])
            if quick_check(node, body, ele, comp):
                matched += 1
                assert check_segment(node, body.split(ele), comp) == (), body
    assert matched > 1000  # the patterns do match (the test is not vacuous)


def test_dates_and_syntax_rules_are_in_the_pattern() -> None:
    """DTP03 after each DTP02 code, DMG02 after DMG01 D8, and the syntax rules: valid
    bodies match, others go the long way (29 February always does)."""
    nodes = _segment_nodes()
    dtp = next(n for n in nodes if n.id == "DTP" and "472" in (n.elements[0].codes or ()))
    dmg = next(n for n in nodes if n.id == "DMG")
    nm1 = next(n for n in nodes if n.id == "NM1" and n.parent.id == "2010BA")
    for node, body, fast, valid in (
        (dtp, "DTP*472*D8*20260105", True, True),
        (dtp, "DTP*472*RD8*20260105-20260107", True, True),
        (dtp, "DTP*472*D8*20240229", False, True),  # valid, by the long way
        (dtp, "DTP*472*D8*20230229", False, False),
        (dtp, "DTP*472*D8*20260230", False, False),
        (dtp, "DTP*472*RD8*20260105", False, False),
        (dtp, "DTP*472*D8*20260105-20260107", False, False),
        (dtp, "DTP*472*D8*17991231", False, False),
        (dmg, "DMG*D8*19550120*M", True, True),
        (dmg, "DMG*D8*19551320*M", False, False),
        (nm1, "NM1*IL*1*DOE*JANE****MI*ZM0070000047", True, True),
        (nm1, "NM1*IL*1*DOE*JANE****MI", False, False),  # P0809: NM108 without NM109
    ):
        _pattern(node, "*", ":")
        assert quick_check(node, body, "*", ":") is fast, body
        assert (check_segment(node, body.split("*"), ":") == ()) is valid, body


def test_valid_bodies_take_one_look_up(tmp_path: Path) -> None:
    """Bodies seen valid after the same node are remembered with their walk plan."""
    path = tmp_path / "gen.837"
    generate_file(path, claims=20, seed=4, form="837P")
    checker = validator.TR3Validator()
    for _ in ClaimReader(path, validator=checker):
        pass
    assert checker.errors == []
    assert checker._n_steps > 50
