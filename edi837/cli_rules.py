"""``edi837 rules [CODE]`` and ``edi837 schema NAME``: what edi837 checks and writes.

A thin layer over ``edi837.rules.explain`` and ``edi837.schemas``.
"""

from __future__ import annotations

import json
from typing import TextIO

import click

from edi837.errors import Edi837Error
from edi837.policy import DEFAULT_POLICY, SHIPPED, load_policy
from edi837.schemas import SCHEMAS, schema_text

EXIT_UNREADABLE = 2


class CommandError(click.ClickException):
    """A one-line error with exit code 2 (an unknown rule, a bad policy)."""

    exit_code = EXIT_UNREADABLE

    def show(self, file: TextIO | None = None) -> None:
        for line in self.message.splitlines() or [""]:
            click.echo(f"edi837: error: {line}", err=True)


@click.command("rules")
@click.argument("code", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Print for a person, or as JSON.",
)
@click.option(
    "--policy",
    default=DEFAULT_POLICY,
    show_default=True,
    help=f"Resolve parameters from this profile: {', '.join(SHIPPED)}, or a TOML file path.",
)
def rules_cmd(code: str | None, fmt: str, policy: str) -> None:
    """List every rule, or explain one: why, its parameter, fix, 277CA codes, example.

    An unknown CODE exits 2 and names the nearest code.

    Example: edi837 rules SC005 --policy mop
    """
    try:
        from edi837.rules import RULES  # every rule module: only for this command
        from edi837.rules.explain import Explanation, find_rule

        profile = load_policy(policy)
        explained = (
            [Explanation(find_rule(code), profile)]
            if code
            else [Explanation(r, profile) for _, r in sorted(RULES.items())]
        )
    except Edi837Error as exc:
        raise CommandError(str(exc)) from None
    if fmt == "json":
        data = [e.to_json() for e in explained]
        click.echo(json.dumps(data[0] if code else data, indent=2))
    elif code:
        click.echo(explained[0].text(), nl=False)
    else:
        for e in explained:
            r = e.rule
            click.echo(f"{r.code:7} {r.category}:{r.status_code:4} {r.severity:8} {r.title}")
            param = e.parameter()
            click.echo(f"        cite: {profile.cite(r.cite) if param else r.cite}")


@click.command("schema")
@click.argument("name", type=click.Choice(SCHEMAS))
def schema_cmd(name: str) -> None:
    """Print a published JSON Schema (draft 2020-12): the report or a policy profile.

    Example: edi837 schema report > edi837.report.schema.json
    """
    click.echo(schema_text(name), nl=False)
