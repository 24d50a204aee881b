"""Compile pyx12's 837P/837I XML maps into a compact tree our validator walks.

pyx12 (the oracle, STYLE.md) ships the TR3s as XML map files; its own walker builds a
tree of Python objects from them on every run and is slow. Here the same files are read
once, as *data* (ElementTree, no pyx12 import), into small slotted nodes with everything
the streaming validator needs precomputed: children in position order, an index by
segment id for each loop, the id-matching value of each segment (the qualifier that tells
REF*G1 from REF*F8, HL03 22 from 23), and each element's usage, data type, lengths and
code values (from ``dataele.xml`` and ``codes.xml``). The result is pickled under
``$EDI837_HOME/cache`` keyed by the map file's hash, so start-up costs one unpickle.
"""

from __future__ import annotations

import os
import pickle
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from edi837.hashing import blake2b

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

MAXINT = 1 << 30
MAP_FILES = {
    "837P": "837.5010.X222.A1.xml",  # 005010X222A1
    "837I": "837Q3.I.5010.X223.A1.xml",  # 005010X223A2 (pyx12's maps.xml)
}
_CACHE_FORMAT = 4  # 4: Element.regex, compiled (another branch's format 3 holds it as text)


class Element:
    """One element (or a composite's component) of a segment, as the map defines it.

    ``kind`` is the data type for a simple element and ``"C"`` for a composite, whose
    ``components`` then hold its elements. ``regex`` is the map's ``<regex>`` (837I
    2010AA N403 nine digits, 837P REF*SY REF02): pyx12 *searches* it in the value.
    """

    __slots__ = (
        "ref",
        "seq",
        "data_ele",
        "usage",
        "kind",
        "min_len",
        "max_len",
        "codes",
        "external",
        "components",
        "repeat",
        "name",
        "regex",
    )

    def __init__(
        self,
        ref: str,
        seq: int,
        data_ele: str,
        usage: str,
        kind: str,
        min_len: int,
        max_len: int,
        codes: frozenset[str] | None,
        external: str | None,
        components: tuple[Element, ...] | None,
        repeat: int,
        name: str,
        regex: re.Pattern[str] | None = None,
    ) -> None:
        self.ref, self.seq, self.data_ele, self.usage = ref, seq, data_ele, usage
        self.kind, self.min_len, self.max_len = kind, min_len, max_len
        self.codes, self.external, self.components = codes, external, components
        self.repeat, self.name, self.regex = repeat, name, regex


class SegmentNode:
    """A segment of the map: where it sits, how often, how it is told from its namesakes."""

    __slots__ = (
        "id",
        "usage",
        "pos",
        "max_use",
        "key",
        "elements",
        "syntax",
        "parent",
        "index",
        "name",
        "path",
    )

    def __init__(self, sid: str, usage: str, pos: int, max_use: int, name: str) -> None:
        self.id, self.usage, self.pos, self.max_use, self.name = sid, usage, pos, max_use, name
        self.key: tuple[int, int, frozenset[str]] | None = None  # (element, component, codes)
        self.elements: tuple[Element, ...] = ()
        self.syntax: tuple[tuple[str, tuple[int, ...]], ...] = ()
        self.parent: LoopNode | None = None
        self.index = 0  # position among its loop's children
        self.path = ""

    is_loop = False


class LoopNode:
    """A loop (2000A, 2300, ...) or a wrapper (HEADER, DETAIL) with its children in order."""

    __slots__ = (
        "id",
        "usage",
        "pos",
        "repeat",
        "children",
        "parent",
        "index",
        "name",
        "first",
        "wrapper",
        "by_sid",
        "path",
        "required",
    )

    def __init__(
        self, lid: str, usage: str, pos: int, repeat: int, name: str, wrapper: bool
    ) -> None:
        self.id, self.usage, self.pos, self.repeat, self.name = lid, usage, pos, repeat, name
        self.wrapper = wrapper
        self.children: list[SegmentNode | LoopNode] = []
        self.parent: LoopNode | None = None
        self.index = 0
        self.first: SegmentNode | None = None  # the loop's first segment (None: wrapper)
        # segment id -> indexes of the children that could match it (segments with that
        # id, loops whose first segment has it), ascending: the walker's dispatch table.
        self.by_sid: dict[str, tuple[int, ...]] = {}
        self.required: tuple[int, ...] = ()  # indexes of the R children
        self.path = ""

    is_loop = True

    def entry_ids(self) -> set[str]:
        """Segment ids that can open this loop (a wrapper: those of its child loops)."""
        if self.first is not None:
            return {self.first.id}
        out: set[str] = set()
        for child in self.children:
            if child.is_loop:
                out |= child.entry_ids()  # type: ignore[union-attr]
        return out


