"""``edi837 history``: seed, inspect and export the screening history store.

A thin click layer over :mod:`edi837.store` and :mod:`edi837.store.io`. The store is
``--history URL``, else ``$EDI837_HISTORY``, else the default SQLite file
(``edi837.store.default_history_url()``). Exit status: 0 done, 2 the store or the input
could not be used (each bad CSV row is reported as ``FILE:LINE: message``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

import click

from edi837.errors import Edi837Error
from edi837.sources import open_output
from edi837.store import SqlHistory, default_history_url, describe_url, open_store
from edi837.store.io import HistoryImportError, export_history, import_history

EXIT_UNREADABLE = 2

URL_HELP = (
    "History store: sqlite:///PATH, postgresql://...[?schema=NAME]. Default: "
    "$EDI837_HISTORY, else $EDI837_HOME/history.db, else "
    "~/.local/share/edi837/history.db."
)


class HistoryError(click.ClickException):
    """A one-line error, exit code 2 (the store or an input could not be used)."""

    exit_code = EXIT_UNREADABLE

    def show(self, file: TextIO | None = None) -> None:
        for line in self.message.splitlines():
            click.echo(f"edi837: error: {line}", err=True)


def history_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--history", "url", envvar="EDI837_HISTORY", metavar="URL", help=URL_HELP)(
        fn
    )


def _open(url: str | None) -> SqlHistory:
    url = url or default_history_url()
    try:
        store = open_store(url)
    except Edi837Error as exc:
        raise HistoryError(str(exc)) from None
    if not isinstance(store, SqlHistory):
        raise HistoryError(
            f"history {url!r} keeps nothing; name a sqlite:/// or postgresql:// store"
        )
    return store


@click.group("history", context_settings={"help_option_names": ["-h", "--help"]})
def history() -> None:
    """Seed, inspect and export the history of accepted S-code services.

    Screening remembers each judged claim, so a claim accepted last week limits a claim
    arriving today (S0353 once per patient, S0354 once per 30 days, months per order,
    one form). Rejected claims are remembered as seen but never count.

    Example: edi837 history show MBR0001 --history sqlite:///history.db
    """


@history.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@history_option
def history_import(file: str, url: str | None) -> None:
    """Seed the store from a CSV of S-code services the payer already paid.

    The CSV has a header: member_id,procedure,service_date,order_id,form,claim_id
    (optional: units, line, patient_key, status). The patient key is the member id
    unless a patient_key column gives a dependant's. All rows or none: each bad row
    is reported as FILE:LINE: message, and nothing is imported (exit 2).

    Example: edi837 history import paid-s-codes.csv --history sqlite:///history.db
    """
    store = _open(url)
    try:
        summary = import_history(store, file)
    except HistoryImportError as exc:
        raise HistoryError("\n".join(exc.errors)) from None
    except Edi837Error as exc:
        raise HistoryError(str(exc)) from None
    finally:
        store.close()
    skipped = f", skipped {summary.skipped} row(s) not accepted" if summary.skipped else ""
    click.echo(
        f"edi837: imported {summary.services} service(s) of {summary.claims} claim(s) "
        f"for {summary.patients} patient(s) into {describe_url(store.url)}{skipped}",
        err=True,
    )


@history.command("show")
@click.argument("member")
@history_option
def history_show(member: str, url: str | None) -> None:
    """Print a member's S-code timeline, in date order.

    Each service: date, code, units, claim id, form, frequency, order, verdict
    (accepted, or withdrawn by a void or replacement), patient key and source file;
    then the member's rejected claims, which never count. Dependants (patient keys
    MEMBER/...) are included.

    Example: edi837 history show MBR0001
    """
    store = _open(url)
    try:
        services = store.timeline_rows(member)
        rejected = store.rejected_rows(member)
    finally:
        store.close()
    if not services and not rejected:
        click.echo(f"{member}: no S-code history in {describe_url(store.url)}")
        return
    click.echo(
        f"{member}: {len(services)} S-code service(s), {len(rejected)} rejected "
        f"claim(s) in {describe_url(store.url)}"
    )
    if services:
        click.echo()
        _table(
            [
                "date",
                "code",
                "units",
                "claim",
                "form",
                "freq",
                "order",
                "verdict",
                "patient",
                "source",
            ],
            [
                [
                    str(r[5]),
                    r[4],
                    str(r[6]),
                    r[2],
                    r[9],
                    r[11],
                    r[7] or "-",
                    r[10],
                    r[0],
                    _source(r),
                ]
                for r in services
            ],
        )
    if rejected:
        click.echo("\nrejected claims (seen, never counted):")
        _table(
            ["claim", "form", "freq", "patient", "source"],
            [[r[2], r[9], r[11], r[0], _source(r)] for r in rejected],
        )


def _source(row: tuple[Any, ...]) -> str:
    source, isa13 = row[12], row[14]
    return f"{source} (ISA13 {isa13})" if isa13 else source


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=True)]
        click.echo("  ".join(cells).rstrip())


@history.command("export")
@history_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    help="Write the CSV here instead of standard output.",
)
@click.option(
    "--all",
    "include_all",
    is_flag=True,
    help="Also withdrawn services and rejected claims (import skips them).",
)
def history_export(url: str | None, output: str | None, include_all: bool) -> None:
    """Write the accepted S-code services as CSV.

    The columns are the import's plus units, line, patient_key and status, so that
    importing the export gives back the same services.

    Example: edi837 history export -o history.csv --history postgresql://db/claims
    """
    store = _open(url)
    try:
        with open_output(output) as out:  # atomic; None or - is standard output
            count = export_history(store, out, include_all=include_all)
    except OSError as exc:
        raise HistoryError(f"{output}: cannot write: {exc.strerror}") from None
    finally:
        store.close()
    if output not in (None, "-"):
        click.echo(f"edi837: exported {count} row(s) to {output}", err=True)


@history.command("info")
@history_option
def history_info(url: str | None) -> None:
    """Print the store's location, schema version and row counts.

    Opening a store creates it and applies any pending schema migrations.

    Example: edi837 history info --history "postgresql://localhost/claims?schema=edi837"
    """
    store = _open(url)
    try:
        counts = store.counts()
        version = store.schema_version()
    finally:
        store.close()
    click.echo(f"store: {describe_url(store.url)}\nschema version: {version}")
    for table, n in counts.items():
        click.echo(f"{table}s: {n}")
