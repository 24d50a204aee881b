"""Nothing is lost: on every fixture, accepted split + rejected split = input claims."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from edi837.cli import main
from edi837.x12.pyx12_adapter import pyx12_validate
from edi837.x12.tokenizer import read_segments

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BATCHES = [FIXTURES / "sample", *sorted((FIXTURES / "profiles").iterdir())]
READABLE_MALFORMED = [
    p
    for p in sorted((FIXTURES / "malformed").glob("*.837"))
    if p.name not in {"bad_isa.837", "binary.837", "empty.837", "version_4010.837"}
]


def clm01s(path: Path) -> list[str]:
    return [s[1] for s in read_segments(path) if s.id == "CLM"] if path.exists() else []


def split(tmp_path: Path, inputs: list[Path], feeds: list[str]) -> tuple[Path, Path]:
    acc, rej = tmp_path / "acc", tmp_path / "rej"
    result = CliRunner().invoke(
        main,
        [
            "check",
            "-q",
            "--no-history",
            "--format",
            "json",
            "-o",
            str(tmp_path / "r.json"),
            *feeds,
            "--accepted",
            f"{acc}/",
            "--rejected",
            f"{rej}/",
            *map(str, inputs),
        ],
    )
    assert result.exit_code in (0, 1, 2), result.output
    return acc, rej


@pytest.mark.parametrize("batch", BATCHES, ids=lambda p: p.name)
@pytest.mark.slow
def test_profile_batches_conserve_claims(tmp_path, batch):
    policy = batch.name if batch.parent.name == "profiles" else "bcbsma"
    feeds = [
        "--policy",
        policy,
        "--authorizations",
        str(batch / "authorizations.csv"),
        "--providers",
        str(batch / "providers.csv"),
    ]
    inputs = sorted((batch / "claims").iterdir())
    acc, rej = split(tmp_path, inputs, feeds)
    for source in inputs:
        out_a, out_r = acc / f"{source.name}.accepted.837", rej / f"{source.name}.rejected.837"
        assert sorted(clm01s(out_a) + clm01s(out_r)) == sorted(clm01s(source))
        for out in (out_a, out_r):
            if out.exists() and "X222A2" not in out.read_text()[:400]:
                ok, errors = pyx12_validate(out)
                assert ok, errors


@pytest.mark.slow
@pytest.mark.parametrize("source", READABLE_MALFORMED, ids=lambda p: p.name)
def test_readable_odd_files_conserve_claims(tmp_path, source):
    acc, rej = split(tmp_path, [source], [])
    out_a, out_r = acc / f"{source.name}.accepted.837", rej / f"{source.name}.rejected.837"
    assert sorted(clm01s(out_a) + clm01s(out_r)) == sorted(clm01s(source))
