"""The map walk of the TR3 validator: where a segment goes in the compiled map.

Why apart from ``validator``: this is a pure function of the map (pyx12's
``map_walker.walk_tree`` re-done over compact nodes), worked out once per step and
cached (``_plan``, ``_tables``); ``validator.TR3Validator`` holds a transaction set's
state (the loop instances and their counts) and turns what a step finds into errors.
The names are the tr3 package's own, not an API.
"""

from __future__ import annotations

import re

from edi837.x12.tr3.compile import CompiledMap, LoopNode, SegmentNode


def _in_claim(node: SegmentNode | LoopNode) -> bool:
    loop = node if node.is_loop else node.parent
    while loop is not None:
        if loop.id == "2300":
            return True
        loop = loop.parent
    return False


def _key_match(node: SegmentNode, el: list[str], comp: str) -> bool:
    key = node.key
    if key is None:
        return True
    idx, sub, codes = key
    val = el[idx] if idx < len(el) else ""
    if sub:
        val = val.split(comp)[sub - 1] if val else ""
    return val in codes


class _Frame:
    """A loop instance on the stack: the loop, its children's counts, where we are in it."""

    __slots__ = ("loop", "counts", "at")

    def __init__(self, loop: LoopNode, at: int = 0) -> None:
        self.loop = loop
        self.counts: dict[int, int] = {}
        self.at = at


def _first_at_pos(loop: LoopNode, index: int) -> int:
    """The first child index at the same position as child ``index`` (pyx12 scans every
    child whose position is >= the current one, same-position siblings included)."""
    children = loop.children
    pos = children[index].pos if index < len(children) else 1 << 30
    while index > 0 and children[index - 1].pos == pos:
        index -= 1
    return index


def _loop_match(loop: LoopNode, sid: str, el: list[str], comp: str) -> list[LoopNode] | None:
    """The loops to enter (outermost first) when ``loop`` opens with this segment."""
    first = loop.first
    if first is not None:
        return [loop] if first.id == sid and _key_match(first, el, comp) else None
    for child in loop.children:
        if child.is_loop:
            sub = _loop_match(child, sid, el, comp)  # type: ignore[arg-type]
            if sub is not None:
                return [loop, *sub]
    return None


def _missing_loops(
    loop: LoopNode,
    count: int,
    seen: dict[int, int],
    missing: list[tuple[SegmentNode, LoopNode, str]],
) -> None:
    """A required loop not seen (a wrapper: its required child loops, by the wrapper's
    own counts ``seen`` when it is open)."""
    if loop.first is not None:
        if count < 1 and loop.usage == "R":
            missing.append((loop.first, loop, "loop"))
        return
    for child in loop.children:
        if child.is_loop:
            _missing_loops(child, seen.get(child.index, 0), {}, missing)  # type: ignore[arg-type]


# -- the transition cache ------------------------------------------------------------
# Where the walk goes from the current position depends only on the map: the stack is
# always the chain of loops above the last matched segment (each outer frame sits at the
# loop it opened), so that segment's node, the new segment's id and its values at the
# positions the map matches on (NM101, HL03, REF01, SV101-1 ...) decide which children
# are scanned and which one matches. Only the counts (missing required children, max use,
# repeats) belong to the loop instance: a plan records the scan, ``_replay`` reads the
# counts every time. A key value is kept only when it is one of the codes some namesake
# node matches (else None, which matches nothing), so garbage values share one plan.

_SEG, _LOOP, _OPEN_WRAPPER, _WRAPPER = 0, 1, 2, 3
_HIT, _ENTER, _NONE = 0, 1, 2
_TABLES: dict[int, tuple[CompiledMap, dict[tuple, _Plan], dict]] = {}


class _Plan:
    """The map-only part of one walk step: required children to check (depth, child
    index, child, kind), then the outcome (a segment hit at ``depth``/``index``, or loops
    ``path`` entered from the frame at ``depth`` with its position set to ``index``).

    ``node`` is the matched segment (for loops entered, the last one's first segment);
    ``opens`` is ``path`` as ``TR3Validator.segment`` applies it: (loop, its index in
    the frame above, the count above which it needs a look, -1 for a wrapper)."""

    __slots__ = (
        "checks",
        "outcome",
        "depth",
        "index",
        "node",
        "path",
        "in_claim",
        "max_use",
        "opens",
        "step",
        "seps",
        "pattern",
    )

    def __init__(
        self,
        checks: tuple[tuple[int, int, SegmentNode | LoopNode, int], ...],
        outcome: int,
        depth: int = 0,
        index: int = 0,
        node: SegmentNode | None = None,
        path: list[LoopNode] | None = None,
    ) -> None:
        self.checks, self.outcome, self.depth, self.index = checks, outcome, depth, index
        self.path = path or []
        # a hit segment's count above this needs a look (not used: every count does)
        self.max_use = -1 if node is None else (0 if node.usage == "N" else node.max_use)
        if path:
            node = path[-1].first
        self.node = node
        self.in_claim = node is not None and _in_claim(node)
        self.opens = tuple((loop, loop.index, _loop_limit(loop)) for loop in self.path)
        # how ``TR3Validator.segment`` applies it: 0 a hit, 1 loops entered (both with
        # nothing to check, inline), 2 by ``_replay``
        self.step = 2 if checks else 0 if outcome == _HIT else 1 if outcome == _ENTER else 2
        # ``node``'s whole-segment pattern for the separators ``seps`` (set on first use)
        self.seps: tuple[str, str] | None = None
        self.pattern: re.Pattern[str] | None = None


