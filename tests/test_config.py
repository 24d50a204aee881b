"""edi837.toml: [check] and [run] option defaults, found upward or given with --config."""

import json

import pytest
from click.testing import CliRunner

from edi837.cli import main
from edi837.cli_config import find_config
from tests.scenario import Scenario, days, s_claim


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with claims and a sub-folder to run from; $HOME above it."""
    monkeypatch.setenv("HOME", str(tmp_path))
    root = tmp_path / "project"
    sc = Scenario(root).file(
        s_claim("INIT", "S0353", days(0)), s_claim("EST", "S0354", days(20))
    )  # SC005
    paths = sc.paths()
    sub = root / "sub" / "deeper"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    return root, [str(p) for p in paths]


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_found_upward_and_used(project):
    root, paths = project
    (root / "edi837.toml").write_text(
        '[check]\nformat = "json"\nno-history = true\nquiet = true\nwarn = ["SC005"]\n'
    )
    result = invoke("check", *paths)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "rules turned down to warnings (--warn): SC005" in report["notes"]


def test_relative_paths_are_taken_from_the_config_files_folder(project):
    """Run from two folders down, the feed and the outputs named in the project's
    edi837.toml are the project's own, not paths under the working folder."""
    root, paths = project
    (root / "feeds").mkdir()
    (root / "feeds" / "providers.csv").write_text("npi,name,network,state\n")
    (root / "edi837.toml").write_text(
        '[check]\nformat = "json"\nno-history = true\nquiet = true\n'
        'providers = "feeds/providers.csv"\noutput = "out/report.json"\n'
        '277ca = "out/answer.277"\npolicy = "bcbsma"\n'
    )
    (root / "out").mkdir()
    result = invoke("check", *paths)
    assert result.exit_code in (0, 1), result.output
    report = json.loads((root / "out" / "report.json").read_text())
    assert not any("--providers" in note for note in report["notes"])  # the feed was read
    assert (root / "out" / "answer.277").read_text().startswith("ISA")
    assert not (root / "sub" / "deeper" / "out").exists()
    settings = invoke("config", "--format", "json", "check")
    rows = {r["key"]: r["value"] for r in json.loads(settings.stdout)["settings"]["check"]}
    assert rows["providers"] == str(root / "feeds" / "providers.csv")
    assert rows["policy"] == "bcbsma"  # a shipped profile's name is not a path


def test_command_line_wins(project):
    root, paths = project
    (root / "edi837.toml").write_text('[check]\nformat = "json"\nno_history = true\nquiet = true\n')
    result = invoke("check", "--format", "csv", *paths)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("file,")  # the CSV header


def test_config_option_on_the_group_and_the_command(project, tmp_path):
    _, paths = project
    other = tmp_path / "other.toml"
    other.write_text('[check]\nformat = "jsonl"\nno-history = true\nquiet = true\n')
    for args in (
        ["--config", str(other), "check", *paths],
        ["check", "--config", str(other), *paths],
    ):
        result = invoke(*args)
        assert result.exit_code == 1
        assert json.loads(result.stdout.splitlines()[-1])["type"] == "summary"


def test_no_config_reads_nothing(project):
    root, paths = project
    (root / "edi837.toml").write_text('[check]\nformat = "json"\nno-history = true\n')
    result = invoke("--no-config", "check", "-q", "--no-history", *paths)
    assert result.stdout.startswith("edi837 screening")  # the text report


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[check]\nformt = "json"\n', "check.formt: unknown option (did you mean 'format'?)"),
        ('[chek]\nformat = "json"\n', "unknown table [chek] (did you mean [check]?)"),
        ('[check]\nformat = "yaml"\n', "check.format: 'yaml' is not one of"),
        ('[check]\ncontrol-number = "x"\n', "check.control-number: 'x' is not a valid integer"),
        ('[run]\npoll = "soon"\n', "run.poll: 'soon' is not a valid float"),
        ("[check\n", "not valid TOML"),
    ],
)
def test_bad_config_names_file_and_key(project, text, message):
    root, paths = project
    (root / "edi837.toml").write_text(text)
    result = invoke("check", *paths)
    assert result.exit_code == 2
    assert result.output.startswith(f"edi837: error: {root / 'edi837.toml'}: ")
    assert message in result.output


def test_search_stops_at_home(tmp_path, monkeypatch):
    (tmp_path / "edi837.toml").write_text("[check]\n")
    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    assert find_config(home / "work") is None
    (home / "edi837.toml").write_text("[check]\n")
    assert find_config(home / "work") == (home / "edi837.toml").resolve()


def test_config_command_shows_each_source(project, monkeypatch):
    root, _ = project
    (root / "edi837.toml").write_text('[check]\nformat = "json"\n[run]\npoll = 5\n')
    monkeypatch.setenv("EDI837_HISTORY", "none")
    result = invoke("config", "check", "--policy", "mop", "x.837")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"# config file: {root / 'edi837.toml'}"

    def line(key):
        return next(ln for ln in lines if ln.startswith(f"{key} = "))

    assert line("format").endswith(f"# {root / 'edi837.toml'}")
    assert line("policy").startswith('policy = "mop"') and line("policy").endswith("# command line")
    assert line("history").endswith("# env EDI837_HISTORY")
    assert line("verbose").endswith("# default")
    data = json.loads(invoke("config", "--format", "json").output)
    poll = next(r for r in data["settings"]["run"] if r["key"] == "poll")
    assert poll == {"key": "poll", "value": 5.0, "source": str(root / "edi837.toml")}


def test_every_check_and_run_option_is_configurable(project):
    """default_map covers options without code: each long option name is a key."""
    from edi837.cli_config import option_keys

    for name in ("check", "run"):
        command = main.commands[name]
        keys = option_keys(command)
        for param in command.params:
            if param.param_type_name == "option" and param.name != "config":
                long_names = [o[2:] for o in param.opts if o.startswith("--")]
                assert long_names and all(keys[n] is param for n in long_names), param.name
