"""Fixtures shared by the whole suite.

* Every test gets its own ``$EDI837_HOME`` (and no ``$EDI837_HISTORY``), so nothing
  reads or writes the developer's real history store.
* ``postgres_urls`` hands out PostgreSQL URLs, each with a fresh schema of its own that is
  dropped after the test. The server is ``$EDI837_TEST_POSTGRES`` if set (and then only
  it), else ``postgresql://postgres@127.0.0.1:5432/test`` or the current user's equivalent. If none
  answers, PostgreSQL tests skip -- unless ``EDI837_REQUIRE_POSTGRES=1`` (CI), where they
  fail.
"""

from __future__ import annotations

import getpass
import os
import uuid

import pytest

_PG_CANDIDATES = (
    [os.environ["EDI837_TEST_POSTGRES"]]
    if os.environ.get("EDI837_TEST_POSTGRES")
    else [
        "postgresql://postgres@127.0.0.1:5432/test",
        f"postgresql://{getpass.getuser()}@127.0.0.1:5432/test",
    ]
)
_pg_server: dict[str, str] = {}


@pytest.fixture(autouse=True)
def validated_reports(monkeypatch):
    """Every JSON/JSONL report written in this test is validated against the shipped
    schema (tests/report_schema.py)."""
    from tests.report_schema import install

    install(monkeypatch)


@pytest.fixture(autouse=True)
def edi837_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("edi837-home")
    monkeypatch.setenv("EDI837_HOME", str(home))
    monkeypatch.delenv("EDI837_HISTORY", raising=False)
    return home


def postgres_server() -> str:
    """The first candidate URL that accepts a connection (cached), else pytest skip/fail."""
    if "url" not in _pg_server:
        problems = []
        try:
            import psycopg
        except ImportError as exc:
            psycopg, problems = None, [f"psycopg not installed ({exc})"]
        for url in _PG_CANDIDATES if psycopg else []:
            try:
                psycopg.connect(url, connect_timeout=3).close()
            except psycopg.Error as exc:
                problems.append(f"{url}: {str(exc).strip().splitlines()[0]}")
            else:
                _pg_server["url"] = url
                break
        else:
            _pg_server["url"], _pg_server["problem"] = "", "; ".join(problems)
    if not _pg_server["url"]:
        message = f"PostgreSQL unavailable: {_pg_server['problem']}"
        if os.environ.get("EDI837_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{message} (EDI837_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    return _pg_server["url"]


@pytest.fixture
def postgres_urls():
    """``make()`` returns a URL naming a new schema; all are dropped after the test."""
    server = postgres_server()
    schemas: list[str] = []

    def make() -> str:
        schemas.append(f"edi837_test_{uuid.uuid4().hex[:12]}")
        return f"{server}{'&' if '?' in server else '?'}schema={schemas[-1]}"

    yield make
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '10s'")
        for schema in schemas:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
