"""The data commands: ``edi837 generate`` (synthetic 837s) and ``edi837 policies``.

Kept apart from ``edi837.cli`` (the screening commands) so each module has one job;
``edi837.cli`` registers them on the group.
"""

from __future__ import annotations

import click

from edi837.cli_guard import InputError
from edi837.errors import Edi837Error
from edi837.policy import DEFAULT_POLICY, SHIPPED, load_policy, policy_text


@click.command()
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed, same file).")
@click.option(
    "--claims", default=100, show_default=True, type=click.IntRange(0), help="Number of claims."
)
@click.option(
    "--form", type=click.Choice(["837P", "837I", "mixed"]), default="mixed", show_default=True
)
@click.option(
    "--interchanges",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="ISA envelopes in the file.",
)
@click.option("--element-separator", default="*", show_default=True)
@click.option("--component-separator", default=":", show_default=True)
@click.option("--repetition-separator", default="^", show_default=True)
@click.option("--segment-terminator", default="~", show_default=True)
@click.option(
    "--line-ending",
    type=click.Choice(["none", "lf", "crlf"]),
    default="lf",
    show_default=True,
    help="What follows each segment terminator.",
)
def generate(
    output: str,
    seed: int,
    claims: int,
    form: str,
    interchanges: int,
    element_separator: str,
    component_separator: str,
    repetition_separator: str,
    segment_terminator: str,
    line_ending: str,
) -> None:
    """Write a synthetic 837 file (invented people, valid NPIs) for tests and benchmarks.

    Example: edi837 generate --claims 20000 --form 837P --seed 7 big.837
    """
    from edi837.synth.random_batch import generate_file
    from edi837.x12.separators import Separators

    try:
        separators = Separators(
            element_separator, repetition_separator, component_separator, segment_terminator
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    endings = {"none": "", "lf": "\n", "crlf": "\r\n"}
    generate_file(
        output,
        seed=seed,
        claims=claims,
        form=form,
        interchanges=interchanges,
        separators=separators,
        line_ending=endings[line_ending],
    )
    click.echo(f"edi837: wrote {claims} claims to {output}", err=True)


@click.group(invoke_without_command=True)
@click.pass_context
def policies(ctx: click.Context) -> None:
    """List the shipped policy profiles.

    Example: edi837 policies show carelon-ma
    """
    if ctx.invoked_subcommand is None:
        for name in SHIPPED:
            p = load_policy(name)
            mark = " (default)" if name == DEFAULT_POLICY else ""
            click.echo(f"{name:12} {p.title}{mark}")


@policies.command("show")
@click.argument("name")
@click.option("--toml", "as_toml", is_flag=True, help="Print the profile file itself.")
def policies_show(name: str, as_toml: bool) -> None:
    """Print one profile's parameters with their seed citations.

    Example: edi837 policies show bcbsma --toml > mypayer.toml
    """
    try:
        if as_toml:
            click.echo(policy_text(name)[0], nl=False)
            return
        policy = load_policy(name)
    except Edi837Error as exc:
        raise InputError(str(exc)) from None
    click.echo(
        f"{policy.name}: {policy.title}\n  payer: {policy.payer}\n  from: {policy.source_path}\n"
    )
    for param, citation in policy.citations.items():
        value = _param_value(policy, param)
        click.echo(f"{param} = {value}")
        click.echo(f"    source: {citation.source}")
        if citation.quote:
            click.echo(f"    quote:  {citation.quote}")
        if citation.note:
            click.echo(f"    note:   {citation.note}")


def _param_value(policy, param: str) -> str:
    return policy.value_text(param)
