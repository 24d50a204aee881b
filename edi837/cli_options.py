"""Options and run set-up shared by ``check`` and ``run``: one place, so the two
commands cannot drift apart (a rule turned off, a feed or a receipt date means the same)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from edi837.rules.context import RunContext

# The report formats (``writers.report.FORMATS`` and html), named here so that building
# the command line does not import the writers; tests/test_one_pass.py checks they agree.
REPORT_FORMATS = ("concise", "csv", "html", "json", "jsonl", "text")


def iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def rule_selection_options(command):
    """--select / --ignore / --warn, the same on check and run (edi837.rules.selection)."""
    for option in reversed(
        [
            click.option(
                "--select",
                multiple=True,
                metavar="CODE[,CODE]",
                help="Apply only these rules (codes or prefixes like SC00; repeatable).",
            ),
            click.option(
                "--ignore",
                multiple=True,
                metavar="CODE[,CODE]",
                help="Turn these rules off (codes or prefixes; repeatable).",
            ),
            click.option(
                "--warn",
                multiple=True,
                metavar="CODE[,CODE]",
                help="Report these rules' findings as warnings: the claim is accepted.",
            ),
        ]
    ):
        command = option(command)
    return command


def run_notes(run: RunContext) -> list[str]:
    notes = []
    if run.authorizations is None:
        notes.append(
            "no --authorizations feed: SC008 (authorization) and the order match of "
            "SC009 were not applied"
        )
    if run.providers is None:
        notes.append("no --providers feed: the network check of SC009 was not applied")
    notes += run.selection.notes()  # rules turned off or down (policy [rules], --select...)
    return notes
