"""The store on a real database: migrations, transitions, look-ups."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from gateway.clock import FixedClock
from gateway.domain.status import ClaimStatus
from gateway.errors import ConcurrentUpdateError, IllegalTransitionError, NotFoundError
from gateway.intake.parse import parse_and_scrub, to_incoming
from gateway.samples.factory import make_claim
from gateway.store import migrate
from gateway.store.claims import ClaimFilter, ClaimStore, Outcome
from gateway.store.db import Engine, make_engine
from gateway.store.models import Base

TODAY = dt.date(2026, 11, 28)


def add_claim(store: ClaimStore, clock: FixedClock, i: int, **changes: object) -> int:
    doc = make_claim(i, today=TODAY)
    doc.update(changes)
    incoming = to_incoming(doc, parse_and_scrub(doc, TODAY), "ACMEBILL01",
                           source_file="t.json", source_ref=f"item {i}")
    assert incoming is not None
    (result,) = store.import_claims([incoming], clock.now())
    assert result.outcome is Outcome.CREATED and result.claim_id is not None
    return result.claim_id


def test_migrations_match_the_models(engine: Engine) -> None:
    """After `upgrade head` the schema has no difference from the SQLAlchemy models."""
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
    assert migrate.is_up_to_date(engine)


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    """The initial migration can be undone and redone (operators roll back with it)."""
    migrate.downgrade(engine, "base")
    assert "claims" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert {"claims", "claim_events", "claim_versions", "interchanges", "remittances"} <= set(
        inspect(engine).get_table_names())


def test_sqlite_runs_in_wal_mode_with_foreign_keys(database_url: str, backend_name: str
                                                   ) -> None:
    """The embedded database uses WAL and enforces foreign keys."""
    if backend_name != "sqlite":
        pytest.skip("SQLite pragmas only")
    eng = make_engine(database_url)
    try:
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        eng.dispose()


def test_transition_records_an_event(store: ClaimStore, clock: FixedClock) -> None:
    """A status change updates the claim and appends a timeline event with its evidence."""
    claim_id = add_claim(store, clock, 1)
    clock.advance(dt.timedelta(minutes=5))
    store.transition(claim_id, ClaimStatus.RECEIVED, ClaimStatus.HELD, clock.now(),
                     source="submission", code="NO-ROUTE", reason="no partner carries payer")

    claim = store.get(claim_id)
    assert claim.status is ClaimStatus.HELD
    assert claim.status_changed_at == clock.now()
    last = store.timeline(claim_id)[-1]
    assert (last.from_status, last.to_status, last.source, last.code) == (
        "received", "held", "submission", "NO-ROUTE")


def test_illegal_transition_raises_and_changes_nothing(store: ClaimStore, clock: FixedClock
                                                       ) -> None:
    """received → paid skips the whole pipeline: refused, no event written."""
    claim_id = add_claim(store, clock, 2)
    with pytest.raises(IllegalTransitionError):
        store.transition(claim_id, ClaimStatus.RECEIVED, ClaimStatus.PAID, clock.now(),
                         source="835")
    assert store.get(claim_id).status is ClaimStatus.RECEIVED
    assert len(store.timeline(claim_id)) == 1


def test_stale_expected_status_raises_concurrent_update(store: ClaimStore, clock: FixedClock
                                                        ) -> None:
    """The update is conditional: a writer that expected an old status loses, loudly."""
    claim_id = add_claim(store, clock, 3)
    store.transition(claim_id, ClaimStatus.RECEIVED, ClaimStatus.BATCHED, clock.now(),
                     source="submission")
    with pytest.raises(ConcurrentUpdateError):
        store.transition(claim_id, ClaimStatus.RECEIVED, ClaimStatus.BATCHED, clock.now(),
                         source="submission")
    assert len(store.timeline(claim_id)) == 2


def test_list_filters(store: ClaimStore, clock: FixedClock) -> None:
    """Filters by status, payer and service-date range combine."""
    ids = [add_claim(store, clock, i) for i in range(1, 7)]
    store.transition(ids[0], ClaimStatus.RECEIVED, ClaimStatus.HELD, clock.now(),
                     source="submission")
    held = store.list_claims(ClaimFilter(statuses=[ClaimStatus.HELD]))
    assert [c.id for c in held] == [ids[0]]

    payer = store.get(ids[1]).payer_id
    by_payer = store.list_claims(ClaimFilter(payer_id=payer))
    assert by_payer and all(c.payer_id == payer for c in by_payer)
    assert len(by_payer) < len(ids)

    first = store.get(ids[2]).service_date_from
    assert first is not None
    window = store.list_claims(ClaimFilter(service_from=first, service_to=first))
    assert ids[2] in {c.id for c in window}
    assert all(c.service_date_from == first for c in window)

    page = store.list_claims(ClaimFilter(limit=2, offset=2))
    assert [c.id for c in page] == ids[2:4]


def test_get_unknown_claim_raises_not_found(store: ClaimStore) -> None:
    """Looking up an id that does not exist is a NotFoundError, not None."""
    with pytest.raises(NotFoundError):
        store.get(999_999)


def test_claim_key_is_unique_in_the_database(store: ClaimStore, engine: Engine,
                                             clock: FixedClock) -> None:
    """Two rows for one submitter+control number+frequency cannot exist, even bypassing intake."""
    claim_id = add_claim(store, clock, 4)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO claims (claim_key, submitter_id, patient_control_number, "
            "frequency_code, status, status_changed_at, version_no, content_hash, "
            "created_at, updated_at) SELECT claim_key, submitter_id, patient_control_number, "
            "frequency_code, status, status_changed_at, version_no, content_hash, created_at, "
            "updated_at FROM claims WHERE id = :id"), {"id": claim_id})
