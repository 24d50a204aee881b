"""Reference feeds: authorizations (the AIM/Carelon order summaries) and providers.

Both are CSV with a header row and ISO dates. Bad rows are reported with file and line
number (``FeedError``, every one of them, the first 20 listed) rather than skipped: a
silently dropped authorization would turn into a false rejection later, which is the
worst thing a screener can do. So is a conflicting duplicate (one order id with two
statuses, one NPI in two networks): both lines are named and the feed is refused.
Columns beyond the ones read are allowed.

A feed is read once, streamed line by line. Up to ``MEMORY_ROWS`` rows are kept as
objects in dicts; a bigger feed goes to a temporary SQLite index (``feed_index``) and is
looked up there, through a small cache, so a 1M-row feed loads in bounded memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edi837.feed_csv import FeedProblems, feed_rows
from edi837.npi import is_valid_npi
from edi837.numeric import ascii_int

if TYPE_CHECKING:
    from edi837.feed_index import FeedIndex

Row = tuple[Any, ...]  # a row of a feed's index: (line, *columns)

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


MEMORY_ROWS = 20_000  # a feed with more rows is indexed in SQLite rather than kept in dicts
LOOKUP_CACHE = 4096  # SQLite-indexed feeds: keys whose records are kept (LRU)
_BATCH = 5000  # rows per executemany
_MAX_MONTHS_DIGITS = 3


def _date(value: str, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column} {value[:40]!r} is not an ISO date (YYYY-MM-DD)") from None


_ISO_DATES: dict[str, str] = {}  # date text as written -> canonical ISO text
_ISO_DATES_LIMIT = 100_000  # a feed's dates repeat (a few years of days): stays small


def _iso_date(value: str, column: str) -> str:
    """A feed date as canonical ISO text (``YYYY-MM-DD``, which sorts as dates do);
    ``ValueError`` names the column. Dates recur row after row: each is parsed once."""
    iso = _ISO_DATES.get(value)
    if iso is None:
        iso = _date(value, column).isoformat()
        if len(_ISO_DATES) < _ISO_DATES_LIMIT:
            _ISO_DATES[value] = iso
    return iso


@lru_cache(maxsize=8192)
def _npi_ok(npi: str) -> bool:
    """``is_valid_npi``, cached: a feed names the same few ordering providers again and
    again."""
    return is_valid_npi(npi)


@lru_cache(maxsize=256)
def _s_codes(text: str) -> tuple[frozenset[str], str] | None:
    """(codes, canonical '|'-joined text) of an ``s_codes`` value; None when a code is
    not S0353/S0354."""
    codes = frozenset(c.strip().upper() for c in text.split("|") if c.strip())
    if not codes <= {"S0353", "S0354"}:
        return None
    return codes, "|".join(sorted(codes))


@lru_cache(maxsize=256)
def _codes_of(text: str) -> frozenset[str]:
    return frozenset(text.split("|")) if text else frozenset()


_AUTH_INDEX_COLUMNS = ("order_id", "member_id", "pathway_eligible_id", "checked")
"""An authorization as a row (after ``line``): the free-text fields as they are, the
checked ones (ASCII, no separator possible) joined by ``_SEP`` in ``_CHECKED`` order,
canonical (dates ISO, codes sorted): fewer columns make a 1M-row feed quicker to write."""
_CHECKED = ("ordering_npi", "valid_from", "valid_to", "s_codes", "months", "status", "regimen")
_SEP = "\x1f"


def _auth_row(line: int, values: tuple[str, ...]) -> Row:
    """One row's values (``AUTH_COLUMNS`` then ``regimen``), checked, as a row of the
    index; ``ValueError`` says what is wrong with it."""
    order_id, member_id, npi, valid_from_text, valid_to_text, codes_text = values[:6]
    months_text, pathway, status_text, regimen_text = values[6:]
    if not order_id or not member_id:
        raise ValueError("order_id and member_id are required")
    status = status_text.lower()
    if status not in AUTH_STATUSES:
        raise ValueError(f"status {status_text[:40]!r} is not one of {', '.join(AUTH_STATUSES)}")
    if npi and not _npi_ok(npi):
        raise ValueError(f"ordering_npi {npi[:20]!r} is not a valid NPI")
    codes = _s_codes(codes_text)
    if codes is None:
        raise ValueError(f"s_codes {codes_text[:40]!r} must be S0353 and/or S0354, '|'-separated")
    if months_text:
        months = ascii_int(months_text, _MAX_MONTHS_DIGITS)
        if months is None or months < 1:
            raise ValueError(
                f"s0354_max_months {months_text[:20]!r} is not a whole number of "
                f"months (1 to {10**_MAX_MONTHS_DIGITS - 1})"
            )
        months_text = str(months)
    valid_from = _iso_date(valid_from_text, "valid_from")
    valid_to = _iso_date(valid_to_text, "valid_to")
    if valid_to < valid_from:  # ISO texts compare as the dates do
        raise ValueError(f"valid_to {valid_to} is before valid_from {valid_from}")
    regimen = regimen_text.lower()
    if regimen and regimen not in REGIMENS:
        raise ValueError(f"regimen {regimen_text[:20]!r} is not one of {', '.join(REGIMENS)}")
    checked = (
        npi,
        valid_from,
        valid_to,
        codes[1],
        months_text,
        status,
        regimen,
    )
    return (line, order_id, member_id, pathway, _SEP.join(checked))


def _auth_from_row(row: Row, name: str) -> Authorization:
    """The ``Authorization`` of an index row (``source``: ``name:line``)."""
    line, order_id, member_id, pathway, checked = row
    npi, valid_from, valid_to, codes, months, status, regimen = checked.split(_SEP)
    return Authorization(
        order_id,
        member_id,
        npi,
        date.fromisoformat(valid_from),
        date.fromisoformat(valid_to),
        _codes_of(codes),
        int(months) if months else None,
        pathway,
        status,
        f"{name}:{line}",
        regimen,
    )


class _Spill:
    """Checked rows kept in memory until there are more than ``MEMORY_ROWS``, then
    written to a ``FeedIndex`` in batches of ``_BATCH``."""

    def __init__(self, columns: tuple[str, ...], keys: tuple[str, ...]) -> None:
        self.columns, self.keys = columns, keys
        self.pending: list[Row] = []  # rows not (yet) in the index
        self.index: FeedIndex | None = None
        self._limit = MEMORY_ROWS

    def add(self, row: Row) -> None:
        self.pending.append(row)
        if len(self.pending) > self._limit:
            self._flush()

    def _flush(self) -> None:
        if self.index is None:
            from edi837.feed_index import FeedIndex  # sqlite3: only for a big feed

            self.index = FeedIndex(self.columns, self.keys)
            self._limit = _BATCH
        self.index.add(self.pending)
        self.pending.clear()

    def finish(self) -> FeedIndex:
        """The index, complete (only when rows were spilled)."""
        assert self.index is not None
        if not self.index.finished:
            self._flush()
            self.index.finish()
        return self.index

    def close(self) -> None:
        if self.index is not None:
            self.index.close()


class AuthorizationFeed:
    """Authorizations indexed by order id and by member, for the two ways a claim matches."""

    def __init__(self, records: Iterable[Authorization] = (), source: str = "") -> None:
        self.source = source
        self._index: FeedIndex | None = None
        self._by_order: dict[str, list[Authorization]] = defaultdict(list)
        self._by_member: dict[str, list[Authorization]] = defaultdict(list)
        for auth in records:
            self._by_order[auth.order_id].append(auth)
            self._by_member[auth.member_id].append(auth)
        self._lookup = _no_lookup

    def _use_index(self, index: FeedIndex) -> None:
        self._index = index
        name = self.source

        def lookup(key: str, value: str) -> list[Authorization]:
            return [_auth_from_row(row, name) for row in index.lookup(key, value)]

        self._lookup = lru_cache(maxsize=LOOKUP_CACHE)(lookup)

    @classmethod
    def load(cls, path: str | Path) -> AuthorizationFeed:
        """Read the feed; every bad row and every conflicting duplicate order id is
        reported (``FeedError``) and then nothing is used."""
        name = str(path)
        problems = FeedProblems(name)
        spill = _Spill(_AUTH_INDEX_COLUMNS, ("order_id", "member_id"))
        add = spill.add
        try:
            for line, values in feed_rows(path, AUTH_COLUMNS, problems, ("regimen",)):
                try:
                    add(_auth_row(line, values))
                except ValueError as exc:
                    problems.add(line, str(exc))
            if spill.index is None:
                feed = cls((_auth_from_row(row, name) for row in spill.pending), name)
                repeats: Iterable[tuple[Authorization, Authorization]] = (
                    (records[0], later)
                    for records in feed._by_order.values()
                    for later in records[1:]
                )
            else:
                index = spill.finish()
                feed = cls((), name)
                feed._use_index(index)
                repeats = (
                    (_auth_from_row(first, name), _auth_from_row(later, name))
                    for first, later in index.repeats("order_id")
                )
            for seen, auth in repeats:
                conflict = _auth_conflict(seen, auth)
                if conflict:
                    problems.add(
                        int(_line_of(auth)),
                        f"order_id {auth.order_id[:40]!r} has {conflict} here "
                        f"but not on line {_line_of(seen)}",
                    )
            problems.raise_if_any()
        except BaseException:
            spill.close()
            raise
        return feed

    def __len__(self) -> int:
        if self._index is not None:
            return len(self._index)
        return sum(len(records) for records in self._by_order.values())

    def for_order(self, order_id: str) -> list[Authorization]:
        if self._index is not None:
            return self._lookup("order_id", order_id)
        return self._by_order.get(order_id, [])

    def for_member(self, member_id: str) -> list[Authorization]:
        if self._index is not None:
            return self._lookup("member_id", member_id)
        return self._by_member.get(member_id, [])

    def close(self) -> None:
        """Remove the SQLite index now rather than at exit (a long-running process that
        reloads its feeds); the feed must not be used afterwards."""
        if self._index is not None:
            self._index.close()

    def __getstate__(self) -> dict[str, object]:
        """Pickled (a Spark broadcast) without the lookup cache; an indexed feed travels
        as its SQLite file's bytes (``FeedIndex.__reduce__``)."""
        return {"source": self.source, "index": self._index,
                "by_order": self._by_order, "by_member": self._by_member}  # fmt: skip

    def __setstate__(self, state: dict[str, object]) -> None:
        self.source = state["source"]  # type: ignore[assignment]
        self._by_order = state["by_order"]  # type: ignore[assignment]
        self._by_member = state["by_member"]  # type: ignore[assignment]
        self._index, self._lookup = None, _no_lookup
        if state["index"] is not None:
            self._use_index(state["index"])  # type: ignore[arg-type]


