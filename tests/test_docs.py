"""Documentation stays true: the rule table is generated, every command has help."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from edi837.cli import main
from edi837.rules import RULES
from edi837.rules.doc import render

ROOT = Path(__file__).resolve().parent.parent


def test_rules_doc_is_current():
    assert (ROOT / "docs" / "rules.md").read_text() == render(), (
        "docs/rules.md is stale: python -m edi837.rules.doc > docs/rules.md"
    )


def test_every_rule_has_rationale_citation_and_stc():
    for code, rule in RULES.items():
        assert rule.cite and rule.fix, code
        assert rule.category in {"A3", "A6", "A7", "A8"}, code
        assert rule.status_code.isdigit(), code
        if rule.kind in ("claim", "timeline", "frequency") or rule.check is not None:
            assert rule.rationale, code  # every rule that is a check says why (STR too)


def test_every_structure_rule_is_explained_in_the_rules_doc():
    text = (ROOT / "docs" / "rules.md").read_text()
    for code in (f"STR00{n}" for n in range(1, 8)):
        assert f"### {code}: {RULES[code].title}" in text, code


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize(
    ("path", "cmd"),
    list(_commands(main)),
    ids=lambda x: " ".join(x) if isinstance(x, tuple) else "",
)
def test_every_command_has_help_with_an_example(path, cmd):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example:" in (cmd.help or ""), path


def test_readme_lists_every_command_and_option():
    """Every command (``edi837 history show``) and every long option of it is in the
    README, so a user reading it sees everything the CLI can do."""
    readme = (ROOT / "README.md").read_text()
    missing = [
        o
        for o in ("--version", *(o for p in main.params for o in p.opts))
        if o.startswith("--") and o not in readme
    ]
    for path, cmd in _commands(main):
        words = ["edi837", *path]
        mentioned = " ".join(words) in readme or (
            len(path) > 1 and f"| {path[-1]}" in readme and " ".join(words[:-1]) in readme
        )
        if not mentioned:
            missing.append(" ".join(words))
        for param in cmd.params:
            for opt in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())):
                if opt.startswith("--") and opt != "--help" and opt not in readme:
                    missing.append(f"{' '.join(words)} {opt}")
    assert not missing, f"README.md does not mention: {', '.join(missing)}"
