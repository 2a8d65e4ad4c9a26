"""Fixtures for tests that need a migrated database and the claim store."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.clock import FixedClock
from gateway.intake.importer import ClaimImporter
from gateway.store.claims import ClaimStore

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)








@pytest.fixture
def importer(store: ClaimStore, clock: FixedClock) -> ClaimImporter:
    return ClaimImporter(store, clock, default_submitter="ACMEBILL01", chunk_size=50)
