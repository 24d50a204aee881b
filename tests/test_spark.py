"""The Spark engine gives the single-process engine's verdicts, claim for claim.

One generated batch (random courses of S0353/S0354 with ordinary claims around them,
both forms, dependants, corrections) is cut into files, and cross-file conflicts are
added on purpose: a second S0353, an S0354 too soon after another S0354 or after the
S0353, and voids and replacements, each in a different file from the claim it conflicts
with. The test checks that those cross-file rejections really occur (so it can fail), then
that Spark on ``local[2]`` gives every claim the same status and findings.
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")
pytestmark = [
    pytest.mark.slow,  # a Spark session per module: minutes, not seconds
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

from edi837.engines.spark_tasks import pack_files  # noqa: E402
from edi837.outputs import ControlNumbers, OutputOptions, write_outputs  # noqa: E402
from edi837.screening import Screening  # noqa: E402
from edi837.spark import (  # noqa: E402
    SparkScreening,
    parse_engine,
    run_context,
    run_spark_engine,
    screen,
    spark_session,
)
from edi837.synth.random_batch import random_claims  # noqa: E402
from edi837.synth.spec import S_CODES, ClaimSpec  # noqa: E402
from edi837.synth.writer import render_837  # noqa: E402
from edi837.writers.claim_json import claim_json  # noqa: E402
from edi837.writers.report import JsonReport, write_report  # noqa: E402
from tests.scenario import Auth, Scenario, days, s_claim  # noqa: E402

FILES = 12
CLAIMS = 2400
MEMBERS = 260
CROSS_FILE_RULES = {"SC004", "SC005", "SC006"}


def _s_day(spec: ClaimSpec) -> date:
    line = spec.lines[0]
    day = line.service_date or spec.statement_from
    assert day is not None
    return day


def _moved(spec: ClaimSpec, claim_id: str, procedure: str, day: date, **kw) -> ClaimSpec:
    """A copy of an S-code claim with another id, code and date (same patient, order)."""
    line = dataclasses.replace(
        spec.lines[0], procedure=procedure, service_date=day, line_control=None
    )
    return dataclasses.replace(
        spec, claim_id=claim_id, lines=[line], statement_from=None, statement_to=None, **kw
    )


def build_batch(tmp) -> Scenario:
    specs = list(random_claims(11, CLAIMS, members=MEMBERS))
    per = -(-len(specs) // FILES)
    files = [specs[i : i + per] for i in range(0, len(specs), per)]
    home = {id(s): k for k, chunk in enumerate(files) for s in chunk}

    def other(spec: ClaimSpec, shift: int) -> list[ClaimSpec]:
        return files[(home[id(spec)] + shift) % FILES]

    rng = random.Random(5)
    s_specs = [
        s for s in specs if s.frequency == "1" and s.lines and s.lines[0].procedure in S_CODES
    ]
    onsets = [s for s in s_specs if s.lines[0].procedure == "S0353"]
    repeats = [s for s in s_specs if s.lines[0].procedure == "S0354"]
    for k, spec in enumerate(rng.sample(onsets, 12)):
        # SC004: S0353 again, 45 days later, in another file
        other(spec, 3).append(_moved(spec, f"XA{k:03d}", "S0353", _s_day(spec) + timedelta(45)))
    for k, spec in enumerate(rng.sample(onsets, 12)):
        # SC005: an S0354 ten days after the S0353, in another file
        other(spec, 5).append(_moved(spec, f"XB{k:03d}", "S0354", _s_day(spec) + timedelta(10)))
    for k, spec in enumerate(rng.sample(repeats, 12)):
        # SC006: an S0354 twelve days after another S0354, in another file
        other(spec, 7).append(_moved(spec, f"XC{k:03d}", "S0354", _s_day(spec) + timedelta(12)))
    for spec in rng.sample(repeats, 10):
        # a void, in another file, of an accepted S0354 (which then no longer counts)
        other(spec, 2).append(dataclasses.replace(spec, frequency="8", ref_f8=spec.claim_id))
    for spec in rng.sample(repeats, 6):
        # a replacement moving the S0354 three days later, in another file
        moved = _moved(
            spec,
            spec.claim_id,
            "S0354",
            _s_day(spec) + timedelta(3),
            frequency="7",
            ref_f8=spec.claim_id,
        )
        other(spec, 4).append(moved)

    every = [s for chunk in files for s in chunk]
    auths: dict[str, Auth] = {}
    providers: dict[str, tuple[str, str, str, str]] = {}
    for spec in every:
        providers[spec.billing_npi] = (
            spec.billing_npi,
            spec.billing_name,
            "in",
            spec.billing_state,
        )
        if not spec.lines or spec.lines[0].procedure not in S_CODES or not spec.ref_g1:
            continue
        ordering = spec.lines[0].ordering_npi if spec.form == "837P" else spec.attending_npi
        assert ordering
        n = len(auths)
        auths.setdefault(
            spec.ref_g1,
            Auth(
                order_id=spec.ref_g1,
                member_id=spec.member_id,
                ordering_npi=ordering,
                s0354_max_months="3" if n % 7 == 3 else "",
                status="non-authorized" if n % 29 == 5 else "authorized",
            ),
        )
        network = "out" if len(providers) % 31 == 7 else "in"
        providers.setdefault(ordering, (ordering, "ORDERING DOC", network, "MA"))
    sc = Scenario(tmp, auths=list(auths.values()), providers=list(providers.values()))
    for chunk in files:
        sc.file(*chunk)
    return sc


def outcome(verdicts) -> dict[tuple[str, int], tuple[str, str, list[str]]]:
    """(file, CLM ordinal) -> (claim id, status, sorted rule codes of all findings)."""
    return {
        (v.claim.envelope.file, v.claim.position.ordinal): (
            v.claim.CLM01,
            v.status,
            sorted(f.rule for f in v.findings),
        )
        for v in verdicts
    }


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    sc = build_batch(tmp_path_factory.mktemp("spark-batch"))
    paths = [str(p) for p in sc.paths()]
    run = sc.run_context()
    local = Screening(paths, run)
    verdicts = list(local.verdicts())
    return sc, paths, run, verdicts


def test_the_batch_has_cross_file_rejections(batch):
    sc, paths, run, verdicts = batch
    assert len(paths) >= 10
    assert len(verdicts) >= 2000
    assert len({v.claim.member_id for v in verdicts}) >= 200
    rejected = Counter(f.rule for v in verdicts for f in v.findings if f.rejects)
    assert all(rejected[r] >= 5 for r in CROSS_FILE_RULES), rejected
    assert any(v.accepted for v in verdicts) and any(not v.accepted for v in verdicts)

    # Screened one file at a time, those claims lose (some of) those rejections: the
    # conflicts really cross files, so only an engine that meets them all can agree.
    batch_outcome = outcome(verdicts)
    alone: dict = {}
    for path in paths:
        alone.update(outcome(Screening([path], run).verdicts()))
    assert alone.keys() == batch_outcome.keys()
    cross = {
        r
        for key, (_, _, rules) in batch_outcome.items()
        for r in set(rules) - set(alone[key][2])
        if r in CROSS_FILE_RULES
    }
    assert cross == CROSS_FILE_RULES
    voids = [
        v
        for v in verdicts
        if v.claim.frequency == "8" and any(f.rule == "SC014" and not f.rejects for f in v.findings)
    ]
    assert voids, "a void should have withdrawn an original from another file"


def test_spark_engine_matches_the_single_process_engine(spark, batch):
    sc, paths, run, verdicts = batch
    expected = outcome(verdicts)

    files, judged = run_spark_engine(paths, run, spark=spark)
    assert [f.path for f in files] == paths
    assert [f.claims for f in files] == [f.claims for f in Screening(paths, run).prepare()]
    screening = SparkScreening(paths, run, spark=spark)
    spark_verdicts = list(screening.verdicts())
    assert outcome(spark_verdicts) == expected
    # the same report rows, byte for byte
    assert [json.dumps(claim_json(v)) for v in spark_verdicts] == [
        json.dumps(claim_json(v)) for v in verdicts
    ]


def test_feeds_indexed_in_sqlite_reach_the_executors(spark, batch, monkeypatch):
    """A feed above ``MEMORY_ROWS`` rows is a SQLite index; the broadcast RunContext
    carries it as the file's bytes, and the executors judge with it as the driver does."""
    import edi837.feeds as feeds

    sc, paths, run, verdicts = batch
    monkeypatch.setattr(feeds, "MEMORY_ROWS", 0)
    indexed = dataclasses.replace(
        run,
        authorizations=feeds.AuthorizationFeed.load(sc.tmp / "auths.csv"),
        providers=feeds.ProviderFeed.load(sc.tmp / "providers.csv"),
    )
    assert indexed.authorizations._index is not None and indexed.providers._index is not None
    assert outcome(SparkScreening(paths, indexed, spark=spark).verdicts()) == outcome(verdicts)


