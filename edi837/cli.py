"""The ``edi837`` command line: a thin click layer over the library.

Commands parse options, call the library and map the outcome to an exit code:
0 every claim accepted, 1 some claim rejected, 2 an input (or a feed, or the policy)
could not be read, 3 an internal error. Errors are one line on stderr, never a
traceback (``edi837.cli_guard`` catches whatever a command lets escape).
"""

from __future__ import annotations

import contextlib
import errno
import gc
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterator, MutableMapping
from datetime import date
from typing import TYPE_CHECKING, TextIO

import click

from edi837 import __version__
from edi837.cli_config import META_OFF, META_PATH, config_option
from edi837.cli_guard import GuardedGroup, InputError, set_debug
from edi837.cli_options import (
    REPORT_FORMATS,
    iso_date,
    rule_selection_options,
    run_notes,
)
from edi837.errors import Edi837Error
from edi837.policy import DEFAULT_POLICY, SHIPPED
from edi837.runtmp import install_signal_handlers, sweep_stale
from edi837.safetext import bounded

if TYPE_CHECKING:
    from edi837.rules.context import RunContext


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="edi837")
@click.option(
    "--debug",
    is_flag=True,
    envvar="EDI837_DEBUG",
    help="On an internal error (exit 3), print the traceback too.",
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True),
    help="Config file with [check] and [run] option defaults (default: the nearest "
    "edi837.toml from the working folder upward).",
)
@click.option("--no-config", is_flag=True, help="Read no config file.")
@click.pass_context
def main(ctx: click.Context, debug: bool, config_file: str | None, no_config: bool) -> None:
    """Screen X12 837P/837I claims for payer S-code (S0353/S0354) rules.

    Exit status: 0 all accepted, 1 some rejected, 2 unreadable input, feed or policy,
    3 internal error (a defect: --debug shows the traceback).

    Example: edi837 check --policy bcbsma --authorizations auths.csv claims.837
    """
    set_debug(debug)
    install_signal_handlers()  # SIGTERM/SIGHUP: exit through cleanup (edi837.runtmp)
    sweep_stale()  # temporary folders of killed runs (their PID gone, over an hour old)
    ctx.meta[META_PATH], ctx.meta[META_OFF] = config_file, no_config
    # The reader allocates millions of small acyclic objects; the default collector
    # thresholds make CPython rescan them constantly (a third of the run time).
    gc.set_threshold(100_000, 50, 100)


