"""Reference feeds: authorizations (the AIM/Carelon order summaries) and providers.

Both are CSV with a header row and ISO dates. Bad rows are reported with file and line
number (``FeedError``, every one of them, the first 20 listed) rather than skipped: a
silently dropped authorization would turn into a false rejection later, which is the
worst thing a screener can do. So is a conflicting duplicate (one order id with two
statuses, one NPI in two networks): both lines are named and the feed is refused.
Columns beyond the ones read are allowed.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from edi837.errors import FeedError
from edi837.npi import is_valid_npi
from edi837.numeric import ascii_int
from edi837.safetext import escape

AUTH_COLUMNS = (
    "order_id",
    "member_id",
    "ordering_npi",
    "valid_from",
    "valid_to",
    "s_codes",
    "s0354_max_months",
    "pathway_eligible_id",
    "status",
)
PROVIDER_COLUMNS = ("npi", "name", "network", "state")
AUTH_STATUSES = ("authorized", "non-authorized", "cancelled")
REGIMENS = ("fixed", "indefinite")  # optional column ``regimen``; empty: not said


@dataclass(frozen=True, slots=True)
class Authorization:
    """One order summary: who may bill which S-codes for whom, between which dates."""

    order_id: str
    member_id: str
    ordering_npi: str
    valid_from: date
    valid_to: date
    s_codes: frozenset[str]
    s0354_max_months: int | None
    pathway_eligible_id: str
    status: str
    source: str = ""  # file:line, for findings
    regimen: str = ""  # optional column: "fixed", "indefinite" or "" (not said); see SC007

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True, slots=True)
class ProviderRecord:
    npi: str
    name: str
    network: str  # "in" or "out"
    state: str

    @property
    def in_network(self) -> bool:
        return self.network == "in"


MAX_SHOWN = 20  # bad rows listed one by one; the rest are counted
_MAX_MONTHS_DIGITS = 3
_FIELD_LIMIT = 1 << 20  # a CSV field this long is reported, not a crash (default 131,072)


class FeedProblems:
    """Every bad row of one feed; ``raise_if_any`` turns them into one ``FeedError``
    listing the first ``MAX_SHOWN`` (one line each) and how many more there are."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found: list[tuple[int, str]] = []

    def add(self, line: int, message: str) -> None:
        self.found.append((line, message))

    def raise_if_any(self) -> None:
        if not self.found:
            return
        found = sorted(self.found, key=lambda item: item[0])
        first_line, first = found[0]
        error = FeedError(first, file=self.name, line=first_line)
        shown = [f"{escape(self.name)}:{line}: {message}" for line, message in found[:MAX_SHOWN]]
        if len(found) > MAX_SHOWN:
            shown.append(f"{escape(self.name)}: ... and {len(found) - MAX_SHOWN} more bad row(s)")
        error.lines = shown
        error.args = ("\n".join(shown),)
        raise error


