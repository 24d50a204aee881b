"""``edi837 run``: the drop-folder worker's command (library: ``edi837.dropfolder``)."""

from __future__ import annotations

import sys
from datetime import date

import click

from edi837.cli_config import config_option
from edi837.cli_guard import EXIT_OK, EXIT_UNREADABLE, InputError
from edi837.cli_options import iso_date, rule_selection_options
from edi837.errors import Edi837Error
from edi837.policy import DEFAULT_POLICY, SHIPPED


@click.command("run")
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
@click.option("--received", callback=iso_date, help="Receipt date (default: each GS04).")
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
@rule_selection_options
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
        from edi837.rules.context import RunContext  # the rules: only for a run

        run = RunContext.build(
            policy,
            authorizations,
            providers,
            received,
            select=select,
            ignore=ignore,
            warn=warn,
            envelope=envelope,
            tr3=not no_validate,
        )
        from edi837.store import default_history_url, open_store

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
