"""``edi837 history``: seed, inspect and export the screening history store.

A thin click layer over :mod:`edi837.store` and :mod:`edi837.store.io`. The store is
``--history URL``, else ``$EDI837_HISTORY``, else the default SQLite file
(``edi837.store.default_history_url()``). Exit status: 0 done, 1 `show` of a member the
store does not know, 2 the store or the input
could not be used (each bad CSV row is reported as ``FILE:LINE: message``).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

import click

from edi837.errors import Edi837Error
from edi837.policy import DEFAULT_POLICY

if TYPE_CHECKING:
    from edi837.store import SqlHistory
    from edi837.store.schema import TimelineRow
    from edi837.store.summary import PatientSummary

# The store, feeds and summaries are imported by the commands that use them, so that
# ``edi837 --help`` and the other commands do not pay for them.

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
    from edi837.store import SqlHistory, default_history_url, open_store

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
    from edi837.store import describe_url
    from edi837.store.io import HistoryImportError, import_history

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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--policy",
    default=DEFAULT_POLICY,
    show_default=True,
    help="Policy profile whose month limits and intervals apply (name or TOML path).",
)
@click.option(
    "--authorizations",
    type=click.Path(dir_okay=False),
    help="Authorization feed CSV: each order's own S0354 months and regimen.",
)
def history_show(
    member: str, url: str | None, fmt: str, policy: str, authorizations: str | None
) -> None:
    """Print a member's S-code timeline, rejected claims and S0354 allowance.

    Each service: date, code, units, claim id, form, frequency, order, verdict
    (accepted, or withdrawn by a void or replacement), patient key and source file;
    then the member's rejected claims with their reasons (they never count); per
    order, the S0354 months used of the months allowed; and the next date an S0354
    would be accepted. Dependants (patient keys MEMBER/...) are included. A member the
    store does not know exits 1.

    Example: edi837 history show MBR0001 --format json --authorizations auths.csv
    """
    from edi837.feeds import AuthorizationFeed
    from edi837.policy import load_policy
    from edi837.store import describe_url
    from edi837.store.summary import member_summary

    try:
        profile = load_policy(policy)
        feed = AuthorizationFeed.load(authorizations) if authorizations else None
    except Edi837Error as exc:
        raise HistoryError(str(exc)) from None
    store = _open(url)
    try:
        patients = member_summary(store, member, profile, feed)
    finally:
        store.close()
    if not patients:
        click.echo(
            f"edi837: no S-code history for that member in {describe_url(store.url)}", err=True
        )
        sys.exit(1)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "member": member,
                    "store": describe_url(store.url),
                    "patients": [p.as_dict() for p in patients],
                },
                indent=2,
            )
        )
    elif fmt == "csv":
        _show_csv(patients)
    else:
        _show_text(member, patients, describe_url(store.url))


def _show_text(member: str, patients: list[PatientSummary], where: str) -> None:
    from edi837.store.summary import reasons

    services = [r for p in patients for r in p.services]
    rejected = [r for p in patients for r in p.rejected]
    click.echo(
        f"{member}: {len(services)} S-code service(s), {len(rejected)} rejected claim(s) in {where}"
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
                    str(r.service_date),
                    r.procedure,
                    str(r.units),
                    r.claim_id,
                    r.form,
                    r.frequency,
                    r.order_id or "-",
                    r.status,
                    r.patient_key,
                    _source(r),
                ]
                for r in sorted(services, key=lambda r: (r.service_date, r.patient_key, r.claim_id))
            ],
        )
    if rejected:
        click.echo("\nrejected claims (seen, never counted):")
        _table(
            ["claim", "form", "freq", "patient", "source", "reasons"],
            [
                [
                    r.claim_id,
                    r.form,
                    r.frequency,
                    r.patient_key,
                    _source(r),
                    " | ".join(reasons(r)) or "-",
                ]
                for r in rejected
            ],
        )
    click.echo("\nS0354 allowance:")
    for p in patients:
        for o in p.orders:
            allowed = "no limit set" if o.allowed is None else str(o.allowed)
            regimen = f" ({o.regimen} regimen)" if o.regimen else ""
            click.echo(
                f"  {p.patient_key}: order {o.order_id or '(none)'}{regimen}: "
                f"{o.used} of {allowed} month(s) used"
            )
        when = p.next_s0354.isoformat() if p.next_s0354 else "any date"
        click.echo(f"  {p.patient_key}: next S0354 accepted from {when} ({p.next_note})")


CSV_COLUMNS = (
    "patient_key",
    "kind",
    "date",
    "procedure",
    "units",
    "claim_id",
    "form",
    "frequency",
    "order_id",
    "status",
    "source_file",
    "isa13",
    "detail",
)


def _show_csv(patients: list[PatientSummary]) -> None:
    """One row per service, rejected claim, order and next date (``kind`` says which)."""
    from edi837.store.summary import reasons

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for p in patients:
        for r in p.services:
            out.writerow(
                [
                    p.patient_key,
                    "service",
                    r.service_date,
                    r.procedure,
                    r.units,
                    r.claim_id,
                    r.form,
                    r.frequency,
                    r.order_id,
                    r.status,
                    r.source_file,
                    r.isa13,
                    "",
                ]
            )
        for r in p.rejected:
            out.writerow(
                [
                    p.patient_key,
                    "rejected",
                    "",
                    "",
                    "",
                    r.claim_id,
                    r.form,
                    r.frequency,
                    "",
                    "rejected",
                    r.source_file,
                    r.isa13,
                    "; ".join(reasons(r)),
                ]
            )
        for o in p.orders:
            out.writerow(
                [
                    p.patient_key,
                    "order",
                    "",
                    "S0354",
                    o.used,
                    "",
                    "",
                    "",
                    o.order_id,
                    "",
                    "",
                    "",
                    f"{o.used} of {o.allowed if o.allowed is not None else '-'} month(s) used",
                ]
            )
        out.writerow(
            [
                p.patient_key,
                "next_s0354",
                p.next_s0354 or "",
                "S0354",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                p.next_note,
            ]
        )


def _source(row: TimelineRow) -> str:
    source, isa13 = row.source_file, row.isa13
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
    from edi837.sources import open_output
    from edi837.store.io import export_history

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
    from edi837.store import describe_url

    store = _open(url)
    try:
        counts = store.counts()
        version = store.schema_version()
    finally:
        store.close()
    click.echo(f"store: {describe_url(store.url)}\nschema version: {version}")
    for table, n in counts.items():
        click.echo(f"{table}s: {n}")