def test_screen_dataframe_has_one_row_per_claim(spark, batch, tmp_path):
    sc, paths, run, verdicts = batch
    df = screen(
        spark,
        paths,
        policy=run.policy,
        authorizations=sc.tmp / "auths.csv",
        providers=sc.tmp / "providers.csv",
        received=sc.received,
    )
    assert df.count() == len(verdicts)
    rows = df.select("file", "segment", "claim_id", "status", "findings").collect()
    got = {
        (r.file, r.segment.ordinal): (r.claim_id, r.status, sorted(f.rule for f in r.findings))
        for r in rows
    }
    assert got == outcome(verdicts)
    first = df.orderBy("file_index", "claim_index").first().asDict(recursive=True)
    first.pop("file_index"), first.pop("claim_index")
    assert first == claim_json(verdicts[0])


def _screen_with_history(engine, paths, run, url, spark):
    from edi837.store import open_store

    if engine == "spark":
        return list(SparkScreening(paths, run, spark=spark, history_url=url).verdicts())
    store = open_store(url)
    try:
        return list(Screening(paths, run, store).verdicts())
    finally:
        store.close()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_history_store_on_the_executors(spark, tmp_path, backend, request):
    """A history written by one Spark run is read by the next one's executors."""
    if backend == "postgres":
        make = request.getfixturevalue("postgres_urls")
        urls = {"local": make(), "spark": make()}
    else:
        urls = {e: f"sqlite:///{tmp_path}/{e}.db" for e in ("local", "spark")}

    def scenario(name, *claims):
        (tmp_path / name).mkdir()
        return Scenario(tmp_path / name, auths=[Auth(s0354_max_months="")]).file(*claims)

    first = scenario("first", s_claim("ONSET", "S0353", days(0)))
    second = scenario(
        "second",
        s_claim("AGAIN", "S0353", days(40)),
        s_claim("SOON", "S0354", days(10)),
        s_claim("LATER", "S0354", days(35)),
    )
    results = {}
    for engine, url in urls.items():
        for sc in (first, second):
            paths, run = [str(p) for p in sc.paths()], sc.run_context()
            verdicts = _screen_with_history(engine, paths, run, url, spark)
        results[engine] = {
            v.claim.CLM01: (v.status, sorted(f.rule for f in v.rejections)) for v in verdicts
        }
    assert results["spark"] == results["local"] == {
        "AGAIN": ("rejected", ["SC004"]),
        "SOON": ("rejected", ["SC005"]),
        "LATER": ("accepted", []),
    }  # fmt: skip


