"""The ``edi837`` command line: a thin click layer over the library.

Commands parse options, call the library and map the outcome to an exit code:
0 every claim accepted, 1 some claim rejected, 2 an input (or a feed, or the policy)
could not be read, 3 an internal error. Errors are one line on stderr, never a
traceback (``edi837.cli_guard`` catches whatever a command lets escape).
"""

from __future__ import annotations

import errno
import gc
import importlib.util
import sys
from datetime import date
from typing import TextIO

import click

from edi837 import __version__
from edi837.cli_config import META_OFF, META_PATH, config_cmd, config_option
from edi837.cli_guard import GuardedGroup, set_debug
from edi837.cli_history import history
from edi837.cli_rules import rules_cmd, schema_cmd
from edi837.control import control_numbers
from edi837.errors import Edi837Error
from edi837.feeds import AuthorizationFeed, ProviderFeed
from edi837.outputs import OutputOptions, write_outputs
from edi837.policy import DEFAULT_POLICY, SHIPPED, load_policy, policy_text
from edi837.prerender import Prerenderer
from edi837.rules.context import RunContext
from edi837.rules.selection import RuleSelection
from edi837.runtmp import install_signal_handlers, sweep_stale
from edi837.safetext import bounded
from edi837.screening import Screening
from edi837.sources import open_output, staged
from edi837.store import default_history_url, open_store
from edi837.writers.report import FORMATS, TextReport, write_prerendered, write_report

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2  # 3: internal error (cli_guard)


class InputError(click.ClickException):
    """A one-line error with exit code 2 (input, feed or policy unreadable)."""

    exit_code = EXIT_UNREADABLE

    def show(self, file: TextIO | None = None) -> None:
        for line in self.message.splitlines() or [""]:  # a feed or policy: every problem
            click.echo(bounded(f"edi837: error: {line}"), err=True)


def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _rule_selection_options(command):
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
    type=click.Choice(sorted([*FORMATS, "html"])),
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
    callback=_iso_date,
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
@_rule_selection_options
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
    if parquet and importlib.util.find_spec("pyarrow") is None:  # before any output
        raise InputError("--parquet needs pyarrow: pip install 'edi837[parquet]'")
    try:
        run = _run_context(
            policy,
            authorizations,
            providers,
            received,
            validate,
            select=select,
            ignore=ignore,
            warn=warn,
            envelope=envelope,
        )
        run.tr3 = not no_validate
        url = "none" if no_history else history_url or default_history_url()
        store = open_store(url)
    except Edi837Error as exc:
        raise InputError(str(exc)) from None
    if engine is None:
        screening = Screening(paths, run, store)
    else:
        from edi837.spark import SparkScreening  # needs the edi837[spark] extra

        screening = SparkScreening(paths, run, master=engine, history_url=url)
    try:
        with screening, open_output(output) as out:
            report = TextReport(out, verbose=verbose) if fmt == "text" else _report(fmt, out, run)
            meta = {
                "policy": run.policy.name,
                "policy_source": run.policy.source_path,
                "notes": _run_notes(run),
            }
            if fmt in ("json", "jsonl") and engine is None:
                # The machine-readable reports need no second pass over the input.
                pre = Prerenderer(screening)
                try:
                    files = _prepare_with_progress(screening, quiet, pre.record)
                    summary = write_prerendered(report, files, pre.claims(), meta)
                finally:
                    pre.close()
            else:
                files = _prepare_with_progress(screening, quiet)
                summary = write_report(report, files, screening.verdicts(), meta)
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
            )
            write_outputs(screening, options, control_numbers(control_number, store))
            if parquet:
                from edi837.writers.parquet import write_parquet  # needs pyarrow

                with staged(parquet, directory=True) as folder:
                    write_parquet(folder, screening.verdicts())
    except Edi837Error as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:  # an output that cannot be written: one line, not a traceback
        if exc.errno == errno.EPIPE:
            raise  # standard output closed by the reader: a quiet exit (cli_guard)
        raise InputError(f"{exc.filename or ''}: {exc.strerror}") from None
    finally:
        store.close()
    for repeated in getattr(screening, "duplicates", []):
        click.echo(
            bounded(f"edi837: warning: {repeated}: given more than once; screened once"), err=True
        )
    for f in files:
        for err in f.errors:
            click.echo(bounded(f"edi837: error: {err}"), err=True)
    if not quiet:
        click.echo(
            f"edi837: {summary.claims} claims, {summary.accepted} accepted, "
            f"{summary.rejected} rejected ({len(files)} file(s))",
            err=True,
        )
    if screening.has_errors:
        sys.exit(EXIT_UNREADABLE)
    sys.exit(EXIT_REJECTED if summary.rejected else EXIT_OK)


