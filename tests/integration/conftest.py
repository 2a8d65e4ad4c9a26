"""Fixtures for tests that need a migrated database and the claim store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from gateway.clock import FixedClock
from gateway.intake.importer import ClaimImporter
from gateway.store import migrate
from gateway.store.claims import ClaimStore
from gateway.store.db import Engine, make_engine

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database migrated to the latest revision."""
    eng = make_engine(database_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def store(engine: Engine) -> ClaimStore:
    return ClaimStore(engine)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def importer(store: ClaimStore, clock: FixedClock) -> ClaimImporter:
    return ClaimImporter(store, clock, default_submitter="ACMEBILL01", chunk_size=50)
