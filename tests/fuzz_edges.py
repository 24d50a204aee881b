"""Mutations of generated 837s and the conservation oracle, for tests/test_fuzz_edges.py.

**What is counted.** The oracle tokenizes the mutant with edi837's own segment reader
(separators are what the mutant's first ISA says) and counts every ``CLM`` segment that
stands after an ``ST`` with no ``SE`` between them: the claims "inside ST..SE", including
a set whose SE, GE or IEA is missing, a set outside any GS, and a set after a second ISA
or in a glued file. A file refused as a whole (not X12, a bad first ISA, a 4010 or
non-5010 interchange anywhere, binary) answers no claim: its count is 0 and the report
lists it as unreadable with its error. Every other file's claims each appear exactly
once in the report and once in the 277CA (``TRN*2`` under an ``HL*..*PT``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from edi837.cli import main
from edi837.errors import X12SyntaxError
from edi837.x12.tokenizer import SegmentReader

JUNK = [
    "",
    "ZZZ*1",
    "NM1|IL|1|DOE|JANE",
    "CLM",
    "CLM*X*",
    "LX*" + "9" * 5000,
    "SV1*HC:S0353*" + "1" * 5000 + "*UN*1",
    "ST*837*0001*005010X222A1",
    "SE*2*0001",
    "GS*HC*A*B*20240101*1200*1*X*005010X222A1",
    "GE*1*1",
    "IEA*1*000000001",
    "LX*\u00b2",
    "SV1*HC:S0354*1E999999*UN*\u00b2",
    "DMG*D8*2024\u00b21301",
    "HL*1**20*1",
    "HL*2*1*22*0",
    "\x00\x01\x02",
    "REF*G1*" + "x" * 2000,
]
BAD_NUMBERS = ["\u00b2", "9" * 5000, "1E999999", "-0", "NaN", "", "12345678901234567890"]
KINDS = (
    "delete",
    "duplicate",
    "swap",
    "truncate",
    "separator",
    "junk",
    "number",
    "glue",
    "isa",
    "terminator",
)


@dataclass(frozen=True)
class Mutation:
    kind: str
    where: int  # a segment index (modulo the segment count)
    pick: int  # which junk, which element, which replacement


def segments(text: str) -> list[str]:
    """The file as segment texts with their terminator (``~``, line ending kept)."""
    parts = text.split("~")
    out = [p + "~" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def mutate(text: str, mutations: list[Mutation], other: str) -> str:
    segs = segments(text)
    for m in mutations:
        if not segs:
            break
        i = m.where % len(segs)
        if m.kind == "delete":
            del segs[i]
        elif m.kind == "duplicate":
            segs.insert(i, segs[i])
        elif m.kind == "swap" and i + 1 < len(segs):
            segs[i], segs[i + 1] = segs[i + 1], segs[i]
        elif m.kind == "truncate":
            segs = segs[:i] + ([segs[i][: m.pick % max(len(segs[i]), 1)]] if m.pick % 2 else [])
        elif m.kind == "separator":
            k = [n for n, c in enumerate(segs[i]) if c == "*"]
            if k:
                pos = k[m.pick % len(k)]
                segs[i] = segs[i][:pos] + "|:^ \x1d"[m.pick % 5] + segs[i][pos + 1 :]
        elif m.kind == "junk":
            segs.insert(i, JUNK[m.pick % len(JUNK)] + "~\n")
        elif m.kind == "number":
            parts = segs[i].rstrip("~\n").split("*")
            if len(parts) > 1:
                j = 1 + m.pick % (len(parts) - 1)
                parts[j] = BAD_NUMBERS[m.pick % len(BAD_NUMBERS)]
                segs[i] = "*".join(parts) + "~\n"
        elif m.kind == "glue":
            segs = segs[:i] + segments(other) + segs[i:]
        elif m.kind == "isa":
            segs.insert(i, segs[0] if segs[0].startswith("ISA") else segments(other)[0])
        elif m.kind == "terminator":
            segs[i] = segs[i].replace("~", "\n", 1) if m.pick % 2 else segs[i] + "~"
    return "".join(segs)


def expected_claims(path: Path) -> int | None:
    """CLM segments inside ST..SE, or None when the tokenizer refuses the file."""
    inside, count = False, 0
    try:
        with open(path, "rb") as stream:
            for seg in SegmentReader(stream, name=str(path)):
                sid = seg.id
                if sid == "ST":
                    inside = True
                elif sid == "SE":
                    inside = False
                elif sid == "CLM" and inside:
                    count += 1
    except X12SyntaxError:
        return None
    return count


def answered_in_277ca(path: Path) -> int:
    if not path.exists():
        return 0
    level, count = "", 0
    for seg in segments(path.read_text(encoding="latin-1")):
        el = seg.strip("~\r\n").split("*")
        if el[0] == "HL":
            level = el[3] if len(el) > 3 else ""
        elif el[0] == "TRN" and len(el) > 1 and el[1] == "2" and level == "PT":
            count += 1
    return count


@dataclass
class Outcome:
    exit_code: int
    report_claims: int
    ack_claims: int
    expected: int | None
    readable: bool
    output: str


def run_everything(mutant: Path, out: Path) -> Outcome:
    """``edi837 check`` with every output on (report, 277CA, 999, splits, annotate)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    report, ack = out / "report.json", out / "x.277"
    result = CliRunner().invoke(
        main,
        [
            "check",
            "-q",
            "--no-history",
            "--format",
            "json",
            "-o",
            str(report),
            "--277ca",
            str(ack),
            "--999",
            str(out / "x.999"),
            "--accepted",
            str(out / "acc.837"),
            "--rejected",
            str(out / "rej.837"),
            "--annotate",
            str(out / "ann.txt"),
            "--control-number",
            "1",
            str(mutant),
        ],
    )
    claims, readable = 0, False
    if report.exists():
        data = json.loads(report.read_text())
        claims = len(data["claims"])
        readable = all(f["readable"] for f in data["files"])
    return Outcome(
        result.exit_code,
        claims,
        answered_in_277ca(ack),
        expected_claims(mutant),
        readable,
        result.output[-2000:] + repr(result.exception),
    )