def _run_context(
    policy: str,
    authorizations: str | None,
    providers: str | None,
    received: date | None,
    validate: bool = False,
    *,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    warn: tuple[str, ...] = (),
    envelope: str = "strict",
) -> RunContext:
    """Load the policy profile and reference feeds (raising Edi837Error naming the file)."""
    profile = load_policy(policy)
    rules = RuleSelection.build(
        profile.rules, policy_name=profile.source_path, select=select, ignore=ignore, warn=warn
    )
    return RunContext(
        policy=profile,
        authorizations=AuthorizationFeed.load(authorizations) if authorizations else None,
        providers=ProviderFeed.load(providers) if providers else None,
        received=received,
        validate=validate,
        rules=rules,
        envelope=envelope,
    )


def _prepare_with_progress(screening: Screening, quiet: bool, on_claim=None):
    """Read and judge the batch, with a progress bar on stderr when it is a terminal."""

    def prepare():
        return screening.prepare(on_claim) if on_claim else screening.prepare()

    if quiet or not sys.stderr.isatty():
        return prepare()
    with click.progressbar(
        length=max(screening.total_bytes(), 1), label="reading", file=sys.stderr, show_pos=False
    ) as bar:
        screening.progress = bar.update
        files = prepare()
    screening.progress = None
    return files


def _report(fmt: str, out: TextIO, run: RunContext | None = None):
    if fmt == "html":
        from edi837.writers.html_report import HtmlReport

        return HtmlReport(out, policy=run.policy if run else None)
    return FORMATS[fmt](out)


def _run_notes(run: RunContext) -> list[str]:
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


