"""Reference feeds: authorizations (the AIM/Carelon order summaries) and providers.

Both are CSV with a header row and ISO dates. A bad row is reported with file and line
number (``FeedError``) rather than skipped: a silently dropped authorization would turn
into a false rejection later, which is the worst thing a screener can do.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from edi837.errors import FeedError
from edi837.npi import is_valid_npi

AUTH_COLUMNS = (
    "order_id", "member_id", "ordering_npi", "valid_from", "valid_to", "s_codes",
    "s0354_max_months", "pathway_eligible_id", "status",
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


def _rows(path: str | Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    name = str(path)
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise FeedError(f"cannot open: {exc.strerror}", file=name, line=0) from None
    with handle:
        try:
            yield from _parse_rows(handle, name, columns)
        except UnicodeDecodeError:
            raise FeedError("not UTF-8 text (a CSV export in another encoding?)", file=name,
                            line=0) from None


def _parse_rows(handle: TextIO, name: str, columns: tuple[str, ...]
                ) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(handle)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in columns if c not in header]
    if missing:
        raise FeedError(f"header lacks column(s) {', '.join(missing)}; expected "
                        f"{','.join(columns)}", file=name, line=1)
    reader.fieldnames = header
    for row in reader:
        if not any((v or "").strip() for v in row.values()):
            continue
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def _date(value: str, column: str, file: str, line: int) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FeedError(f"{column} {value!r} is not an ISO date (YYYY-MM-DD)", file=file,
                        line=line) from None


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
        name = str(path)
        records = []
        for line, row in _rows(path, AUTH_COLUMNS):
            def bad(msg: str, line: int = line) -> FeedError:
                return FeedError(msg, file=name, line=line)

            if not row["order_id"] or not row["member_id"]:
                raise bad("order_id and member_id are required")
            status = row["status"].lower()
            if status not in AUTH_STATUSES:
                raise bad(f"status {row['status']!r} is not one of {', '.join(AUTH_STATUSES)}")
            if row["ordering_npi"] and not is_valid_npi(row["ordering_npi"]):
                raise bad(f"ordering_npi {row['ordering_npi']!r} is not a valid NPI")
            codes = frozenset(c.strip().upper() for c in row["s_codes"].split("|") if c.strip())
            if not codes <= {"S0353", "S0354"}:
                raise bad(f"s_codes {row['s_codes']!r} must be S0353 and/or S0354, '|'-separated")
            months_text = row["s0354_max_months"]
            if months_text and not months_text.isdigit():
                raise bad(f"s0354_max_months {months_text!r} is not a whole number")
            valid_from = _date(row["valid_from"], "valid_from", name, line)
            valid_to = _date(row["valid_to"], "valid_to", name, line)
            if valid_to < valid_from:
                raise bad(f"valid_to {valid_to} is before valid_from {valid_from}")
            regimen = row.get("regimen", "").lower()
            if regimen and regimen not in REGIMENS:
                raise bad(f"regimen {row['regimen']!r} is not one of {', '.join(REGIMENS)}")
            records.append(Authorization(
                row["order_id"], row["member_id"], row["ordering_npi"], valid_from, valid_to,
                codes, int(months_text) if months_text else None, row["pathway_eligible_id"],
                status, f"{name}:{line}", regimen,
            ))
        return cls(records, name)

    def for_order(self, order_id: str) -> list[Authorization]:
        return self.by_order.get(order_id, [])

    def for_member(self, member_id: str) -> list[Authorization]:
        return self.by_member.get(member_id, [])


class ProviderFeed:
    """Network status and state per NPI."""

    def __init__(self, records: dict[str, ProviderRecord], source: str = "") -> None:
        self.records = records
        self.source = source

    @classmethod
    def load(cls, path: str | Path) -> ProviderFeed:
        name = str(path)
        records: dict[str, ProviderRecord] = {}
        for line, row in _rows(path, PROVIDER_COLUMNS):
            if not is_valid_npi(row["npi"]):
                raise FeedError(f"npi {row['npi']!r} is not a valid NPI", file=name, line=line)
            network = row["network"].lower()
            if network not in ("in", "out"):
                raise FeedError(f"network {row['network']!r} must be 'in' or 'out'", file=name,
                                line=line)
            records[row["npi"]] = ProviderRecord(row["npi"], row["name"], network,
                                                 row["state"].upper())
        return cls(records, name)

    def get(self, npi: str) -> ProviderRecord | None:
        return self.records.get(npi)
