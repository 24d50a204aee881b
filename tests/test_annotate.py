"""Annotated 837: the input one segment a line, each finding under the segment it names."""

from __future__ import annotations

import io
from datetime import date

from edi837.claim.builder import ClaimReader
from edi837.claim.model import Position
from edi837.synth.spec import ClaimSpec, LineSpec
from edi837.synth.writer import render_837
from edi837.verdicts import Finding, Severity, Verdict
from edi837.writers.annotate import findings_by_ordinal, format_finding, write_annotated
from edi837.x12.separators import Separators

SC005 = dict(
    rule="SC005",
    severity=Severity.REJECT,
    fix="bill it 30 days later",
    citation="bcbsma-s-code-reimbursement.txt",
    category="A7",
    status_code="571",
)


def source(line_ending: str = "\n", **kw) -> str:
    day = date(2026, 8, 21)
    return render_837(
        [
            ClaimSpec("C1", "M1", [LineSpec("S0353", date(2026, 8, 1))]),
            ClaimSpec("C2", "M1", [LineSpec("99214", day), LineSpec("S0354", day)]),
        ],
        line_ending=line_ending,
        **kw,
    )


def verdicts(text: str) -> list[Verdict]:
    c1, c2 = ClaimReader(io.BytesIO(text.encode("latin-1")), name="in.837")
    line = c2.lines[1]
    return [
        Verdict(c1),
        Verdict(
            c2,
            [
                Finding(
                    message="S0354 on 2026-08-21 is 20 days after S0353 on 2026-08-01",
                    line=2,
                    segment=line.position,
                    **SC005,
                ),  # type: ignore[arg-type]
                Finding(
                    "SC001",
                    Severity.WARNING,
                    "S-code billed with other services",
                    category="A6",
                    status_code="732",
                ),
            ],
        ),
    ]


def annotate(text: str, table, **kw) -> str:
    out = io.StringIO()
    write_annotated(io.BytesIO(text.encode("latin-1")), table, out, **kw)
    return out.getvalue()


def test_findings_sit_under_their_segments() -> None:
    text = source()
    out = annotate(text, verdicts(text)).splitlines()
    lx2 = out.index("LX*2~")
    assert out[lx2 + 1] == (
        "    ^^ SC005 reject: S0354 on 2026-08-21 is 20 days after S0353 on 2026-08-01 | "
        "fix: bill it 30 days later | A7:571 | bcbsma-s-code-reimbursement.txt"
    )
    clm = out.index(next(line for line in out if line.startswith("CLM*C2*")))
    assert out[clm + 1] == "    ^^ SC001 warning: S-code billed with other services | A6:732"
    # Without the annotation lines the output is the input, one segment a line.
    assert [line for line in out if not line.startswith("    ^^")] == text.splitlines()


def test_mapping_input_and_issues() -> None:
    text = source()
    table = findings_by_ordinal(verdicts(text))
    from edi837.x12.syntax_issue import SyntaxIssue

    issue = SyntaxIssue(
        Severity.REJECT,
        "SE_COUNT",
        "SE01 says 9 segments, the set has 40",
        Position(3, 0, "ST"),
        "transaction",
        ik5="4",
    )
    out = annotate(text, table, issues=[issue]).splitlines()
    assert out[3] == "    ^^ 999 error SE_COUNT: SE01 says 9 segments, the set has 40"
    assert sum(line.startswith("    ^^") for line in out) == 3


def test_findings_beyond_the_file_are_listed_at_the_end() -> None:
    text = source()
    lost = Finding(message="points nowhere", segment=Position(9999, 0, "LX"), **SC005)  # type: ignore[arg-type]
    out = annotate(text, {9999: [lost]}).splitlines()
    assert out[-2].startswith("-- 1 annotation(s) for segments not in")
    assert out[-1].startswith("    ^^ seg 9999: SC005 reject: points nowhere")


def test_newline_terminator_does_not_double_lines() -> None:
    text = source("", separators=Separators("*", "^", ":", "\n"))
    out = annotate(text, verdicts(text))
    assert "\n\n" not in out
    assert out.splitlines()[0].startswith("ISA*00*")


def test_messages_stay_on_one_line() -> None:
    finding = Finding("SC009", Severity.REJECT, "two\nlines", fix="a\tb")
    assert format_finding(finding) == "SC009 reject: two lines | fix: a b | A7:21"


def test_annotation_spells_the_whole_277ca_answer() -> None:
    """Entity (STC01-3) and the STC10 second code are part of what the 277CA says."""
    npi = Finding("STR002", Severity.REJECT, "bad", category="A7", status_code="562", entity="DK")
    assert format_finding(npi).endswith("| A7:562:DK")
    mixed = Finding(
        "SC001", Severity.REJECT, "mixed", category="A8", status_code="732", detail="A8:454"
    )
    assert format_finding(mixed).endswith("| A8:732 + STC10 A8:454")