def _loop_limit(loop: LoopNode) -> int:
    """The count of a loop above which entering it is an error (-1: a wrapper, not
    counted; 0: marked not used)."""
    if loop.first is None:
        return -1
    return 0 if loop.usage == "N" else loop.repeat


def _tables(compiled: CompiledMap) -> tuple[dict[tuple, _Plan], dict]:
    """The map's shared plan cache and, per segment id, the key positions of its nodes
    with the union of their codes."""
    entry = _TABLES.get(id(compiled))
    if entry is None or entry[0] is not compiled:
        specs: dict[str, dict[tuple[int, int], set[str]]] = {}
        _key_specs(compiled.st_loop, specs)
        keys = {
            sid: tuple((idx, sub, frozenset(codes)) for (idx, sub), codes in sorted(by.items()))
            for sid, by in specs.items()
        }
        entry = (compiled, {}, keys)
        _TABLES[id(compiled)] = entry
    return entry[1], entry[2]


def _key_specs(loop: LoopNode, out: dict[str, dict[tuple[int, int], set[str]]]) -> None:
    for child in loop.children:
        if child.is_loop:
            _key_specs(child, out)  # type: ignore[arg-type]
        elif child.key is not None:  # type: ignore[union-attr]
            idx, sub, codes = child.key  # type: ignore[union-attr]
            out.setdefault(child.id, {}).setdefault((idx, sub), set()).update(codes)


def _key_value(spec: tuple[int, int, frozenset[str]], el: list[str], comp: str) -> str | None:
    """The value ``_key_match`` would test at this key position, or None when no node
    could match it."""
    idx, sub, codes = spec
    val = el[idx] if idx < len(el) else ""
    if sub:
        val = val.split(comp)[sub - 1] if val else ""
    return val if val in codes else None


def _scan(
    loop: LoopNode, start: int, depth: int, sid: str, el: list[str], comp: str
) -> tuple[int, list[LoopNode] | None, int]:
    """One level of pyx12's walk: (hit, loops to enter, how far the scan went) for this
    segment among ``loop``'s children from ``start``. ``hit`` is the child index, -2 for
    a repeat of ``loop`` itself (its first segment again), -1 for no match here."""
    children = loop.children
    for j in loop.by_sid.get(sid, ()):
        if j < start:
            continue
        child = children[j]
        if child.is_loop:
            path = _loop_match(child, sid, el, comp)  # type: ignore[arg-type]
            if path is not None:
                return j, path, j
        elif _key_match(child, el, comp):  # type: ignore[arg-type]
            first = loop.first
            if depth > 0 and first is not None and first.id == sid and _key_match(first, el, comp):
                return -2, [loop], j  # the loop's first segment again: repeat
            return j, None, j
    return -1, None, len(children)


def _plan(stack: list[_Frame], sid: str, el: list[str], comp: str) -> _Plan:
    """``TR3Validator._walk``'s scan, recorded instead of applied (same order)."""
    checks: list[tuple[int, int, SegmentNode | LoopNode, int]] = []
    depth = len(stack) - 1
    frame = stack[depth]
    loop = frame.loop
    start = _first_at_pos(loop, frame.at)
    while True:
        children = loop.children
        hit, enter, scanned_to = _scan(loop, start, depth, sid, el, comp)
        inner = stack[depth + 1] if depth + 1 < len(stack) else None
        for k in loop.required:
            if k < start or k >= scanned_to:
                continue
            child = children[k]
            if k == frame.at and (not child.is_loop or child.first is not None):  # type: ignore[union-attr]
                continue  # where the frame is was counted on the way in: never missing
            if not child.is_loop:
                kind = _SEG
            elif child.first is not None:  # type: ignore[union-attr]
                kind = _LOOP
            elif inner is not None and inner.loop is child:
                kind = _OPEN_WRAPPER
            else:
                kind = _WRAPPER
            checks.append((depth, k, child, kind))
        if hit >= 0 and enter is None:
            node: SegmentNode = children[hit]  # type: ignore[assignment]
            return _Plan(tuple(checks), _HIT, depth, hit, node)
        if enter is not None:
            if hit == -2:
                return _Plan(tuple(checks), _ENTER, depth - 1, loop.index, path=enter)
            return _Plan(tuple(checks), _ENTER, depth, hit, path=enter)
        if depth == 0:
            return _Plan(tuple(checks), _NONE)
        start = _first_at_pos(loop.parent, loop.index)  # type: ignore[arg-type]
        depth -= 1
        frame = stack[depth]
        loop = frame.loop
