"""The store suite runs every behaviour on both backends: ``history_url`` is a fresh
SQLite file or a fresh PostgreSQL schema; ``open_history`` opens stores closed after the
test (before the schema is dropped)."""

from __future__ import annotations

import itertools

import pytest

from edi837.store import open_store

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def history_urls(request, backend, tmp_path):
    """``make()``: the URL of another fresh store of the backend under test."""
    if backend == "postgres":
        return request.getfixturevalue("postgres_urls")
    counter = itertools.count()
    return lambda: f"sqlite:///{tmp_path}/history{next(counter)}.db"


@pytest.fixture
def history_url(history_urls):
    return history_urls()


@pytest.fixture
def open_history(history_urls):  # depends on it: closed before schemas drop
    stores = []

    def open_(url):
        stores.append(open_store(url))
        return stores[-1]

    yield open_
    for store in stores:
        store.close()
