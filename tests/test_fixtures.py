"""The committed fixtures, screened by ``edi837 check --format json`` as a user would.

``fixtures/*/expected.json`` states what each file should produce: for the sample and
profile batches the verdict and rejecting rules of every claim (reasoned from the policy
profiles); for the malformed files the exit code, whether the file is readable, the
claims it holds and the message it should raise. Every claim id of a readable file must
come out of the report exactly as often as the file holds it (conservation).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi837.cli import main
from edi837.npi import make_npi
from edi837.synth import ClaimSpec, LineSpec, render_837

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BATCHES = ["sample", "profiles/bcbsma", "profiles/mop", "profiles/carelon-ma"]
MALFORMED = json.loads((FIXTURES / "malformed" / "expected.json").read_text())
ERROR_LINE = re.compile(
    r"^edi837: error: (?P<file>.+?):seg (?P<seg>\d+)(?: \((?P<id>\w+)\))? @(?P<offset>\d+): "
    r"(?P<message>.+)$"
)


def check(*args: str) -> tuple[int, dict, list[str]]:
    """Run ``edi837 check --format json`` in-process: (exit code, report, stderr lines)."""
    result = CliRunner().invoke(main, ["check", "--format", "json", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads(result.stdout), result.stderr.splitlines()


def assert_positions(report: dict, root: Path) -> None:
    """Every claim's and finding's (segment ordinal, byte offset) points at its segment."""
    raw: dict[str, bytes] = {}
    for claim in report["claims"]:
        data = raw.setdefault(claim["file"], (root / claim["file"]).read_bytes())
        assert data[claim["segment"]["offset"] :].startswith(b"CLM"), claim["claim_id"]
        for f in claim["findings"]:
            seg = f["segment"]
            if seg and seg["id"] and seg["offset"]:
                assert data[seg["offset"] :].startswith(seg["id"].encode()), (claim, f)


def expected_of(batch: str) -> dict:
    return json.loads((FIXTURES / batch / "expected.json").read_text())


def policy_of(batch: str) -> str:
    """profiles/NAME is screened under policy NAME; the sample under the default."""
    return batch.split("/")[1] if batch.startswith("profiles/") else "bcbsma"


@pytest.mark.slow
def test_fixtures_match_their_build_script(tmp_path):
    """The committed files are exactly what ``fixtures/build_fixtures.py`` writes."""
    subprocess.run([sys.executable, str(FIXTURES / "build_fixtures.py"), "--out", str(tmp_path)],
                   check=True)  # fmt: skip
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(FIXTURES) for p in FIXTURES.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".md") and "__pycache__" not in p.parts
    )  # fmt: skip
    assert built == committed
    for rel in built:
        assert (tmp_path / rel).read_bytes() == (FIXTURES / rel).read_bytes(), rel


# -- sample and profile batches ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("batch", BATCHES)
def test_batch_verdicts(batch):
    expected = expected_of(batch)
    root = FIXTURES / batch
    code, report, stderr = check(
        "--policy", policy_of(batch), "--authorizations", str(root / "authorizations.csv"),
        "--providers", str(root / "providers.csv"), str(root / "claims"),
    )  # fmt: skip
    assert code == 1, stderr  # every batch has rejected claims, and no unreadable file
    assert all(f["readable"] and not f["errors"] for f in report["files"])
    assert not [line for line in stderr if line.startswith("edi837: error")]
    got = {c["claim_id"]: c for c in report["claims"]}
    problems = []
    for claim_id, want in expected.items():
        claim = got[claim_id]
        rejecting = sorted({f["rule"] for f in claim["findings"] if f["severity"] == "reject"})
        warnings = sorted({f["rule"] for f in claim["findings"] if f["severity"] == "warning"})
        seen = (claim["status"], rejecting, warnings)
        wanted = (want["status"], want["rules"], want.get("warnings", []))
        if seen != wanted:
            problems.append(f"{claim_id}: expected {wanted} ({want['why']}), got {seen}")
        for line, amount in want.get("reimbursement", {}).items():
            paid = {str(ln["line"]): ln["expected_reimbursement"] for ln in claim["s_code_lines"]}
            if paid.get(line) != amount:
                problems.append(f"{claim_id} line {line}: expected ${amount}, got {paid}")
    assert not problems, "\n".join(problems)
    assert_positions(report, root)
    summary = report["summary"]
    rejected = sum(1 for c in expected.values() if c["status"] == "rejected")
    assert (summary["claims"], summary["rejected"]) == (len(expected), rejected)


@pytest.mark.slow
@pytest.mark.parametrize("batch", BATCHES)
def test_batch_conservation(batch):
    """Every claim id of every file is answered exactly once, in the file it came from."""
    expected = expected_of(batch)
    root = FIXTURES / batch
    _, report, _ = check(str(root / "claims"))  # no feeds: verdicts differ, claims do not
    got = Counter((Path(c["file"]).relative_to(root).as_posix(), c["claim_id"])
                  for c in report["claims"])  # fmt: skip
    want = Counter((c["file"], claim_id) for claim_id, c in expected.items())
    assert got == want
    per_file = {Path(f["path"]).relative_to(root).as_posix(): f["claims"]
                for f in report["files"]}  # fmt: skip
    assert per_file == Counter(c["file"] for c in expected.values())


def test_sample_claims_directory_holds_only_837s():
    """The feeds sit beside claims/, so checking the directory reads 837 files only."""
    code, report, _ = check(str(FIXTURES / "sample" / "claims"))
    assert code in (0, 1)
    assert {Path(f["path"]).suffix for f in report["files"]} == {".837"}
    assert all(f["readable"] and not f["errors"] for f in report["files"])


# -- malformed files -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed(name):
    want = MALFORMED[name]
    path = FIXTURES / "malformed" / name
    code, report, stderr = check(str(path))
    (result,) = report["files"]
    assert code == want["exit"], (stderr, result)
    assert result["readable"] is want["readable"]
    assert result["claims"] == want["claims"]
    # Conservation: the claim ids the file holds (as built), each answered exactly once.
    assert Counter(c["claim_id"] for c in report["claims"]) == Counter(want["claim_ids"])
    errors = [line for line in stderr if line.startswith("edi837: error:")]
    assert [line.removeprefix("edi837: error: ") for line in errors] == result["errors"]
    assert len(errors) == len(set(errors)), "each error once on stderr"
    if want["kind"] == "error":
        assert any(want["message"] in e for e in result["errors"]), result["errors"]
        first = ERROR_LINE.match(errors[0])
        assert first, errors[0]
        assert first["file"] == str(path)
        assert (int(first["seg"]), int(first["offset"])) == (want["seg"], want["offset"])
    elif want["kind"] == "warning":
        assert not result["errors"]
        assert any(want["message"] in w for w in result["warnings"]), result["warnings"]
    else:
        assert not result["errors"] and not result["warnings"]
    assert_positions(report, path.parent)
    raw = path.read_bytes()
    for line in errors:
        m = ERROR_LINE.match(line)
        assert m, f"not 'FILE:seg N (ID) @OFFSET: message': {line}"
        if m["id"]:  # the offset points at the segment the error names
            assert raw[int(m["offset"]) :].startswith(m["id"].encode()), line
    if code == 2 and want["readable"]:
        # An envelope error rejects the claims inside it; they are still answered.
        for claim in report["claims"]:
            assert claim["status"] == "rejected"
            assert "ENV001" in {f["rule"] for f in claim["findings"]}


def test_malformed_batch_in_one_run():
    """Unreadable files do not stop the others: one run over all of them answers every
    claim of every readable file and exits 2."""
    paths = [str(FIXTURES / "malformed" / n) for n in sorted(MALFORMED)]
    code, report, stderr = check(*paths)
    assert code == 2
    assert [f["readable"] for f in report["files"]] == [MALFORMED[n]["readable"]
                                                       for n in sorted(MALFORMED)]  # fmt: skip
    got = Counter((Path(c["file"]).name, c["claim_id"]) for c in report["claims"])
    assert got == Counter((n, cid) for n in MALFORMED for cid in MALFORMED[n]["claim_ids"])
    n_errors = sum(len(f["errors"]) for f in report["files"])
    assert len([line for line in stderr if line.startswith("edi837: error:")]) == n_errors


@pytest.mark.slow
def test_console_script_reports_an_unreadable_file():
    """The installed ``edi837`` entry point: one stderr line, exit 2, no traceback."""
    path = FIXTURES / "malformed" / "version_4010.837"
    exe = Path(sys.executable).with_name("edi837")
    proc = subprocess.run([str(exe), "check", "-q", "--format", "json", "-o", "-",
                           str(path)], capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"edi837: error: {path}:seg 1 (ISA) @0: ISA12 00401: this is a 4010 interchange; "
        "edi837 reads only 5010 (00501) 837P/837I and refuses to guess at other versions"
    ]


def test_short_isa_is_reported_as_short():
    _, report, _ = check(str(FIXTURES / "malformed" / "bad_isa.837"))
    (error,) = report["files"][0]["errors"]
    assert "fewer than 16 element separators" in error, error


def test_claims_of_a_file_refused_part_way_do_not_count(tmp_path):
    """bad.837 is a readable 5010 interchange (an S0353 for member ZM1 on 2026-03-02)
    followed by a 4010 interchange: the file is refused and none of its claims is
    answered, so its S0353 was never accepted and good.837's S0353 is the first."""

    def s0353(claim_id: str, member: str, day: date) -> ClaimSpec:
        line = LineSpec("S0353", day, ordering_npi=make_npi("131000001"))
        return ClaimSpec(claim_id, member, [line], ref_g1="O1")

    good, bad = tmp_path / "good.837", tmp_path / "bad.837"
    good.write_text(render_837([s0353("GOOD1", "ZM1", date(2026, 4, 6))]))
    interchange = render_837([s0353("BAD0", "ZM0", date(2026, 3, 2)),
                              s0353("BAD1", "ZM1", date(2026, 3, 2))])  # fmt: skip
    v4010 = (FIXTURES / "malformed" / "version_4010.837").read_text()
    bad.write_text(interchange + v4010)
    code, report, _ = check(str(good), str(bad))
    assert code == 2 and [f["readable"] for f in report["files"]] == [True, False]
    (claim,) = report["claims"]
    assert claim["claim_id"] == "GOOD1"
    assert claim["status"] == "accepted", claim["findings"]