def _engine(ctx: click.Context, param: click.Parameter, value: str) -> str | None:
    """``local`` -> None; ``spark`` / ``spark:MASTER`` -> the Spark master URL."""
    if value == "local":  # the default: the Spark engine's module is not needed to say so
        return None
    from edi837.spark import parse_engine

    try:
        return parse_engine(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@config_option
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    help="Write the report here (atomically; - is standard output, the default).",
)
@click.option(
    "--policy",
    default=DEFAULT_POLICY,
    show_default=True,
    help=f"Policy profile: {', '.join(SHIPPED)}, or a TOML file path.",
)
@click.option(
    "--authorizations",
    type=click.Path(exists=True, dir_okay=False),
    help="Authorization feed CSV (order_id,member_id,ordering_npi,...).",
)
@click.option(
    "--providers",
    type=click.Path(exists=True, dir_okay=False),
    help="Provider feed CSV (npi,name,network,state).",
)
@click.option(
    "--received",
    callback=iso_date,
    help="Receipt date YYYY-MM-DD for timely filing (default: each file's GS04).",
)
@click.option(
    "--277ca",
    "ack_277ca",
    metavar="PATH",
    help="Write a 277CA answering every claim (a directory: one per input file).",
)
@click.option(
    "--999",
    "ack_999",
    metavar="PATH",
    help="Write a 999 for each input's functional groups (a directory: one per file).",
)
@click.option(
    "--ta1",
    "ack_ta1",
    metavar="PATH",
    help="Write a TA1 for each interchange with ISA14 = 1 or an envelope error "
    "(a directory: one per input file).",
)
@click.option(
    "--envelope",
    type=click.Choice(["strict", "lenient"]),
    default="strict",
    show_default=True,
    help="lenient: SE/GE/IEA counts, control numbers and GS08/ST03 label "
    "mismatches are warnings (the 999 says accepted with errors).",
)
@click.option("--accepted", metavar="PATH", help="Write the accepted claims as an 837.")
@click.option("--rejected", metavar="PATH", help="Write the rejected claims as an 837.")
@click.option(
    "--annotate", metavar="PATH", help="Write the input back with each finding under its segment."
)
@click.option(
    "--control-number",
    type=click.IntRange(1, 999_999_999),
    help="First interchange control number for the files written (default: the "
    "counter in $EDI837_HOME/control-number, unique across runs).",
)
@click.option("--sender-id", help="Our id in acknowledgments (default: the 837's ISA08).")
@click.option("--receiver-id", help="Submitter id in acknowledgments (default: ISA06).")
@click.option(
    "--history",
    "history_url",
    envvar="EDI837_HISTORY",
    metavar="URL",
    help="History store remembering judged claims across runs: sqlite:///PATH, "
    "postgresql://...[?schema=NAME] or none. Default: $EDI837_HISTORY, else "
    "$EDI837_HOME/history.db, else ~/.local/share/edi837/history.db.",
)
@click.option(
    "--no-history",
    is_flag=True,
    help="Judge the batch on its own and remember nothing (--history none).",
)
@click.option(
    "--validate",
    is_flag=True,
    help="Also run pyx12's full TR3 validation (slow); its errors go into the 999 "
    "and the report and reject the transaction set's claims.",
)
@click.option(
    "--no-validate",
    is_flag=True,
    help="Skip the built-in TR3 validation (segment order, required elements, "
    "lengths, types, codes), on by default.",
)
@click.option(
    "--engine",
    default="local",
    show_default=True,
    callback=_engine,
    metavar="local|spark[:MASTER]",
    help="Read and judge in this process, or on Apache Spark (edi837[spark]; MASTER "
    "defaults to local[2]). The report is the same either way.",
)
@click.option(
    "--parquet",
    metavar="DIR",
    help="Also write claims, service lines and findings as Parquet tables.",
)
@rule_selection_options
@click.option("--verbose", "-v", is_flag=True, help="Text report: list accepted claims too.")
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary on stderr.")
def check(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    policy: str,
    authorizations: str | None,
    providers: str | None,
    received: date | None,
    ack_277ca: str | None,
    ack_999: str | None,
    ack_ta1: str | None,
    envelope: str,
    accepted: str | None,
    rejected: str | None,
    annotate: str | None,
    control_number: int | None,
    sender_id: str | None,
    receiver_id: str | None,
    history_url: str | None,
    no_history: bool,
    validate: bool,
    engine: str | None,
    parquet: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    warn: tuple[str, ...],
    verbose: bool,
    quiet: bool,
    no_validate: bool = False,
) -> None:
    """Screen 837 files (a file, a directory of files, or - for stdin).

    Claims are judged against the history store too (claims accepted in earlier runs
    limit this batch), and the batch's verdicts are added to it in one transaction;
    re-screening a file changes nothing. Control numbers of the files written come from
    the store's counters unless --control-number is given.

    Exit status: 0 all claims accepted, 1 some claim rejected, 2 an input could not be
    read (or had envelope errors).

    Example: edi837 check --format json -o report.json fixtures/sample/claims
    """
    # What a run needs is imported here, not for every command (``--help``, ``rules``).
    from edi837.checking import check
    from edi837.control import control_numbers
    from edi837.outputs import OutputOptions
    from edi837.rules.context import RunContext
    from edi837.sources import open_output
    from edi837.store import default_history_url, open_store
    from edi837.writers.report import TextReport

    if parquet and importlib.util.find_spec("pyarrow") is None:  # before any output
        raise InputError("--parquet needs pyarrow: pip install 'edi837[parquet]'")
    try:
        run = RunContext.build(
            policy,
            authorizations,
            providers,
            received,
            validate=validate,
            select=select,
            ignore=ignore,
            warn=warn,
            envelope=envelope,
            tr3=not no_validate,
        )
        url = "none" if no_history else history_url or default_history_url()
        store = open_store(url)
    except Edi837Error as exc:
        raise InputError(str(exc)) from None
    meta = {"policy": run.policy.name, "policy_source": run.policy.source_path,
            "notes": run_notes(run)}  # fmt: skip
    options = OutputOptions(
        ack_277ca,
        ack_999,
        accepted,
        rejected,
        annotate,
        sender_id,
        receiver_id,
        ack_ta1=ack_ta1,
        received=received,
        parquet=parquet,
    )
    try:
        with open_output(output) as out, _progress(paths, quiet) as progress:
            report = TextReport(out, verbose=verbose) if fmt == "text" else _report(fmt, out, run)
            result = check(
                paths,
                run,
                history=store,
                report=report,
                meta=meta,
                outputs=options,
                numbers=control_numbers(control_number, store),
                engine=engine,
                history_url=url,
                progress=progress,
            )
    except Edi837Error as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:  # an output that cannot be written: one line, not a traceback
        if exc.errno == errno.EPIPE:
            raise  # standard output closed by the reader: a quiet exit (cli_guard)
        raise InputError(f"{exc.filename or ''}: {exc.strerror}") from None
    finally:
        store.close()
    for repeated in result.duplicates:
        click.echo(
            bounded(f"edi837: warning: {repeated}: given more than once; screened once"), err=True
        )
    for f in result.files:
        for err in f.errors:
            click.echo(bounded(f"edi837: error: {err}"), err=True)
    summary = result.summary
    if not quiet:
        click.echo(
            f"edi837: {summary.claims} claims, {summary.accepted} accepted, "
            f"{summary.rejected} rejected ({len(result.files)} file(s))",
            err=True,
        )
    sys.exit(result.exit_code)


