"""The Parquet export reads back with pyarrow and pandas: one row per claim, line, finding."""

from datetime import date
from decimal import Decimal

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")

from edi837.screening import Screening  # noqa: E402
from edi837.writers.parquet import TABLES, write_parquet  # noqa: E402
from tests.scenario import DAY0, Scenario, days, s_claim, s_line  # noqa: E402


@pytest.fixture
def verdicts(tmp_path):
    sc = Scenario(tmp_path)
    sc.file(
        s_claim("ONSET", "S0353", DAY0),
        s_claim("TOO-SOON", "S0354", days(10)),  # SC005: within 30 days of S0353
        s_claim(
            "TWO-LINES",
            "S0354",
            days(40),
            member="MBR0002",
            lines=[
                s_line("S0354", days(40)),
                s_line("99214", days(40), charge=Decimal("185.00"), modifiers=("25",)),
            ],
        ),
    )
    sc.file(s_claim("INST", "S0354", days(45), form="837I", member="MBR0003"))
    screening = Screening(sc.paths(), sc.run_context())
    return list(screening.verdicts())


def test_row_counts_types_and_findings(tmp_path, verdicts):
    out = tmp_path / "parquet"
    counts = write_parquet(out, iter(verdicts), batch_rows=2)  # several row groups
    n_lines = sum(len(v.claim.lines) for v in verdicts)
    n_findings = sum(len(v.findings) for v in verdicts)
    assert counts == {"claims": len(verdicts), "service_lines": n_lines, "findings": n_findings}
    assert sorted(p.name for p in out.iterdir()) == [
        "claims.parquet",
        "findings.parquet",
        "service_lines.parquet",
    ]

    for name, schema in TABLES.items():
        table = pq.read_table(out / f"{name}.parquet")
        assert table.schema.equals(schema), name
        assert table.num_rows == counts[name]
        assert len(pd.read_parquet(out / f"{name}.parquet")) == counts[name]

    claims = pd.read_parquet(out / "claims.parquet").set_index("claim_id")
    assert claims.loc["ONSET", "status"] == "accepted"
    assert claims.loc["TOO-SOON", "status"] == "rejected"
    assert list(claims.loc["TOO-SOON", "rejection_rules"]) == ["SC005"]
    assert list(claims.loc["ONSET", "rejection_rules"]) == []
    assert claims.loc["ONSET", "total_charge"] == Decimal("300.00")
    assert claims.loc["TWO-LINES", "s_code_line_count"] == 1
    assert claims.loc["INST", "form"] == "837I"
    onset = next(v for v in verdicts if v.claim.CLM01 == "ONSET")
    assert claims.loc["ONSET", "trace_id"] == onset.trace_id
    assert claims.loc["ONSET", "claim_segment_ordinal"] == onset.claim.position.ordinal
    assert claims.loc["ONSET", "claim_byte_offset"] == onset.claim.position.offset
    assert claims.loc["ONSET", "interchange"] == onset.claim.envelope.ISA13

    lines = pd.read_parquet(out / "service_lines.parquet")
    two = lines[lines.claim_id == "TWO-LINES"].set_index("line_number")
    assert list(two.index) == [1, 2]
    assert bool(two.loc[1, "is_s_code"]) and not bool(two.loc[2, "is_s_code"])
    assert two.loc[1, "service_date"] == days(40)
    assert list(two.loc[2, "modifiers"]) == ["25"]
    assert two.loc[2, "charge"] == Decimal("185.00")
    assert claims.loc["TWO-LINES", "status"] == "rejected"  # SC001: not a separate claim
    assert "SC001" in list(claims.loc["TWO-LINES", "rejection_rules"])
    assert two.loc[1, "expected_reimbursement"] is None  # rejected: nothing expected
    onset_line = lines[lines.claim_id == "ONSET"].iloc[0]
    assert onset_line.expected_reimbursement == Decimal("300.00")
    assert two.loc[1, "line_control_number"] == "TWO-LINES-1"
    inst = lines[lines.claim_id == "INST"].iloc[0]
    assert inst.revenue_code == "0960"

    findings = pd.read_parquet(out / "findings.parquet")
    rejecting = findings[(findings.claim_id == "TOO-SOON") & (findings.severity == "reject")]
    assert list(rejecting.rule) == ["SC005"]
    row = rejecting.iloc[0]
    assert row.line_number == 1 and row.segment_id and row.segment_ordinal > 0
    assert row.stc_category.startswith("A") and row.stc_status
    assert row.message and row.citation

    table = pq.read_table(out / "service_lines.parquet")
    assert table.schema.field("service_date").type == pa.date32()
    assert table.column("service_date").to_pylist()[0] == date(2026, 3, 2)


def test_empty_stream_writes_empty_tables(tmp_path):
    counts = write_parquet(tmp_path, iter(()))
    assert counts == {"claims": 0, "service_lines": 0, "findings": 0}
    for name, schema in TABLES.items():
        assert pq.read_table(tmp_path / f"{name}.parquet").schema.equals(schema)


def test_failed_stream_leaves_no_table(tmp_path, verdicts):
    def broken():
        yield verdicts[0]
        raise RuntimeError("reader died")

    with pytest.raises(RuntimeError):
        write_parquet(tmp_path / "out", broken())
    assert list((tmp_path / "out").iterdir()) == []
