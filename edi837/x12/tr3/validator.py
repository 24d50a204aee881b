"""Streaming TR3 validation: walk the compiled 837 map over the segments as they are read.

The walk is pyx12's (``map_walker.walk_tree``), re-done over compact nodes: from the
current segment, scan the current loop's later children for the new segment (by id, then
by its qualifier: ``REF*G1`` is not ``REF*F8``, ``HL03`` 22 is not 23), then the enclosing
loops', entering a child loop when its first segment matches. On the way, required
segments and loops not seen become "missing" (IK304 3); too many of a segment or loop is
IK304 5 / 4; a segment found nowhere is IK304 1 and leaves the position unchanged. The
matched segment's elements are then checked (``elements.check_segment``).

Counting is per loop *instance*: each loop on the stack holds the counts of its own
children, so entering a loop again starts its children's counts afresh (pyx12's
``reset_to_node``) without touching anything else.

Every problem becomes one ``TR3Error`` with where it is (segment ordinal, byte offset,
position in the set, loop id) and whether it lies inside a claim (loop 2300 and below:
that claim is rejected) or above the claims (the transaction set is rejected).

Speed: where the walk goes depends only on the map, the last matched node, the segment
id and its key value, so each such step is worked out once (``_plan``) and replayed
against the loop instance's counts (bounded by ``TRANSITION_LIMIT``; the common outcomes,
the next segment of the loop or a new loop instance with nothing missing, inline in
``segment``, the rest in ``_replay``). A new body is checked by one whole-segment pattern
per node (``elements.segment_pattern``: elements, dates, syntax rules), the full checks
only when it does not match (their results memoized, ``MEMO_LIMIT``). A body the pattern
passed is remembered with the plan it took after that node (``_steps``): the same
segment after the same node again (most segments: ``LX*1``, ``DTP*472*D8*...``, an
address seen before) costs one look-up and the counts. ``TR3Validator(fast=False)`` does
none of this: the reference the fast paths are tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

from edi837.safetext import shown_segment_id
from edi837.x12.tokenizer import Batch
from edi837.x12.tr3.compile import CompiledMap, LoopNode, SegmentNode, load_map
from edi837.x12.tr3.elements import NOT_YET, ElementError, check_segment, segment_pattern
from edi837.x12.tr3.readchecks import ReadChecks, shape_errors
from edi837.x12.tr3.walk import (
    _ENTER,
    _HIT,
    _OPEN_WRAPPER,
    _SEG,
    _first_at_pos,
    _Frame,
    _in_claim,
    _key_value,
    _missing_loops,
    _Plan,
    _plan,
    _scan,
    _tables,
)

TRANSITION_LIMIT = 4096  # walk plans remembered per map (see ``_Plan``); a bound on memory
MEMO_LIMIT = 16384  # segment bodies remembered with their element errors, all nodes
# together: a bound on memory (~3 MB), not per node (a file with 100k distinct names
# would otherwise keep 8k bodies for each of a hundred nodes).
_SEGMENT_KINDS = {
    "1": "unrecognized segment (not where the guide allows it)",
    "2": "segment marked not used",
    "3": "required segment missing",
    "4": "loop occurs more than its maximum",
    "5": "segment occurs more than its maximum",
    "8": "segment has data element errors",
}
SEGMENT_KINDS = _SEGMENT_KINDS
_TR3_LOOP = frozenset("0123456789")
_HL_LOOPS = {"20": "2000A", "22": "2000B", "23": "2000C"}
_SHAPE_KINDS = {
    "SEG1": "segment ends in an element separator",
    "EMPTY": "segment has no value at all",
}


@dataclass(slots=True)
class TR3Error:
    """One TR3 problem, with the 999 coordinates (IK3, IK4) and the claim it sits in."""

    ordinal: int  # segment number in the file (the segment at which it was found)
    offset: int  # byte offset of that segment
    segment_id: str  # IK301: the segment in error (for a missing one, its id)
    position: int  # IK302: position of the reporting segment in the set (ST = 1)
    loop: str  # IK303: 2300, 2010BB, ... ("" in the header table)
    code: str  # IK304
    message: str  # never holds an element value
    element: ElementError | None = None  # IK4 when the error is an element's
    claim: int = -1  # index of the claim in the file (0-based) when inside one, else -1
    transaction: int = 0  # index of the transaction set in the file (1-based)
    CLM01: str = ""  # the claim's id (999 CTX) when inside one
    shown_id: str = ""  # the id for messages: "(unreadable segment id)" for a garbled one
    kind: str = ""  # a check outside the map walk (readchecks): HL1, HL2, LX, SEG1, EMPTY


_NONE: frozenset[int] = frozenset()


def padded_ordinals(batch: Batch) -> frozenset[int]:
    """``TR3Validator.padded`` for a batch: the ordinals of its ``Batch.padded`` bodies."""
    if not batch.padded:
        return _NONE
    return frozenset(batch.first_ordinal + i for i in batch.padded)


def _loop_id(loop: LoopNode | None) -> str:
    """The loop id a 999 names (IK303): 1000A, 2300...; none for the header wrappers."""
    if loop is None or not loop.id or loop.id[0] not in _TR3_LOOP:
        return ""
    return loop.id


class TR3Validator:
    """Validate the segments of one file's 837 transaction sets, one segment at a time.

    Call ``begin_set(form, ...)`` at each ST (with the set's form, 837P or 837I; an
    unknown form switches validation off for that set), then ``segment(...)`` for every
    segment from ST to SE inclusive. Errors accumulate in ``errors``.
    """

    def __init__(self, *, fast: bool = True) -> None:
        # fast=False walks every segment the plain way and checks every element (the
        # reference the transition cache and the whole-segment patterns are tested
        # against, tests/test_tr3_fast_walk.py).
        self.fast = fast
        self.errors: list[TR3Error] = []
        self.claims = 0  # CLM segments seen in the file: the index of the next claim
        self.by_claim: dict[int, list[TR3Error]] = {}  # claim index -> its errors
        self._clm01 = ["", ""]  # CLM01 of the previous and the current claim
        self._map: CompiledMap | None = None
        self._stack: list[_Frame] = []
        self._position = 0
        self._transaction = 0
        self._memo: dict[tuple[int, str], tuple[ElementError, ...]] = {}
        self._ele = ""
        self._comp = ""
        self._state: SegmentNode | None = None  # the node of the last matched segment
        self._plans: dict[tuple, _Plan] = {}
        # segment id -> its one key position (element, component, codes); (-1, ...) when
        # it has several (then ``_multi``)
        self._keys: dict[str, tuple[int, int, frozenset[str]]] = {}
        self._multi: dict[str, tuple[tuple[int, int, frozenset[str]], ...]] = {}
        # the separators as one object: a plan's pattern is for the ``_seps`` it holds
        self._seps: tuple[str, str] | None = None
        # node of the last segment -> body -> plan, for bodies found valid after that
        # node (a dict per node: a look-up by the body alone, no key tuple to build)
        self._steps: dict[SegmentNode, dict[str, _Plan]] = {}
        self._n_steps = 0
        self._reads = ReadChecks()  # HL/LX numbering, pyx12's reader checks
        # ordinals of segments that had whitespace before their terminator (the caller's
        # ``Batch.padded``): their last character is not the segment's (no SEG1/EMPTY)
        self.padded: frozenset[int] = frozenset()
        self._shaping = -1  # the ordinal ``_shaped`` is walking (see ``segment``)
        self._lx_check = False

    # -- per transaction set ---------------------------------------------------------
    def begin_set(self, form: str, transaction: int) -> None:
        self._map = load_map(form) if form in ("837P", "837I") else None
        self._transaction = transaction
        self._position = 0
        self._stack = []
        self._state = None
        self._reads.begin_set()
        self._lx_check = form == "837P"  # pyx12 counts LX only under its map id "837"
        if self._map is not None:
            self._plans, self._multi = _tables(self._map)
            self._keys = {
                sid: specs[0] if len(specs) == 1 else (-1, 0, frozenset())
                for sid, specs in self._multi.items()
            }

    def segment(
        self,
        sid: str,
        body: str,
        ordinal: int,
        offset: int,
        ele: str,
        comp: str,
        el: list[str] | None = None,
    ) -> None:
        """Walk to this segment (ST..SE) and check its elements (``el``: the body split
        at ``ele``, when the caller has it already)."""
        last = body[-1:]
        if (
            (last in (ele, comp) or len(body) == len(sid))
            and ordinal != self._shaping
            and sid != "ST"
            and sid != "SE"
            and self._map is not None
            and ordinal not in self.padded
        ):  # rare: a trailing separator or no element values (pyx12's SEG1, EMPTY)
            self._shaped(sid, body, ordinal, offset, ele, comp, el)
            return
        self._position += 1
        is_clm = sid == "CLM"
        if is_clm:
            self.claims += 1
            k = body.find(ele, 4)
            self._clm01 = [self._clm01[1], body[4:k] if k > 0 else body[4:]]
            if self._lx_check:
                self._reads.clm()
        elif (sid == "HL" or (sid == "LX" and self._lx_check)) and self._map is not None:
            self._numbering(sid, el if el is not None else body.split(ele), ordinal, offset)
        if ele != self._ele or comp != self._comp:
            self._ele, self._comp = ele, comp
            self._memo = {}
            self._steps = {}
            self._n_steps = 0
            self._seps = (ele, comp)
        state = self._state  # None: no map, before ST, or the reference walk
        if state is None or sid == "ST":
            # the claim before this segment (a CLM opens one)
            prev_claim = self.claims - 2 if is_clm else self.claims - 1
            self._segment_plain(sid, body, ordinal, offset, ele, comp, el, prev_claim)
            return
        # The fast step (see the module docstring). A body seen valid after the same node
        # has its plan in ``_steps`` (most segments: DTP*472*D8*..., LX*1, N4 ...): one
        # look-up, and nothing to check. Then the common outcomes inline; ``_replay``
        # takes the rest.
        after = self._steps.get(state)
        plan = after.get(body) if after is not None else None
        valid = plan is not None
        if plan is None:  # by (node, id, key value): the key only where the map has one
            spec = self._keys.get(sid)
            if spec is None:
                key: tuple = (state, sid)
            elif spec[0] >= 0:  # one key position per id (every pyx12 837 map)
                idx, sub, codes = spec
                head = el if el is not None else body.split(ele, idx + 1)
                val = head[idx] if idx < len(head) else ""
                if sub:
                    val = val.split(comp)[sub - 1] if val else ""
                key = (state, sid, val if val in codes else None)
            else:
                key = self._multi_key(state, sid, body, ele, comp, el)
            plan = self._plans.get(key)
            if plan is None:
                plan = self._new_plan(key, sid, body, ele, comp, el)
        stack = self._stack
        step = plan.step
        if step == 0:  # _HIT, nothing to check: the next segment of the same loop instance
            depth = plan.depth
            if len(stack) > depth + 1:
                del stack[depth + 1 :]
            frame = stack[depth]
            hit = frame.at = plan.index
            counts = frame.counts
            counts[hit] = count = counts.get(hit, 0) + 1
            found = plan.node
            if count > plan.max_use:  # too many, or a not-used segment (max 0)
                self._overuse(found, sid, count, ordinal, offset)  # type: ignore[arg-type]
        elif step == 1:  # _ENTER, nothing to check: a new loop instance, its first segment
            depth = plan.depth
            frame = stack[depth]
            for loop, index, limit in plan.opens:
                if limit >= 0:  # a wrapper (DETAIL) is not counted
                    counts = frame.counts
                    counts[index] = count = counts.get(index, 0) + 1
                    if count > limit:
                        self._loop_overuse(loop, sid, count, ordinal, offset)
                frame.at = index
                depth += 1
                if depth < len(stack):  # the frame of a loop left: reused, as new
                    frame = stack[depth]
                    frame.loop, frame.counts, frame.at = loop, {}, 0
                else:
                    frame = _Frame(loop, 0)
                    stack.append(frame)
            if len(stack) > depth + 1:
                del stack[depth + 1 :]
            frame.counts[0] = 1
            found = plan.node
        else:
            prev_claim = self.claims - 2 if is_clm else self.claims - 1
            found = self._replay(plan, sid, ordinal, offset, prev_claim)
            if found is None:
                self._unexpected(sid, ordinal, offset, is_clm)
                return
        self._state = found
        if valid:
            return
        # Elements (the plan's node is always ``found``): the whole-segment pattern
        # first (most new bodies are valid), then the memo of checked bodies, then the
        # full checks.
        if plan.seps is not self._seps:
            pattern = segment_pattern(found, ele, comp)  # type: ignore[arg-type]
            if pattern is NOT_YET:  # first sight of the node: the long way this once
                pattern = None
            else:
                plan.seps, plan.pattern = self._seps, pattern
        else:
            pattern = plan.pattern
        if pattern is not None and pattern.fullmatch(body) is not None:
            # no element or syntax error: next time after this node, one look-up
            if self._n_steps >= MEMO_LIMIT:
                self._steps.clear()
                self._n_steps = 0
                after = None
            if after is None:
                after = self._steps[state] = {}
            after[body] = plan
            self._n_steps += 1
            return
        memo = self._memo
        mkey = (found, body)
        errs = memo.get(mkey)
        if errs is None:
            if el is None:
                el = body.split(ele)
            errs = check_segment(found, el, comp)  # type: ignore[arg-type]
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[mkey] = errs
        if errs:
            claim = self.claims - 1 if plan.in_claim else -1
            self._report(found, errs, ordinal, offset, claim)  # type: ignore[arg-type]

    def _multi_key(
        self, state: SegmentNode, sid: str, body: str, ele: str, comp: str, el: list[str] | None
    ) -> tuple:
        """The plan key of an id told from its namesakes at several positions."""
        if el is None:
            el = body.split(ele)
        return (state, sid, *[_key_value(s, el, comp) for s in self._multi[sid]])

    def _new_plan(
        self, key: tuple, sid: str, body: str, ele: str, comp: str, el: list[str] | None
    ) -> _Plan:
        """Work out the walk from here (``_plan``) and remember it under ``key``."""
        if el is None:
            el = body.split(ele)
        plan = _plan(self._stack, sid, el, comp)
        plans = self._plans
        if len(plans) >= TRANSITION_LIMIT:
            plans.clear()
        plans[key] = plan
        return plan

    def _segment_plain(
        self,
        sid: str,
        body: str,
        ordinal: int,
        offset: int,
        ele: str,
        comp: str,
        el: list[str] | None,
        prev_claim: int,
    ) -> None:
        """ST, and every segment of the reference (``fast=False``): the plain walk and
        every element checked."""
        compiled = self._map
        if compiled is None:
            return
        if el is None:
            el = body.split(ele)
        if sid == "ST":
            root = compiled.st_loop
            frame = _Frame(root, 0)
            frame.counts[0] = 1
            self._stack = [frame]
            if self.fast:  # the reference keeps no state: every segment walks plainly
                self._state = root.children[0]  # type: ignore[assignment]
            self._elements(root.children[0], body, el, comp, ordinal, offset, -1)  # type: ignore[arg-type]
            return
        found = self._walk(sid, el, comp, ordinal, offset, prev_claim)
        if found is None:
            self._unexpected(sid, ordinal, offset, sid == "CLM")
            return
        if self.fast:
            self._state = found
        claim = self.claims - 1 if _in_claim(found) else -1
        self._elements(found, body, el, comp, ordinal, offset, claim)

    def _unexpected(self, sid: str, ordinal: int, offset: int, is_clm: bool) -> None:
        """IK304 1: a segment found nowhere (the position stays where it was)."""
        claim = self.claims - 1 if (not is_clm and self._stack_in_claim()) else -1
        shown = shown_segment_id(sid)  # a mis-separated segment's "id" is all its text
        self._add(
            ordinal,
            offset,
            sid,
            "",
            "1",
            f"{shown} segment not expected here ({_SEGMENT_KINDS['1']})",
            claim,
        )

    def _numbering(self, sid: str, el: list[str], ordinal: int, offset: int) -> None:
        """HL01/HL02 and LX01 numbering (``readchecks``): an HL's error rejects the set,
        an LX's the claim it is in."""
        if sid == "HL":
            found = self._reads.hl(el)
            loop, claim = _HL_LOOPS.get(el[3] if len(el) > 3 else "", ""), -1
        else:
            err = self._reads.lx(el)
            found = [("LX", err)] if err is not None else []
            loop, claim = "2400", self.claims - 1 if self._stack_in_claim() else -1
        for kind, e in found:
            self._add(ordinal, offset, sid, loop, "8", e.what, claim, e)
            self.errors[-1].kind = kind

    def _shaped(
        self,
        sid: str,
        body: str,
        ordinal: int,
        offset: int,
        ele: str,
        comp: str,
        el: list[str] | None,
    ) -> None:
        """Walk a segment that ends in a separator or has no values, then report that
        (IK304 8, no IK4) if the walk found it: pyx12 moves the error of a segment it
        does not find (IK304 1) onto the next one it does, which is not copied."""
        self._shaping = ordinal
        before = len(self.errors)
        self.segment(sid, body, ordinal, offset, ele, comp, el)
        self._shaping = -1
        if any(e.ordinal == ordinal and e.code == "1" for e in self.errors[before:]):
            return
        claim = self.claims - 1 if self._stack_in_claim() else -1
        loop = _loop_id(self._stack[-1].loop) if self._stack else ""
        shown = shown_segment_id(sid)
        for kind in shape_errors(sid, body, ele, comp):
            self._add(ordinal, offset, sid, loop, "8", f"{shown}: {_SHAPE_KINDS[kind]}", claim)
            self.errors[-1].kind = kind

    # -- helpers ---------------------------------------------------------------------
    def _stack_in_claim(self) -> bool:
        return any(f.loop.id == "2300" for f in self._stack)

    def _add(
        self,
        ordinal: int,
        offset: int,
        sid: str,
        loop: str,
        code: str,
        message: str,
        claim: int,
        element: ElementError | None = None,
    ) -> None:
        clm01 = "" if claim < 0 else self._clm01[1 if claim == self.claims - 1 else 0]
        err = TR3Error(
            ordinal,
            offset,
            sid[:3],
            self._position,
            loop,
            code,
            message,
            element,
            claim,
            self._transaction,
            clm01,
            shown_segment_id(sid),
        )
        self.errors.append(err)
        if claim >= 0:
            self.by_claim.setdefault(claim, []).append(err)

    def _elements(
        self,
        node: SegmentNode,
        body: str,
        el: list[str],
        comp: str,
        ordinal: int,
        offset: int,
        claim: int,
    ) -> None:
        memo = self._memo
        key = (node, body)
        found = memo.get(key)
        if found is None:
            found = check_segment(node, el, comp)
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[key] = found
        if found:
            self._report(node, found, ordinal, offset, claim)

    def _report(
        self,
        node: SegmentNode,
        found: tuple[ElementError, ...],
        ordinal: int,
        offset: int,
        claim: int,
    ) -> None:
        loop = _loop_id(node.parent)
        for err in found:
            where = f"{err.ref or node.id}" + (
                f" (component {err.component})" if err.component and "-" not in err.ref else ""
            )
            self._add(ordinal, offset, node.id, loop, "8", f"{where}: {err.what}", claim, err)

    def _walk(
        self, sid: str, el: list[str], comp: str, ordinal: int, offset: int, prev_claim: int
    ) -> SegmentNode | None:
        """pyx12's walk: find the node for this segment from the current position."""
        stack = self._stack
        if not stack:
            return None
        missing: list[tuple[SegmentNode, LoopNode, str]] = []  # (first seg, loop, kind)
        depth = len(stack) - 1
        frame = stack[depth]
        loop = frame.loop
        start = _first_at_pos(loop, frame.at)
        while True:
            children = loop.children
            counts = frame.counts if frame is not None else {}
            hit, enter, scanned_to = _scan(loop, start, depth, sid, el, comp)
            inner = stack[depth + 1] if depth + 1 < len(stack) else None
            self._collect_missing(loop, counts, start, scanned_to, missing, inner)
            if hit >= 0 and enter is None:
                node: SegmentNode = children[hit]  # type: ignore[assignment]
                del stack[depth + 1 :]
                frame = stack[depth]
                frame.at = hit
                frame.counts[hit] = count = frame.counts.get(hit, 0) + 1
                self._flush(missing, ordinal, offset, prev_claim, node)
                self._overuse(node, sid, count, ordinal, offset)
                return node
            if enter is not None:
                if hit == -2:  # repeat of the scanned loop: re-enter it from its parent
                    del stack[depth:]
                    depth -= 1
                    parent = stack[depth]
                    enter_at = loop.index
                else:
                    del stack[depth + 1 :]
                    parent = stack[depth]
                    enter_at = hit
                parent.at = enter_at
                return self._enter(parent, enter, sid, ordinal, offset, missing, prev_claim)
            if depth == 0:
                return None  # not found anywhere: nothing changes, missing ones dropped
            start = _first_at_pos(loop.parent, loop.index)  # type: ignore[arg-type]
            depth -= 1
            frame = stack[depth]
            loop = frame.loop

    def _replay(
        self, plan: _Plan, sid: str, ordinal: int, offset: int, prev_claim: int
    ) -> SegmentNode | None:
        """Apply a walk plan to this loop instance: what ``_walk`` does, with the scan
        (which children, which match) already done; only the counts are looked at."""
        stack = self._stack
        missing: list[tuple[SegmentNode, LoopNode, str]] = []
        for depth, k, child, kind in plan.checks:
            frame = stack[depth]
            if frame.counts.get(k, 0) >= 1:
                continue
            if kind == _SEG:
                missing.append((child, frame.loop, "segment"))  # type: ignore[arg-type]
            else:
                seen = stack[depth + 1].counts if kind == _OPEN_WRAPPER else {}
                _missing_loops(child, 0, seen, missing)  # type: ignore[arg-type]
        outcome = plan.outcome
        if outcome == _HIT:
            node: SegmentNode = plan.node  # type: ignore[assignment]
            depth = plan.depth
            del stack[depth + 1 :]
            frame = stack[depth]
            hit = plan.index
            frame.at = hit
            frame.counts[hit] = count = frame.counts.get(hit, 0) + 1
            if missing:
                self._flush(missing, ordinal, offset, prev_claim, node)
            if count > plan.max_use:
                self._overuse(node, sid, count, ordinal, offset)
            return node
        if outcome == _ENTER:
            del stack[plan.depth + 1 :]
            parent = stack[plan.depth]
            parent.at = plan.index
            return self._enter(parent, plan.path, sid, ordinal, offset, missing, prev_claim)
        return None

    def _overuse(self, node: SegmentNode, sid: str, count: int, ordinal: int, offset: int) -> None:
        """IK304 2 (a segment marked not used) or 5 (more than its maximum use)."""
        if node.usage == "N":
            self._add(
                ordinal,
                offset,
                sid,
                _loop_id(node.parent),
                "2",
                f"{sid}: {_SEGMENT_KINDS['2']}",
                self._claim_of(node),
            )
        elif count > node.max_use:
            self._add(
                ordinal,
                offset,
                sid,
                _loop_id(node.parent),
                "5",
                f"{sid}: {_SEGMENT_KINDS['5']} ({count} > {node.max_use})",
                self._claim_of(node),
            )

    def _loop_overuse(
        self, loop: LoopNode, sid: str, count: int, ordinal: int, offset: int
    ) -> None:
        """IK304 2 (a loop marked not used) or 4 (more than its maximum repeat)."""
        if loop.usage == "N":
            self._add(
                ordinal,
                offset,
                sid,
                _loop_id(loop),
                "2",
                f"loop {loop.id} marked not used",
                self._claim_of(loop),
            )
        elif count > loop.repeat:
            self._add(
                ordinal,
                offset,
                sid,
                _loop_id(loop),
                "4",
                f"loop {loop.id}: {_SEGMENT_KINDS['4']} ({count} > {loop.repeat})",
                self._claim_of(loop),
            )

    def _claim_of(self, node: SegmentNode | LoopNode) -> int:
        return self.claims - 1 if _in_claim(node) else -1

    def _collect_missing(
        self,
        loop: LoopNode,
        counts: dict[int, int],
        start: int,
        end: int,
        missing: list[tuple[SegmentNode, LoopNode, str]],
        inner: _Frame | None,
    ) -> None:
        """Required children in ``[start, end)`` not seen in this loop instance."""
        children = loop.children
        for k in loop.required:
            if k < start or k >= end or counts.get(k, 0) >= 1:
                continue
            child = children[k]
            if child.is_loop:
                seen = inner.counts if inner is not None and inner.loop is child else {}
                _missing_loops(child, counts.get(k, 0), seen, missing)  # type: ignore[arg-type]
            else:
                missing.append((child, loop, "segment"))  # type: ignore[arg-type]

    def _flush(
        self,
        missing: list[tuple[SegmentNode, LoopNode, str]],
        ordinal: int,
        offset: int,
        prev_claim: int,
        matched: SegmentNode | None,
    ) -> None:
        for seg, loop, kind in missing:
            if matched is not None and (seg is matched or seg.pos == matched.pos):
                continue
            claim = prev_claim if _in_claim(loop) else -1
            what = (
                f"required loop {loop.id} missing"
                if kind == "loop"
                else f"required segment {seg.id} missing from loop {loop.id or 'header'}"
            )
            self._add(ordinal, offset, seg.id, _loop_id(loop), "3", what, claim)

    def _enter(
        self,
        parent: _Frame,
        path: list[LoopNode],
        sid: str,
        ordinal: int,
        offset: int,
        missing: list[tuple[SegmentNode, LoopNode, str]],
        prev_claim: int,
    ) -> SegmentNode:
        """Enter the loops in ``path`` (outermost first) from ``parent``; the last one's
        first segment is the match."""
        stack = self._stack
        frame = parent
        for loop in path:
            if loop.first is not None:  # a wrapper (DETAIL) is not counted
                count = frame.counts.get(loop.index, 0) + 1
                frame.counts[loop.index] = count
                if loop.usage == "N" or count > loop.repeat:
                    self._loop_overuse(loop, sid, count, ordinal, offset)
            frame.at = loop.index
            frame = _Frame(loop, 0)
            stack.append(frame)
        first: SegmentNode = frame.loop.first  # type: ignore[assignment]
        frame.counts[0] = 1
        self._flush(missing, ordinal, offset, prev_claim, None)
        return first
