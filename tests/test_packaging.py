"""Packaging (issue 15 item 9): the public API, type marker, data files, classifiers."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner

import edi837
from edi837.cli import main
from tests.report_schema import _check
from tests.scenario import Scenario, days, s_claim

ROOT = Path(__file__).resolve().parent.parent


def test_all_names_resolve():
    for name in edi837.__all__:
        assert getattr(edi837, name) is not None, name
    assert edi837.Verdict.__module__ == "edi837.verdicts"


def test_package_data_is_declared():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data = meta["tool"]["setuptools"]["package-data"]
    assert "py.typed" in data["edi837"] and (ROOT / "edi837" / "py.typed").exists()
    assert data["edi837.schemas"] == ["*.schema.json"]
    classifiers = meta["project"]["classifiers"]
    for minor in (11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert any(d.startswith("jsonschema") for d in meta["project"]["dependencies"])


def test_verdict_to_json_is_the_report_claim(tmp_path):
    sc = Scenario(tmp_path).file(
        s_claim("INIT", "S0353", days(0)), s_claim("EST", "S0354", days(20))
    )
    paths = [str(p) for p in sc.paths()]
    import edi837.screening  # the run's module must not shadow the library function

    verdicts = list(edi837.screen(paths, policy="bcbsma"))
    report = json.loads(
        CliRunner().invoke(main, ["check", "-q", "--no-history", "--format", "json", *paths]).stdout
    )
    assert [v.to_json() for v in verdicts] == report["claims"]
    for verdict in verdicts:
        _check({"type": "claim", **verdict.to_json()}, "claim record")
    assert verdicts[1].to_json()["status"] == "rejected"


def test_makefile_demo_installs_the_runtime_only():
    makefile = (ROOT / "Makefile").read_text()
    demo = makefile.split("$(RUNTIME_STAMP): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    assert "pip install --quiet -e ." in demo and "[dev]" not in demo
    assert "demo: $(RUNTIME_STAMP)" in makefile and "test: $(STAMP)" in makefile


def test_version_answers_without_loading_the_cli():
    """`edi837 --version` imports neither click nor the reader (start-up near the bare
    interpreter's), and says what `edi837 --help`'s version option says."""
    code = (
        "import sys, runpy; sys.argv = ['edi837', '--version']; "
        "runpy.run_module('edi837', run_name='__main__'); "
        "print(sorted(m for m in sys.modules if m == 'click' or m.startswith('edi837.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == f"edi837, version {edi837.__version__}"
    assert out[1] == "[]"  # neither click nor any edi837 module beyond the package
    assert CliRunner().invoke(main, ["--version"]).output == out[0] + "\n"