@main.command("run")
@config_option
@click.option(
    "--inbox",
    required=True,
    type=click.Path(file_okay=False, exists=True),
    help="Folder new 837 files arrive in.",
)
@click.option(
    "--outbox",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for accepted/, rejected/, acks/, reports/, done/, failed/.",
)
@click.option(
    "--policy",
    default=DEFAULT_POLICY,
    show_default=True,
    help=f"Policy profile: {', '.join(SHIPPED)}, or a TOML file path.",
)
@click.option("--authorizations", type=click.Path(exists=True, dir_okay=False))
@click.option("--providers", type=click.Path(exists=True, dir_okay=False))
@click.option("--received", callback=_iso_date, help="Receipt date (default: each GS04).")
@click.option(
    "--history",
    "history_url",
    envvar="EDI837_HISTORY",
    metavar="URL",
    help="History store shared by the workers (default: the embedded SQLite file).",
)
@click.option(
    "--control-number",
    type=click.IntRange(1, 999_999_999),
    help="Fixed first control number (default: the shared counter).",
)
@_rule_selection_options
@click.option(
    "--envelope",
    type=click.Choice(["strict", "lenient"]),
    default="strict",
    show_default=True,
    help="lenient: envelope count/label mismatches are warnings.",
)
@click.option("--watch", is_flag=True, help="Keep polling the inbox instead of exiting.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between polls (--watch).")
@click.option(
    "--stale-after",
    default=600.0,
    show_default=True,
    help="Seconds after which another host's silent work folder is taken over.",
)
@click.option("--quiet", "-q", is_flag=True, help="No per-file log lines on stderr.")
@click.option(
    "--settle",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds a file's size and mtime must stay unchanged before it is taken "
    "(a file still uploading is never claimed).",
)
@click.option(
    "--ready-suffix",
    metavar="SUFFIX",
    help="Take X only once X+SUFFIX exists (e.g. .ok); both are moved.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Per-file log line on stderr: key=value text or JSON.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    metavar="PORT",
    help="Serve Prometheus metrics on this port.",
)
@click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    help="Address the metrics endpoint listens on.",
)
@click.option(
    "--no-validate", is_flag=True, help="Skip the built-in TR3 validation (on by default)."
)
def run_cmd(
    inbox: str,
    outbox: str,
    policy: str,
    authorizations: str | None,
    providers: str | None,
    received: date | None,
    history_url: str | None,
    control_number: int | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    warn: tuple[str, ...],
    envelope: str,
    watch: bool,
    poll: float,
    stale_after: float,
    quiet: bool,
    settle: float = 10.0,
    ready_suffix: str | None = None,
    log_format: str = "text",
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
    no_validate: bool = False,
) -> None:
    """Drain a drop folder: claim each file atomically, screen it, file the answers.

    Any number of workers (processes or machines sharing the folders and a PostgreSQL
    history) may run on one inbox; a file left behind by a killed worker is taken up
    again and, thanks to the history store, counted once.

    Only settled files are taken (--settle, --ready-suffix); each file gets one log line
    (--log-format) and the counts go to Prometheus (--metrics-port). SIGTERM stops a
    --watch worker after the file in hand.

    Example: edi837 run --inbox /sftp/in --outbox /sftp/out --history postgresql://db/claims
    """
    import signal

    from edi837.dropfolder import DropFolderWorker, stats_json
    from edi837.observe import Metrics, event_sink

    try:
        run = _run_context(
            policy,
            authorizations,
            providers,
            received,
            select=select,
            ignore=ignore,
            warn=warn,
            envelope=envelope,
        )
        run.tr3 = not no_validate
        url = history_url or default_history_url()
        open_store(url).close()  # fail fast on a bad URL, and apply migrations once
    except Edi837Error as exc:
        raise InputError(str(exc)) from None
    log = (
        (lambda message: None)
        if quiet
        else (lambda message: click.echo(f"edi837: {message}", err=True))
    )
    metrics = None
    if metrics_port is not None:
        try:
            metrics = Metrics()
            metrics.serve(metrics_port, metrics_host)
        except (Edi837Error, OSError) as exc:
            raise InputError(f"--metrics-port {metrics_port}: {exc}") from None
    try:
        worker = DropFolderWorker(
            inbox,
            outbox,
            run,
            lambda: open_store(url),
            stale_after=stale_after,
            control_number=control_number,
            log=log,
            settle=settle,
            ready_suffix=ready_suffix,
            on_file=event_sink(log, log_format, metrics),
            on_poll=metrics.inbox.set if metrics else None,
        )
    except Edi837Error as exc:
        raise InputError(str(exc)) from None
    stopping: list[int] = []
    if watch:  # a draining worker keeps the default: SIGTERM ends it at once
        signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    try:
        stats = worker.watch(poll, stop=lambda: bool(stopping)) if watch else worker.drain()
    except Edi837Error as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:  # the outbox became unwritable (full disk, read-only mount)
        raise InputError(f"{exc.filename or outbox}: cannot write: {exc.strerror}") from None
    finally:
        worker.close()
    click.echo(stats_json(stats))
    sys.exit(EXIT_UNREADABLE if stats.failed else EXIT_OK)


@main.command()
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


@main.group(invoke_without_command=True)
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


main.add_command(history)
main.add_command(rules_cmd)
main.add_command(schema_cmd)
main.add_command(config_cmd)

if __name__ == "__main__":  # pragma: no cover
    main()
