"""The one-pass JSON report is byte-identical to rendering every Verdict."""

import io
from pathlib import Path

import pytest

from edi837.feeds import AuthorizationFeed, ProviderFeed
from edi837.policy import load_policy
from edi837.prerender import Prerenderer
from edi837.rules.context import RunContext
from edi837.screening import Screening
from edi837.synth.random_batch import random_claims
from edi837.synth.writer import write_837_file
from edi837.writers.report import JsonLinesReport, JsonReport, write_prerendered, write_report

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def both(paths, run, report_cls):
    slow, fast = io.StringIO(), io.StringIO()
    with Screening(paths, run) as s:
        write_report(report_cls(slow), s.prepare(), s.verdicts(), {"m": 1})
    with Screening(paths, run) as s:
        pre = Prerenderer(s)
        try:
            write_prerendered(report_cls(fast), s.prepare(pre.record), pre.claims(), {"m": 1})
        finally:
            pre.close()
    return slow.getvalue(), fast.getvalue()


@pytest.mark.parametrize("report_cls", [JsonReport, JsonLinesReport])
def test_sample_batch_and_malformed_files(report_cls):
    sample = FIXTURES / "sample"
    run = RunContext(
        load_policy("bcbsma"),
        AuthorizationFeed.load(sample / "authorizations.csv"),
        ProviderFeed.load(sample / "providers.csv"),
    )
    paths = [*sorted((sample / "claims").iterdir()), *sorted((FIXTURES / "malformed").iterdir())]
    slow, fast = both(paths, run, report_cls)
    assert fast == slow
    assert '"rejected"' in fast and "ENV001" in fast and "SC005" in fast


def test_generated_batch_with_replacements_and_voids(tmp_path):
    path = tmp_path / "gen.837"
    write_837_file(path, list(random_claims(11, 600, form="mixed")))
    slow, fast = both([path], RunContext(load_policy("mop")), JsonReport)
    assert fast == slow