def test_batch_in_two_runs_through_a_history_store(spark, batch, tmp_path):
    """The batch screened as two runs (files 1-6, then 7-12) sharing a SQLite history:
    the second run's verdicts depend on the first's through the store, on both engines."""
    sc, paths, run, verdicts = batch
    half = len(paths) // 2
    got = {}
    for engine in ("local", "spark"):
        url = f"sqlite:///{tmp_path}/{engine}.db"
        first = _screen_with_history(engine, paths[:half], run, url, spark)
        second = _screen_with_history(engine, paths[half:], run, url, spark)
        got[engine] = (outcome(first), outcome(second))
    assert got["spark"] == got["local"]
    # the store made a difference: the second run alone judges some claims otherwise
    alone = outcome(Screening(paths[half:], run).verdicts())
    assert alone != got["local"][1]


def test_parse_engine():
    assert parse_engine("local") is None
    assert parse_engine("spark") == "local[2]"
    assert parse_engine("spark:local[4]") == "local[4]"
    assert parse_engine("spark:spark://10.0.0.1:7077") == "spark://10.0.0.1:7077"
    with pytest.raises(ValueError):
        parse_engine("dask")


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _report_and_outputs(screening: Screening, out: Path) -> tuple[str, dict[str, bytes]]:
    text = io.StringIO()
    files = screening.prepare()
    write_report(JsonReport(text), files, screening.verdicts(), {"policy": "bcbsma"})
    options = OutputOptions(
        ack_277ca=f"{out}/277ca/",
        ack_999=f"{out}/999/",
        accepted=f"{out}/accepted/",
        rejected=f"{out}/rejected/",
        annotate=f"{out}/annotated/",
    )
    write_outputs(screening, options, ControlNumbers(1))
    written = {
        str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }
    return text.getvalue(), written