class CompiledMap:
    """The ST_LOOP of one 837 map, plus where it came from."""

    __slots__ = ("form", "st_loop", "source_hash", "known_ids")

    def __init__(self, form: str, st_loop: LoopNode, source_hash: str) -> None:
        self.form, self.st_loop, self.source_hash = form, st_loop, source_hash
        self.known_ids = frozenset(_all_ids(st_loop))


def _all_ids(loop: LoopNode) -> set[str]:
    out: set[str] = set()
    for child in loop.children:
        out |= _all_ids(child) if child.is_loop else {child.id}  # type: ignore[arg-type]
    return out


def map_dir() -> Path:
    """pyx12's map folder, found without importing pyx12 (it is only data here)."""
    import importlib.util

    spec = importlib.util.find_spec("pyx12")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("pyx12 is not installed: its maps are needed for validation")
    return Path(next(iter(spec.submodule_search_locations))) / "map"


def _repeat(text: str | None) -> int:
    text = (text or "").strip()
    return MAXINT if not text or text in (">1", "&gt;1") else int(text)


def _data_elements(folder: Path) -> dict[str, tuple[str, int, int]]:
    import xml.etree.ElementTree as ET  # only when a map is compiled (a cache miss)

    root = ET.parse(folder / "dataele.xml").getroot()
    return {
        e.get("ele_num", ""): (
            e.get("data_type") or "",
            int(e.get("min_len") or 0),
            int(e.get("max_len") or 0),
        )
        for e in root
    }


def _external_codes(folder: Path) -> dict[str, frozenset[str]]:
    import xml.etree.ElementTree as ET

    root = ET.parse(folder / "codes.xml").getroot()
    out: dict[str, frozenset[str]] = {}
    for node in root.iter("codeset"):
        out[node.findtext("id") or ""] = frozenset(
            (c.text or "").strip() for c in node.iter("code")
        )
    return out


def _element(
    node: ET.Element, dataele: dict[str, tuple[str, int, int]], external: dict[str, frozenset[str]]
) -> Element:
    data_ele = (node.findtext("data_ele") or "").strip()
    usage = (node.findtext("usage") or "S").strip()
    seq = int((node.findtext("seq") or "0").strip())
    ref = node.get("xid", "")
    name = (node.findtext("name") or "").strip()
    if node.tag == "composite":
        parts = tuple(_element(c, dataele, external) for c in node if c.tag == "element")
        return Element(
            ref,
            seq,
            data_ele,
            usage,
            "C",
            0,
            0,
            None,
            None,
            parts,
            _repeat(node.findtext("repeat") or "1"),
            name,
        )
    kind, min_len, max_len = dataele.get(data_ele, ("", 0, MAXINT))
    codes: frozenset[str] | None = None
    ext_name: str | None = None
    valid = node.find("valid_codes")
    if valid is not None:
        ext_name = valid.get("external")
        listed = frozenset((c.text or "").strip() for c in valid.iter("code"))
        if ext_name:
            listed |= external.get(ext_name, frozenset())
        codes = listed or None
    regex = (node.findtext("regex") or "").strip()
    return Element(
        ref,
        seq,
        data_ele,
        usage,
        kind,
        min_len,
        max_len,
        codes,
        ext_name,
        None,
        _repeat(node.findtext("repeat") or "1"),
        name,
        re.compile(regex, re.S) if regex else None,  # pyx12's flags
    )


def _segment_key(seg: SegmentNode) -> tuple[int, int, frozenset[str]] | None:
    """The qualifier that tells this segment from its namesakes, as pyx12 picks it: an
    R ID element 01 with codes, an ID composite 01-1, or HL03."""
    els = seg.elements
    c0 = els[0] if els else None
    if c0 is not None and c0.kind == "ID" and c0.usage == "R" and c0.codes:
        return (1, 0, c0.codes)
    if (
        c0 is not None
        and c0.kind == "C"
        and c0.components
        and c0.components[0].kind == "ID"
        and c0.components[0].codes
    ):
        return (1, 1, c0.components[0].codes)
    if seg.id == "HL" and len(els) > 2 and els[2].codes:
        return (3, 0, els[2].codes)
    return None