def _no_lookup(key: str, value: str) -> list:
    return []


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


_PROVIDER_INDEX_COLUMNS = ("npi", "name", "network", "state")


def _provider_row(line: int, values: tuple[str, ...]) -> Row:
    """One row's values (``PROVIDER_COLUMNS``), checked, as a row of the index;
    ``ValueError`` says what is wrong with it."""
    npi, name, network_text, state = values
    if not _npi_ok(npi):
        raise ValueError(f"npi {npi[:20]!r} is not a valid NPI")
    network = network_text.lower()
    if network not in ("in", "out"):
        raise ValueError(f"network {network_text[:20]!r} must be 'in' or 'out'")
    return (line, npi, name, network, state.upper())


def _provider_conflict(later: Row, first: Row) -> str:
    """The problem with an NPI listed again ('' when network and state agree)."""
    npi, _, network, state = later[1:]
    first_line, _, _, seen_network, seen_state = first
    if (seen_network, seen_state) == (network, state):
        return ""
    return (
        f"npi {npi} has network {network}, state {state[:10]!r} here but network "
        f"{seen_network}, state {seen_state[:10]!r} on line {first_line}"
    )


class ProviderFeed:
    """Network status and state per NPI (an NPI listed again: its first row)."""

    def __init__(self, records: dict[str, ProviderRecord] | None = None, source: str = "") -> None:
        self.records = records if records is not None else {}
        self.source = source
        self._index: FeedIndex | None = None
        self._lookup = _no_lookup

    def _use_index(self, index: FeedIndex) -> None:
        self._index = index

        def lookup(npi: str) -> ProviderRecord | None:
            rows = index.lookup("npi", npi)
            return ProviderRecord(*rows[0][1:]) if rows else None

        self._lookup = lru_cache(maxsize=LOOKUP_CACHE)(lookup)

    @classmethod
    def load(cls, path: str | Path) -> ProviderFeed:
        """Read the feed; every bad row and every NPI listed twice with a different
        network or state is reported (``FeedError``) and then nothing is used."""
        name = str(path)
        problems = FeedProblems(name)
        spill = _Spill(_PROVIDER_INDEX_COLUMNS, ("npi",))
        try:
            for line, values in feed_rows(path, PROVIDER_COLUMNS, problems):
                try:
                    spill.add(_provider_row(line, values))
                except ValueError as exc:
                    problems.add(line, str(exc))
            feed = cls({}, name)
            if spill.index is None:
                firsts: dict[str, Row] = {}
                repeats: Iterable[tuple[Row, Row]] = (
                    (first, row)
                    for row in spill.pending
                    if (first := firsts.setdefault(row[1], row)) is not row
                )
            else:
                index = spill.finish()
                feed._use_index(index)
                repeats = index.repeats("npi")
            for first, later in repeats:
                problem = _provider_conflict(later, first)
                if problem:
                    problems.add(later[0], problem)
            problems.raise_if_any()
        except BaseException:
            spill.close()
            raise
        if spill.index is None:
            feed.records = {npi: ProviderRecord(*row[1:]) for npi, row in firsts.items()}
        return feed

    def __len__(self) -> int:
        """How many NPIs (an NPI listed twice counts once)."""
        if self._index is not None:
            return self._index.distinct("npi")
        return len(self.records)

    def get(self, npi: str) -> ProviderRecord | None:
        if self._index is not None:
            return self._lookup(npi)
        return self.records.get(npi)

    def close(self) -> None:
        """Remove the SQLite index now (see ``AuthorizationFeed.close``)."""
        if self._index is not None:
            self._index.close()

    def __getstate__(self) -> dict[str, object]:
        return {"source": self.source, "records": self.records, "index": self._index}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.source = state["source"]  # type: ignore[assignment]
        self.records = state["records"]  # type: ignore[assignment]
        self._index, self._lookup = None, _no_lookup
        if state["index"] is not None:
            self._use_index(state["index"])  # type: ignore[arg-type]