def test_same_report_and_acknowledgments_on_awkward_files(spark, tmp_path):
    """Unreadable, truncated, 4010, BOM and multi-interchange inputs next to a sample batch:
    the JSON report, 277CAs, 999s, splits and annotations come out identical."""
    paths = sorted(str(p) for p in (FIXTURES / "malformed").glob("*.837"))
    paths += [str(FIXTURES / "sample" / "claims")]
    assert len(paths) > 10
    run = run_context(
        "bcbsma", FIXTURES / "sample" / "authorizations.csv", FIXTURES / "sample" / "providers.csv"
    )
    local = _report_and_outputs(Screening(paths, run), tmp_path / "local")
    remote = _report_and_outputs(SparkScreening(paths, run, spark=spark), tmp_path / "spark")
    assert json.loads(remote[0]) == json.loads(local[0])
    assert remote[0] == local[0]
    assert remote[1].keys() == local[1].keys() and remote[1] == local[1]
    report = json.loads(local[0])
    assert any(not f["readable"] for f in report["files"])
    assert any(c["status"] == "rejected" for c in report["claims"])


def test_claims_of_a_rejected_transaction_set_stay_out_of_the_timeline(spark, tmp_path):
    """The judge on the executors sees each file's envelope issues, as Screening's does."""
    sc = Scenario(tmp_path)
    bad = render_837([s_claim("BAD", "S0353", days(0))]).replace("SE*", "SE*9", 1)
    (tmp_path / "a-bad.837").write_text(bad)
    sc.file(s_claim("GOOD", "S0353", days(40)))
    paths, run = [str(tmp_path / "a-bad.837"), str(sc.paths()[0])], sc.run_context()
    local = outcome(Screening(paths, run).verdicts())
    assert outcome(SparkScreening(paths, run, spark=spark).verdicts()) == local
    assert sorted(status for _, status, _ in local.values()) == ["accepted", "rejected"]


def test_cli_engine_spark_writes_the_same_report(spark, tmp_path):
    """``edi837 check --engine spark:local[2]`` writes the default engine's report and
    acknowledgments (the Spark session of this module is reused by the command)."""
    from click.testing import CliRunner

    from edi837.cli import check, main

    if not any(p.name == "engine" for p in check.params):
        pytest.skip("edi837 check --engine is not wired yet")
    sample = FIXTURES / "sample"
    outputs = {}
    for engine in ("local", "spark:local[2]"):
        out = tmp_path / engine.replace(":", "-")
        result = CliRunner().invoke(main, [
            "check", "--engine", engine, "--no-history", "--format", "json",
            "--authorizations", str(sample / "authorizations.csv"),
            "--providers", str(sample / "providers.csv"), "--control-number", "1",
            "-o", str(out / "report.json"), "--277ca", f"{out}/277ca/", str(sample / "claims"),
        ])  # fmt: skip
        assert result.exit_code in (0, 1), result.output
        files = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        outputs[engine] = (result.exit_code, files)
    assert outputs["spark:local[2]"] == outputs["local"]


def test_files_are_packed_into_tasks_by_size(tmp_path):
    files = []
    for name, size in (("a", 50), ("b", 10), ("c", 40), ("d", 30), ("e", 20)):
        (tmp_path / name).write_bytes(b"x" * size)
        files.append((name, str(tmp_path / name)))
    files.append(("missing", str(tmp_path / "missing")))
    groups = pack_files(files, 2)
    assert sorted(i for g in groups for i in g) == list(range(len(files)))
    size = (50, 10, 40, 30, 20, 0)
    assert sorted(sum(size[i] for i in g) for g in groups) == [70, 80]  # largest first
    assert pack_files(files[:1], 8) == [[0]]


def test_corrupt_zip_under_spark_is_one_unreadable_input(spark, tmp_path):
    """A file with a ZIP's magic that is no ZIP: the driver cannot list it, so the executor
    meets it and answers it unreadable (one line, exit 2), as the local engine does; the
    other input is still screened."""
    from click.testing import CliRunner

    from edi837.cli import main

    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 8)
    sample = FIXTURES / "sample" / "claims" / "practice-20261102.837"
    report = tmp_path / "report.json"
    result = CliRunner().invoke(main, [
        "check", "--engine", "spark:local[2]", "--no-history", "--format", "json", "-q",
        "-o", str(report), str(junk), str(sample),
    ])  # fmt: skip
    assert result.exit_code == 2, result.output
    errors = [ln for ln in result.stderr.splitlines() if "error" in ln]
    assert len(errors) == 1 and "junk.zip" in errors[0] and "ZIP" in errors[0], result.stderr
    doc = json.loads(report.read_text())
    assert [f["readable"] for f in doc["files"]] == [False, True]
    assert doc["claims"] and all(c["file"] == str(sample) for c in doc["claims"])
