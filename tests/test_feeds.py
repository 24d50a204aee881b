"""Reference feeds: the SQLite-indexed feed answers as the in-memory one does.

A feed above ``MEMORY_ROWS`` rows is looked up in a temporary SQLite index instead of
dicts; the tests force both ways on the same generated feeds (``MEMORY_ROWS`` 0 and
``_BATCH`` small, so rows cross several ``executemany`` batches) and compare them with
the authorizations the test itself expects from what it wrote.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import pickle
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edi837.feeds as feeds
from edi837.errors import FeedError
from edi837.feeds import AUTH_COLUMNS, Authorization, AuthorizationFeed, ProviderFeed
from edi837.npi import make_npi
from edi837.runtmp import run_dir

NPIS = [make_npi(f"1{n:08d}") for n in (1, 2, 3)]
HEADER = [*AUTH_COLUMNS, "regimen"]


def load(cls, path: Path, *, indexed: bool):
    """``cls.load(path)``, forced into the SQLite index or kept in memory."""
    saved = feeds.MEMORY_ROWS, feeds._BATCH
    feeds.MEMORY_ROWS, feeds._BATCH = (0, 3) if indexed else (1 << 30, saved[1])
    try:
        return cls.load(path)
    finally:
        feeds.MEMORY_ROWS, feeds._BATCH = saved


def error_lines(cls, path: Path, *, indexed: bool) -> list[str] | None:
    try:
        load(cls, path, indexed=indexed)
    except FeedError as exc:
        return exc.lines
    return None


# -- what a generated feed holds ------------------------------------------------------

free_text = st.text(alphabet="AZaz09 ,\"'\n-é", max_size=6)  # quoted, multi-line fields
content = st.tuples(
    st.sampled_from(["M1", "M2", "M3", " M4 "]),  # member_id (stripped when read)
    st.sampled_from(["", *NPIS]),
    st.integers(0, 400),  # valid_from, days after 2025-01-01
    st.integers(0, 400),  # length
    st.sampled_from(["S0353", "S0354", "S0353|S0354", "s0354 | S0353"]),
    st.sampled_from(["", "1", "12", "007"]),
    free_text,  # pathway_eligible_id
    st.sampled_from(["authorized", "Cancelled", "non-authorized"]),
    st.sampled_from(["", "fixed", "INDEFINITE"]),
)
feed_rows = st.lists(st.tuples(st.sampled_from([f"O{n}" for n in range(8)]), content), max_size=30)


def write_feed(path: Path, rows: list, newline: str) -> dict[str, list[Authorization]]:
    """Write ``rows`` (an order id keeps the content of its first row, so the feed has
    identical duplicates but no conflicting ones); the authorizations by order id, in
    file order, with the line each row ends on."""
    first: dict[str, tuple] = {}
    out = io.StringIO()

    def writerow(cells: list) -> None:
        # "\r\n" makes the writer quote a field holding "\r" or "\n"; then the row's
        # own terminator is the one under test
        text = io.StringIO()
        csv.writer(text, lineterminator="\r\n").writerow(cells)
        out.write(text.getvalue()[:-2] + newline)

    writerow(HEADER)
    expected: dict[str, list[Authorization]] = {}
    for order_id, fields in rows:
        fields = first.setdefault(order_id, fields)
        member, npi, start, length, codes, months, pathway, status, regimen = fields
        valid_from = date(2025, 1, 1) + timedelta(days=start)
        valid_to = valid_from + timedelta(days=length)
        writerow([order_id, member, npi, valid_from, valid_to, codes, months,
                  pathway, status, regimen])  # fmt: skip
        line = len(out.getvalue().splitlines())
        expected.setdefault(order_id, []).append(
            Authorization(
                order_id,
                member.strip(),
                npi,
                valid_from,
                valid_to,
                frozenset(c.strip().upper() for c in codes.split("|")),
                int(months) if months else None,
                pathway.strip(),
                status.lower(),
                f"{path}:{line}",
                regimen.lower(),
            )
        )
    path.write_bytes(out.getvalue().encode("utf-8"))
    return expected


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=feed_rows, newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_indexed_feed_gives_the_authorizations_written(tmp_path, rows, newline) -> None:
    path = tmp_path / "auths.csv"
    expected = write_feed(path, rows, newline)
    by_member: dict[str, list[Authorization]] = {}
    for auth in sorted((a for auths in expected.values() for a in auths), key=_line):
        by_member.setdefault(auth.member_id, []).append(auth)
    for indexed in (True, False):
        feed = load(AuthorizationFeed, path, indexed=indexed)
        assert (feed._index is not None) == (indexed and bool(rows))
        assert len(feed) == len(rows)
        for order_id in [f"O{n}" for n in range(9)]:
            assert feed.for_order(order_id) == expected.get(order_id, [])
        for member in ["M1", "M2", "M3", "M4", " M4 ", "O1"]:
            assert feed.for_member(member) == by_member.get(member, [])
        feed.close()


def _line(auth: Authorization) -> int:
    return int(auth.source.rsplit(":", 1)[1])


bad_cells = st.sampled_from(
    ["", "x", "2026-13-01", "S9999", "cancelled", "0", "1234567890", "\xff", '"', "O1"]
)


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    good=feed_rows,
    damage=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 9), bad_cells), max_size=6),
)
def test_indexed_and_memory_feeds_refuse_alike(tmp_path, good, damage) -> None:
    """Bad cells, conflicting duplicates, undecodable bytes and broken quoting: both
    ways report the same lines (and accept the same feeds)."""
    path = tmp_path / "auths.csv"
    write_feed(path, good, "\n")
    lines = path.read_bytes().split(b"\n")
    for row, column, cell in damage:
        if 1 <= row < len(lines) - 1 and b'"' not in lines[row]:
            cells = lines[row].split(b",")
            cells[column % len(cells)] = cell.encode("latin-1")
            lines[row] = b",".join(cells)
    path.write_bytes(b"\n".join(lines))
    memory = error_lines(AuthorizationFeed, path, indexed=False)
    assert error_lines(AuthorizationFeed, path, indexed=True) == memory
    if memory is None:
        indexed, in_memory = (load(AuthorizationFeed, path, indexed=i) for i in (True, False))
        assert len(indexed) == len(in_memory)
        for key in [f"O{n}" for n in range(8)]:
            assert indexed.for_order(key) == in_memory.for_order(key)
        for key in ["M1", "M2", "M3", "M4", "x", ""]:
            assert indexed.for_member(key) == in_memory.for_member(key)


def test_conflicting_duplicates_are_named_by_both_lines_when_indexed(tmp_path) -> None:
    row = "ORD1,M1,{npi},2026-01-01,2026-12-31,S0353,,PE1,{status}\n"
    path = tmp_path / "auths.csv"
    path.write_text(
        ",".join(AUTH_COLUMNS)
        + "\n"
        + row.format(npi=NPIS[0], status="authorized")
        + row.format(npi=NPIS[1], status="authorized")  # the NPI may differ
        + row.format(npi=NPIS[0], status="cancelled")
        + row.replace("M1", "M2").format(npi=NPIS[0], status="authorized")
    )
    expected = [
        f"{path}:4: order_id 'ORD1' has different status here but not on line 2",
        f"{path}:5: order_id 'ORD1' has different member_id here but not on line 2",
    ]
    for indexed in (True, False):
        assert error_lines(AuthorizationFeed, path, indexed=indexed) == expected


def test_every_bad_row_is_counted_and_the_first_20_kept(tmp_path) -> None:
    path = tmp_path / "auths.csv"
    bad = "ORD{n},M{n},,2026-01-01,2026-12-31,S0353,,PE,lost\n"
    path.write_text(",".join(AUTH_COLUMNS) + "\n" + "".join(bad.format(n=n) for n in range(500)))
    for indexed in (True, False):
        lines = error_lines(AuthorizationFeed, path, indexed=indexed)
        assert lines is not None and len(lines) == 21
        assert lines[0].startswith(f"{path}:2: status 'lost'")
        assert lines[19].startswith(f"{path}:21: status 'lost'")
        assert lines[20] == f"{path}: ... and 480 more bad row(s)"
    problems = feeds.FeedProblems("f.csv")
    for line in range(1000, 0, -1):  # found in any order: the first lines are kept
        problems.add(line, f"bad {line}")
    assert problems.count == 1000 and problems.found == [(n, f"bad {n}") for n in range(1, 21)]


def test_undecodable_line_is_reported_once_before_the_rows_own_problem(tmp_path) -> None:
    path = tmp_path / "auths.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + ",".join(AUTH_COLUMNS).encode() + b"\r\n"
        b"ORD1,M1,,2026-01-01,2026-12-31,S0353,,PE\xe9,authorized\r\n"
        b'ORD2,M2,,2026-01-01,2026-12-31,S0353,,"P\nE\xff",lost\r\n'
        b"ORD3,M3,,2026-01-01,2026-12-31,S0353,,PE,authorized\r\n"
    )
    for indexed in (True, False):
        assert error_lines(AuthorizationFeed, path, indexed=indexed) == [
            f"{path}:2: not UTF-8 text at byte 40 of the line (a CSV export in another encoding?)",
            f"{path}:4: not UTF-8 text at byte 1 of the line (a CSV export in another encoding?)",
        ]


def test_provider_feed_indexed_and_in_memory_agree(tmp_path) -> None:
    path = tmp_path / "providers.csv"
    path.write_text(
        "npi,name,network,state\n"
        f"{NPIS[0]},First,in,ma\n"
        f"{NPIS[1]},Second,OUT,RI\n"
        f"{NPIS[0]},First again,in,MA\n"  # same network and state: the first row is kept
    )
    for indexed in (True, False):
        feed = load(ProviderFeed, path, indexed=indexed)
        assert len(feed) == 2
        assert feed.get(NPIS[0]) == feeds.ProviderRecord(NPIS[0], "First", "in", "MA")
        assert feed.get(NPIS[1]) == feeds.ProviderRecord(NPIS[1], "Second", "out", "RI")
        assert feed.get(NPIS[2]) is None
    with path.open("a") as out:
        out.write(f"{NPIS[1]},Second,in,RI\n")
    for indexed in (True, False):
        assert error_lines(ProviderFeed, path, indexed=indexed) == [
            f"{path}:5: npi {NPIS[1]} has network in, state 'RI' here but network out, "
            "state 'RI' on line 3"
        ]


def _feed_file(tmp_path: Path, rows: int = 50) -> Path:
    path = tmp_path / "auths.csv"
    body = "".join(
        f"ORD{n},M{n % 7},{NPIS[n % 3]},2026-01-01,2026-12-31,S0353,,PE{n},authorized\n"
        for n in range(rows)
    )
    path.write_text(",".join(AUTH_COLUMNS) + "\n" + body)
    return path


def test_index_lives_in_the_run_folder_and_goes_with_the_feed(tmp_path) -> None:
    feed = load(AuthorizationFeed, _feed_file(tmp_path), indexed=True)
    index = Path(feed._index.path)
    assert index.parent == Path(run_dir()) and index.exists()
    feed.close()
    assert not index.exists()
    before = set(os.listdir(run_dir()))
    bad = tmp_path / "bad.csv"
    bad.write_text(_feed_file(tmp_path).read_text() + "ORDX,MX,,2026-01-01,,S0353,,PE,authorized\n")
    with pytest.raises(FeedError, match="valid_to"):
        load(AuthorizationFeed, bad, indexed=True)
    assert set(os.listdir(run_dir())) == before  # a refused feed leaves no index behind


def test_indexed_feed_survives_pickling(tmp_path) -> None:
    """A Spark broadcast pickles the RunContext: the index travels as bytes."""
    feed = load(AuthorizationFeed, _feed_file(tmp_path), indexed=True)
    copy = pickle.loads(pickle.dumps(feed))
    assert copy._index is not None and copy._index.path != feed._index.path
    expected = [feed.for_member(f"M{n}") for n in range(8)]
    feed.close()  # the copy has its own file
    assert [copy.for_member(f"M{n}") for n in range(8)] == expected
    assert copy.for_order("ORD7") == [a for a in expected[0] if a.order_id == "ORD7"]
    assert len(copy) == 50
    providers = tmp_path / "p.csv"
    providers.write_text(f"npi,name,network,state\n{NPIS[0]},A,in,MA\n")
    assert pickle.loads(pickle.dumps(load(ProviderFeed, providers, indexed=True))).get(
        NPIS[0]
    ) == feeds.ProviderRecord(NPIS[0], "A", "in", "MA")


def _lookup_in_child(feed: AuthorizationFeed, queue) -> None:
    queue.put([a.order_id for a in feed.for_member("M3")])


def test_forked_child_reads_the_index_with_its_own_connection(tmp_path) -> None:
    feed = load(AuthorizationFeed, _feed_file(tmp_path), indexed=True)
    expected = [a.order_id for a in feed.for_member("M3")]
    feed._lookup.cache_clear()  # the child must query, not read the parent's cache
    fork = multiprocessing.get_context("fork")
    queue = fork.Queue()
    child = fork.Process(target=_lookup_in_child, args=(feed, queue))
    child.start()
    got = queue.get(timeout=60)
    child.join(60)
    assert got == expected == [f"ORD{n}" for n in range(3, 50, 7)]
    assert Path(feed._index.path).exists()  # the child's exit left the parent's file
    assert feed.for_order("ORD3")[0].member_id == "M3"


def test_values_past_the_header_are_not_an_optional_column(tmp_path) -> None:
    """Without a ``regimen`` header, a row's extra value is not read as its regimen (a
    ``csv.DictReader`` files it under no column)."""
    path = tmp_path / "auths.csv"
    path.write_text(
        ",".join(AUTH_COLUMNS) + "\n"
        "ORD1,M1,,2026-01-01,2026-12-31,S0353,,PE1,authorized,bogus\n"
        "ORD2,M1,,2026-01-01,2026-12-31,S0353,,PE1,authorized\n"
        " ORD3 ,M1\n"  # a short row: the missing values are empty
    )
    for indexed in (True, False):
        assert error_lines(AuthorizationFeed, path, indexed=indexed) == [
            f"{path}:4: status '' is not one of authorized, non-authorized, cancelled"
        ]
    path.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n")
    for indexed in (True, False):
        feed = load(AuthorizationFeed, path, indexed=indexed)
        assert [a.regimen for a in feed.for_member("M1")] == ["", ""]