def _decoded_lines(data: bytes, problems: FeedProblems) -> Iterator[str]:
    """The file's lines as text; a line that is not UTF-8 is reported at its own number
    (and read with replacement characters, so the rows after it are still checked)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw in enumerate(data.splitlines(keepends=True), 1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.add(
                number,
                f"not UTF-8 text at byte {exc.start} of the line "
                "(a CSV export in another encoding?)",
            )
            yield raw.decode("utf-8", errors="replace")


def _rows(
    path: str | Path, columns: tuple[str, ...], problems: FeedProblems
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for every non-blank row; extra columns are kept (a feed may
    carry more than edi837 reads, e.g. ``regimen``), bad rows go to ``problems``."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FeedError(f"cannot open: {exc.strerror}", file=name, line=0) from None
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    reader = csv.DictReader(_decoded_lines(data, problems))
    try:
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise FeedError(f"unreadable CSV header ({exc})", file=name, line=1) from None
    missing = [c for c in columns if c not in header]
    if missing and problems.found and problems.found[0][0] == 1:
        problems.raise_if_any()  # the header itself is not UTF-8: say that
    if missing:
        raise FeedError(
            f"header lacks column(s) {', '.join(missing)}; expected {','.join(columns)}",
            file=name,
            line=1,
        )
    reader.fieldnames = header
    undecodable = {line for line, _ in problems.found}
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.add(start, f"unreadable CSV row ({exc})")
            continue
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        if any(line in undecodable for line in range(start, reader.line_num + 1)):
            continue  # already reported
        yield (
            reader.line_num,
            {k: (v or "").strip() for k, v in row.items() if k and isinstance(v, str)},
        )


def _date(value: str, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column} {value[:40]!r} is not an ISO date (YYYY-MM-DD)") from None


class AuthorizationFeed:
    """Authorizations indexed by order id and by member, for the two ways a claim matches."""

    def __init__(self, records: list[Authorization], source: str = "") -> None:
        self.source = source
        self.by_order: dict[str, list[Authorization]] = defaultdict(list)
        self.by_member: dict[str, list[Authorization]] = defaultdict(list)
        for auth in records:
            self.by_order[auth.order_id].append(auth)
            self.by_member[auth.member_id].append(auth)

    @classmethod
    def load(cls, path: str | Path) -> AuthorizationFeed:
        """Read the feed; every bad row and every conflicting duplicate order id is
        reported (``FeedError``) and then nothing is used."""
        name = str(path)
        problems = FeedProblems(name)
        records: list[Authorization] = []
        first: dict[str, Authorization] = {}
        for line, row in _rows(path, AUTH_COLUMNS, problems):
            try:
                auth = _authorization(row, f"{name}:{line}")
            except ValueError as exc:
                problems.add(line, str(exc))
                continue
            seen = first.setdefault(auth.order_id, auth)
            if seen is not auth:
                conflict = _auth_conflict(seen, auth)
                if conflict:
                    problems.add(
                        line,
                        f"order_id {auth.order_id[:40]!r} has {conflict} here "
                        f"but not on line {_line_of(seen)}",
                    )
                    continue
            records.append(auth)
        problems.raise_if_any()
        return cls(records, name)

    def for_order(self, order_id: str) -> list[Authorization]:
        return self.by_order.get(order_id, [])

    def for_member(self, member_id: str) -> list[Authorization]:
        return self.by_member.get(member_id, [])


def _authorization(row: dict[str, str], source: str) -> Authorization:
    """One row as an ``Authorization``; ``ValueError`` says what is wrong with it."""
    if not row["order_id"] or not row["member_id"]:
        raise ValueError("order_id and member_id are required")
    status = row["status"].lower()
    if status not in AUTH_STATUSES:
        raise ValueError(f"status {row['status'][:40]!r} is not one of {', '.join(AUTH_STATUSES)}")
    if row["ordering_npi"] and not is_valid_npi(row["ordering_npi"]):
        raise ValueError(f"ordering_npi {row['ordering_npi'][:20]!r} is not a valid NPI")
    codes = frozenset(c.strip().upper() for c in row["s_codes"].split("|") if c.strip())
    if not codes <= {"S0353", "S0354"}:
        raise ValueError(
            f"s_codes {row['s_codes'][:40]!r} must be S0353 and/or S0354, '|'-separated"
        )
    months_text = row["s0354_max_months"]
    months = ascii_int(months_text, _MAX_MONTHS_DIGITS)
    if months_text and (months is None or months < 1):
        raise ValueError(
            f"s0354_max_months {months_text[:20]!r} is not a whole number of "
            f"months (1 to {10**_MAX_MONTHS_DIGITS - 1})"
        )
    valid_from = _date(row["valid_from"], "valid_from")
    valid_to = _date(row["valid_to"], "valid_to")
    if valid_to < valid_from:
        raise ValueError(f"valid_to {valid_to} is before valid_from {valid_from}")
    regimen = (row.get("regimen") or "").lower()
    if regimen and regimen not in REGIMENS:
        raise ValueError(f"regimen {row['regimen'][:20]!r} is not one of {', '.join(REGIMENS)}")
    return Authorization(
        row["order_id"],
        row["member_id"],
        row["ordering_npi"],
        valid_from,
        valid_to,
        codes,
        months,
        row["pathway_eligible_id"],
        status,
        source,
        regimen,
    )


def _auth_conflict(a: Authorization, b: Authorization) -> str:
    """What differs between two rows of one order id ('' when they agree)."""
    for label, x, y in (
        ("status", a.status, b.status),
        ("dates", (a.valid_from, a.valid_to), (b.valid_from, b.valid_to)),
        ("s_codes", a.s_codes, b.s_codes),
        ("s0354_max_months", a.s0354_max_months, b.s0354_max_months),
        ("regimen", a.regimen, b.regimen),
        ("member_id", a.member_id, b.member_id),
    ):
        if x != y:
            return f"different {label}"
    return ""


def _line_of(auth: Authorization) -> str:
    return auth.source.rsplit(":", 1)[-1]


class ProviderFeed:
    """Network status and state per NPI."""

    def __init__(self, records: dict[str, ProviderRecord], source: str = "") -> None:
        self.records = records
        self.source = source

    @classmethod
    def load(cls, path: str | Path) -> ProviderFeed:
        """Read the feed; every bad row and every NPI listed twice with a different
        network or state is reported (``FeedError``) and then nothing is used."""
        name = str(path)
        problems = FeedProblems(name)
        records: dict[str, ProviderRecord] = {}
        lines: dict[str, int] = {}
        for line, row in _rows(path, PROVIDER_COLUMNS, problems):
            npi = row["npi"]
            if not is_valid_npi(npi):
                problems.add(line, f"npi {npi[:20]!r} is not a valid NPI")
                continue
            network = row["network"].lower()
            if network not in ("in", "out"):
                problems.add(line, f"network {row['network'][:20]!r} must be 'in' or 'out'")
                continue
            record = ProviderRecord(npi, row["name"], network, row["state"].upper())
            seen = records.get(npi)
            if seen is not None:
                if (seen.network, seen.state) != (record.network, record.state):
                    problems.add(
                        line,
                        f"npi {npi} has network {record.network}, state "
                        f"{record.state[:10]!r} here but network {seen.network}, "
                        f"state {seen.state[:10]!r} on line {lines[npi]}",
                    )
                continue
            records[npi], lines[npi] = record, line
        problems.raise_if_any()
        return cls(records, name)

    def get(self, npi: str) -> ProviderRecord | None:
        return self.records.get(npi)
