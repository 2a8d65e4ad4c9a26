"""FileStore and partner rows on the migrated database (SQLite or PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import cast

import pytest
from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError

from gateway.clock import FixedClock
from gateway.domain.files import Direction, InboundStatus, OutboundStatus
from gateway.errors import ConcurrentUpdateError, NotFoundError
from gateway.store.db import Engine
from gateway.store.files import FileStore
from gateway.store.models import FileRow
from gateway.store.partners_store import PartnerStore

files_t = cast(Table, FileRow.__table__)
SHA = "a" * 64


def outbound(engine: Engine, partner_id: int, name: str, now: dt.datetime) -> int:
    with engine.begin() as conn:
        return int(conn.execute(insert(files_t).returning(files_t.c.id).values(
            direction="out", partner_id=partner_id, name=name, sha256=SHA, size=10,
            status="pending", stored_path=f"/x/{name}", created_at=now, updated_at=now)
        ).scalar_one())


def inbound(files: FileStore, partner_id: int, name: str, sha: str, now: dt.datetime,
            ) -> tuple[int, bool]:
    rec = files.record_inbound(partner_id, name, f"in/{name}", sha, 5, f"var/inbound/{sha}",
                               now)
    return rec.file_id, rec.duplicate


def test_ensure_partner_is_idempotent(engine: Engine, clock: FixedClock) -> None:
    """The same name always gives the same id; a new name a new one."""
    partners = PartnerStore(engine)
    first = partners.ensure("acme-ch", clock.now())
    assert partners.ensure("acme-ch", clock.now()) == first
    assert FileStore(engine).ensure_partner("acme-ch", clock.now()) == first
    other = partners.ensure("other-ch", clock.now())
    assert other != first and partners.names() == {first: "acme-ch", other: "other-ch"}


def test_outbound_life_cycle_is_conditional(engine: Engine, files: FileStore,
                                            clock: FixedClock) -> None:
    """pending → uploading → uploaded, each only from the expected status."""
    pid = files.ensure_partner("acme-ch", clock.now())
    fid = outbound(engine, pid, "a.837", clock.now())
    assert [f.id for f in files.pending_uploads(pid)] == [fid]
    with pytest.raises(ConcurrentUpdateError):
        files.mark_uploaded(fid, "out/a.837", 10, clock.now())
    files.mark_uploading(fid, clock.now())
    with pytest.raises(ConcurrentUpdateError, match="uploading, not pending"):
        files.mark_uploading(fid, clock.now())
    assert files.pending_uploads(pid)[0].status == OutboundStatus.UPLOADING
    files.record_upload_error(fid, "connection lost", clock.now())
    files.mark_uploading(fid, clock.now(), OutboundStatus.UPLOADING)  # retry after a crash
    clock.advance(dt.timedelta(minutes=1))
    files.mark_uploaded(fid, "out/a.837", 10, clock.now())
    row = files.get(fid)
    assert (row.status, row.remote_name, row.attempts, row.error) == (
        OutboundStatus.UPLOADED, "out/a.837", 2, None)
    assert row.uploaded_at == clock.now()
    assert files.pending_uploads(pid) == []
    with pytest.raises(NotFoundError):
        files.mark_uploading(9999, clock.now())


def test_inbound_duplicates_are_recorded_as_such(files: FileStore, clock: FixedClock) -> None:
    """Same bytes from the same partner: DUPLICATE; from another partner: STORED."""
    acme = files.ensure_partner("acme-ch", clock.now())
    other = files.ensure_partner("other-ch", clock.now())
    first, dup1 = inbound(files, acme, "r1.999", SHA, clock.now())
    second, dup2 = inbound(files, acme, "r2.999", SHA, clock.now())
    third, dup3 = inbound(files, acme, "r3.999", SHA, clock.now())
    elsewhere, dup4 = inbound(files, other, "r1.999", SHA, clock.now())
    assert (dup1, dup2, dup3, dup4) == (False, True, True, False)
    assert [files.get(i).status for i in (first, second, third, elsewhere)] == [
        InboundStatus.STORED, InboundStatus.DUPLICATE, InboundStatus.DUPLICATE,
        InboundStatus.STORED]
    assert files.last_inbound(acme, "in/r2.999") == files.get(second)


def test_the_database_refuses_a_second_stored_copy(engine: Engine, files: FileStore,
                                                   clock: FixedClock) -> None:
    """The partial unique index holds even for writers that bypass record_inbound."""
    pid = files.ensure_partner("acme-ch", clock.now())
    inbound(files, pid, "r1.999", SHA, clock.now())
    row = {"direction": "in", "partner_id": pid, "name": "x", "sha256": SHA, "size": 5,
           "created_at": clock.now(), "updated_at": clock.now()}
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(files_t).values(status="processed", **row))


def test_inbound_processing_marks(files: FileStore, clock: FixedClock) -> None:
    """STORED files wait in order; processed and quarantined leave the queue once."""
    pid = files.ensure_partner("acme-ch", clock.now())
    a, _ = inbound(files, pid, "a.999", "1" * 64, clock.now())
    b, _ = inbound(files, pid, "b.999", "2" * 64, clock.now())
    assert [f.id for f in files.inbound_to_process()] == [a, b]
    assert files.inbound_to_process(partner_id=pid + 100) == []
    files.mark_processed(a, clock.now())
    files.mark_quarantined(b, "not X12: no ISA segment", clock.now())
    assert files.inbound_to_process() == []
    assert files.get(b).error == "not X12: no ISA segment"
    with pytest.raises(ConcurrentUpdateError):
        files.mark_processed(b, clock.now())


def test_list_files_filters_newest_first(engine: Engine, files: FileStore,
                                         clock: FixedClock) -> None:
    """By direction, partner and status; newest first; paged."""
    pid = files.ensure_partner("acme-ch", clock.now())
    out_id = outbound(engine, pid, "a.837", clock.now())
    in_id, _ = inbound(files, pid, "r.999", SHA, clock.now())
    assert [f.id for f in files.list_files()] == [in_id, out_id]
    assert [f.id for f in files.list_files(direction=Direction.OUTBOUND)] == [out_id]
    assert [f.id for f in files.list_files(statuses=[InboundStatus.STORED])] == [in_id]
    assert [f.id for f in files.list_files(limit=1, offset=1)] == [out_id]
    assert files.list_files(partner_id=pid + 1) == []
    with pytest.raises(NotFoundError):
        files.get(123456)