def _syntax(text: str) -> tuple[str, tuple[int, ...]] | None:
    text = text.strip()
    if not text or text[0] not in "PRCLE":
        return None
    return text[0], tuple(int(text[i : i + 2]) for i in range(1, len(text) - 1, 2))


def _loop(
    node: ET.Element,
    dataele: dict[str, tuple[str, int, int]],
    external: dict[str, frozenset[str]],
    parent_path: str,
) -> LoopNode:
    loop = LoopNode(
        node.get("xid", ""),
        (node.findtext("usage") or "S").strip(),
        int((node.findtext("pos") or "0").strip()),
        _repeat(node.findtext("repeat")),
        (node.findtext("name") or "").strip(),
        node.get("type") == "wrapper",
    )
    loop.path = f"{parent_path}/{loop.id}"
    for child in node:
        if child.tag == "loop":
            sub = _loop(child, dataele, external, loop.path)
            sub.parent = loop
            loop.children.append(sub)
        elif child.tag == "segment":
            seg = SegmentNode(
                child.get("xid", ""),
                (child.findtext("usage") or "S").strip(),
                int((child.findtext("pos") or "0").strip()),
                _repeat(child.findtext("max_use")),
                (child.findtext("name") or "").strip(),
            )
            seg.elements = tuple(
                _element(e, dataele, external) for e in child if e.tag in ("element", "composite")
            )
            seg.syntax = tuple(
                s for s in (_syntax(x.text or "") for x in child.findall("syntax")) if s
            )
            seg.key = _segment_key(seg)
            seg.parent = loop
            seg.path = f"{loop.path}/{seg.id}"
            loop.children.append(seg)
    loop.children.sort(key=lambda c: c.pos)  # stable: same position keeps map order
    for i, child in enumerate(loop.children):
        child.index = i
    if loop.children and not loop.children[0].is_loop:
        loop.first = loop.children[0]  # type: ignore[assignment]
    by_sid: dict[str, list[int]] = {}
    for i, child in enumerate(loop.children):
        ids = child.entry_ids() if child.is_loop else {child.id}  # type: ignore[union-attr]
        for sid in ids:
            by_sid.setdefault(sid, []).append(i)
    loop.by_sid = {k: tuple(v) for k, v in by_sid.items()}
    # R children, and wrappers (whose required child loops count as missing either way)
    loop.required = tuple(
        i for i, c in enumerate(loop.children) if c.usage == "R" or (c.is_loop and c.first is None)
    )
    return loop


def compile_map(path: Path, form: str) -> CompiledMap:
    """Read one pyx12 map file (and its data element and code tables) into a tree."""
    folder = path.parent
    import xml.etree.ElementTree as ET

    dataele, external = _data_elements(folder), _external_codes(folder)
    root = ET.parse(path).getroot()
    st = root.find("./loop[@xid='ISA_LOOP']/loop[@xid='GS_LOOP']/loop[@xid='ST_LOOP']")
    if st is None:
        raise ValueError(f"{path}: no ST_LOOP in map")
    digest = blake2b(path.read_bytes(), digest_size=12).hexdigest()
    return CompiledMap(form, _loop(st, dataele, external, "/ISA_LOOP/GS_LOOP"), digest)


def _cache_dir() -> Path | None:
    home = os.environ.get("EDI837_HOME")
    base = Path(home) if home else Path.home() / ".cache" / "edi837"
    return base / "cache"


@lru_cache(maxsize=4)
def load_map(form: str) -> CompiledMap:
    """The compiled map of ``837P``/``837I``: from the pickle cache when its key (map
    file hash, format version) matches, else compiled and cached (best effort)."""
    path = map_dir() / MAP_FILES[form]
    data = path.read_bytes()
    key = blake2b(
        data + (map_dir() / "dataele.xml").read_bytes() + (map_dir() / "codes.xml").read_bytes(),
        digest_size=12,
    ).hexdigest()
    cache = _cache_dir()
    target = cache / f"tr3-{form}-{_CACHE_FORMAT}-{key}.pickle" if cache else None
    if target is not None and target.is_file():
        try:
            with open(target, "rb") as handle:
                return pickle.load(handle)  # noqa: S301 - our own cache file
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass
    compiled = compile_map(path, form)
    if target is not None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as handle:
                pickle.dump(compiled, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        except OSError:
            pass
    return compiled