@contextlib.contextmanager
def _progress(paths: tuple[str, ...], quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A progress bar over the bytes read, on stderr when it is a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from edi837.screening import expand_paths
    from edi837.sources import source_size

    total = sum(source_size(p) for p in expand_paths(paths) if p != "-")
    with click.progressbar(
        length=max(total, 1), label="reading", file=sys.stderr, show_pos=False
    ) as bar:
        yield bar.update


def _report(fmt: str, out: TextIO, run: RunContext | None = None):
    from edi837.writers.report import FORMATS

    if fmt == "html":
        from edi837.writers.html_report import HtmlReport

        return HtmlReport(out, policy=run.policy if run else None)
    return FORMATS[fmt](out)


class LazyCommands(MutableMapping):
    """A group's ``commands``, each imported the first time it is looked up.

    Why: ``edi837 check`` is run far more than any other command, and importing the
    others (their modules, their click options) cost it a few milliseconds every run.
    ``main.commands["history"]``, ``get_command``, ``--help`` and ``add_command`` work as
    on a plain dict; only a command's module import waits.
    """

    def __init__(self, commands: dict[str, click.Command]) -> None:
        self._entries: dict[str, click.Command | tuple[str, str]] = dict(commands)

    def add_lazy(self, name: str, module: str, attribute: str) -> None:
        """``name`` is ``module.attribute``, imported on first use."""
        self._entries[name] = (module, attribute)

    def __getitem__(self, name: str) -> click.Command:
        entry = self._entries[name]
        if isinstance(entry, tuple):
            module, attribute = entry
            entry = self._entries[name] = getattr(importlib.import_module(module), attribute)
        return entry

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._entries[name] = command

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries


# Commands other than check, by name (the click name each module gives its command).
SUBCOMMANDS = (
    ("history", "edi837.cli_history", "history"),
    ("run", "edi837.cli_run", "run_cmd"),
    ("generate", "edi837.cli_data", "generate"),
    ("policies", "edi837.cli_data", "policies"),
    ("rules", "edi837.cli_rules", "rules_cmd"),
    ("schema", "edi837.cli_rules", "schema_cmd"),
    ("config", "edi837.cli_config", "config_cmd"),
)
main.commands = LazyCommands(main.commands)
for _name, _module, _attribute in SUBCOMMANDS:
    main.commands.add_lazy(_name, _module, _attribute)

if __name__ == "__main__":  # pragma: no cover
    main()
