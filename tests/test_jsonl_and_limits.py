"""JSONL reads back with pandas; the guides' 5,000-claims-per-set limit is a warning."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from edi837.cli import main
from edi837.synth.random_batch import random_claims
from edi837.synth.writer import write_837_file


@pytest.mark.slow
def test_jsonl_reads_back_with_pandas(tmp_path):
    path = tmp_path / "batch.837"
    write_837_file(path, list(random_claims(3, 120, form="mixed")))
    out = tmp_path / "claims.jsonl"
    result = CliRunner().invoke(
        main, ["check", "-q", "--no-history", "--format", "jsonl", "-o", str(out), str(path)]
    )
    assert result.exit_code in (0, 1), result.output
    frame = pd.read_json(out, lines=True)
    claims = frame[frame["type"] == "claim"]
    assert len(claims) == 120  # one row per claim (replacements may repeat a CLM01)
    summary = frame[frame["type"] == "summary"].iloc[0]
    assert summary["claims"] == 120 == summary["accepted"] + summary["rejected"]
    lines = sum(len(x) for x in claims["s_code_lines"])
    assert lines == summary["s_code_lines"]


@pytest.mark.slow
def test_transaction_set_over_5000_claims_warns(tmp_path):
    path = tmp_path / "big.837"
    write_837_file(
        path, list(random_claims(4, 5001, form="837P", s_code_ratio=0.0)), claims_per_st=6000
    )
    result = CliRunner().invoke(
        main, ["check", "-q", "--no-history", "--format", "json", str(path)]
    )
    report = json.loads(result.stdout)
    assert report["summary"]["claims"] == 5001
    assert any("5001 claims" in w and "5000" in w for w in report["files"][0]["warnings"])
    assert result.exit_code in (0, 1)  # a warning, not an unreadable file
