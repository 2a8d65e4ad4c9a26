"""The outbox and inbox: rows of ``files`` and their life cycle (gateway.domain.files).

Outbound rows are added by submission as PENDING. Here they move PENDING → UPLOADING
(committed before any byte leaves) → UPLOADED (remote name, size, time), each step a
conditional UPDATE on the expected status, so a row is never moved twice.

Inbound rows are added by polling once the raw bytes are in the gateway's store:
STORED, or DUPLICATE when the partner sent the same bytes (sha256) before; parsing
then marks STORED rows PROCESSED or QUARANTINED.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from gateway.domain.files import Direction, InboundStatus, OutboundStatus
from gateway.errors import ConcurrentUpdateError, NotFoundError
from gateway.store.models import FileRow
from gateway.store.partners_store import ensure_partner

files_t = cast(Table, FileRow.__table__)

# The predicate of the partial unique index ux_files_inbound_partner_id_sha256, spelt
# exactly as in the index so that both backends match ON CONFLICT to it.
_INBOUND_UNIQUE_WHERE = text("direction = 'in' AND status <> 'duplicate'")


@dataclass(frozen=True, slots=True)
class FileView:
    id: int
    direction: Direction
    partner_id: int | None
    name: str
    remote_name: str | None
    sha256: str
    size: int
    status: str  # an OutboundStatus or InboundStatus value
    stored_path: str | None
    error: str | None
    attempts: int
    uploaded_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class InboundRecord:
    file_id: int
    duplicate: bool


def _view(row: Any) -> FileView:
    return FileView(id=int(row.id), direction=Direction(row.direction),
                    partner_id=row.partner_id, name=row.name, remote_name=row.remote_name,
                    sha256=row.sha256, size=int(row.size), status=row.status,
                    stored_path=row.stored_path, error=row.error, attempts=int(row.attempts),
                    uploaded_at=_aware(row.uploaded_at) if row.uploaded_at else None,
                    created_at=_aware(row.created_at), updated_at=_aware(row.updated_at))


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back naive; they were written as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class FileStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ensure_partner(self, name: str, now: dt.datetime) -> int:
        with self.engine.begin() as conn:
            return ensure_partner(conn, name, now)

    def get(self, file_id: int) -> FileView:
        with self.engine.connect() as conn:
            row = conn.execute(select(files_t).where(files_t.c.id == file_id)).first()
        if row is None:
            raise NotFoundError(f"no file with id {file_id}")
        return _view(row)

    # --- outbound ---------------------------------------------------------------------

    def pending_uploads(self, partner_id: int) -> list[FileView]:
        """Outbound files of the partner still to deliver (PENDING, or UPLOADING after a
        crash), oldest first."""
        statuses = [OutboundStatus.PENDING.value, OutboundStatus.UPLOADING.value]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(files_t).where(files_t.c.partner_id == partner_id,
                                      files_t.c.direction == Direction.OUTBOUND.value,
                                      files_t.c.status.in_(statuses))
                .order_by(files_t.c.id))
            return [_view(r) for r in rows]

    def mark_uploading(self, file_id: int, now: dt.datetime,
                       expected: OutboundStatus = OutboundStatus.PENDING) -> None:
        """PENDING → UPLOADING (or UPLOADING again, for a retry), counting the attempt."""
        with self.engine.begin() as conn:
            self._move(conn, file_id, Direction.OUTBOUND, expected, OutboundStatus.UPLOADING,
                       now, attempts=files_t.c.attempts + 1, error=None)

    def mark_uploaded(self, file_id: int, remote_name: str, size: int, now: dt.datetime
                      ) -> None:
        with self.engine.begin() as conn:
            self._move(conn, file_id, Direction.OUTBOUND, OutboundStatus.UPLOADING,
                       OutboundStatus.UPLOADED, now, remote_name=remote_name, size=size,
                       uploaded_at=now, error=None)

    def record_upload_error(self, file_id: int, error: str, now: dt.datetime) -> None:
        """Keep the last failure for operators; the status stays as it is."""
        with self.engine.begin() as conn:
            conn.execute(update(files_t).where(files_t.c.id == file_id)
                         .values(error=error[:2000], updated_at=now))

    # --- inbound ----------------------------------------------------------------------

    def record_inbound(self, partner_id: int, name: str, remote_name: str, sha256: str,
                       size: int, stored_path: str, now: dt.datetime) -> InboundRecord:
        """Record a downloaded file as STORED — or DUPLICATE when the partner's same bytes
        are already stored (still recorded, so every download is accounted for)."""
        row = {"direction": Direction.INBOUND.value, "partner_id": partner_id, "name": name,
               "remote_name": remote_name, "sha256": sha256, "size": size,
               "stored_path": stored_path, "attempts": 0, "created_at": now,
               "updated_at": now}
        dialect = sqlite if self.engine.dialect.name == "sqlite" else postgresql
        with self.engine.begin() as conn:
            new_id = conn.execute(
                dialect.insert(files_t).values(status=InboundStatus.STORED.value, **row)
                .on_conflict_do_nothing(index_elements=["partner_id", "sha256"],
                                        index_where=_INBOUND_UNIQUE_WHERE)
                .returning(files_t.c.id)).scalar()
            if new_id is not None:
                return InboundRecord(int(new_id), duplicate=False)
            dup_id = conn.execute(insert(files_t).values(
                status=InboundStatus.DUPLICATE.value, **row).returning(files_t.c.id)
            ).scalar_one()
            return InboundRecord(int(dup_id), duplicate=True)

    def last_inbound(self, partner_id: int, remote_name: str) -> FileView | None:
        """The latest row downloaded from ``remote_name`` (the "keep" policy skips it)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(files_t).where(files_t.c.partner_id == partner_id,
                                      files_t.c.direction == Direction.INBOUND.value,
                                      files_t.c.remote_name == remote_name)
                .order_by(files_t.c.id.desc()).limit(1)).first()
        return _view(row) if row is not None else None

    def inbound_to_process(self, partner_id: int | None = None, limit: int = 100
                           ) -> list[FileView]:
        """STORED inbound files, oldest first (what the response reader works through)."""
        query = select(files_t).where(files_t.c.direction == Direction.INBOUND.value,
                                      files_t.c.status == InboundStatus.STORED.value)
        if partner_id is not None:
            query = query.where(files_t.c.partner_id == partner_id)
        with self.engine.connect() as conn:
            return [_view(r) for r in conn.execute(query.order_by(files_t.c.id).limit(limit))]

    def mark_processed(self, file_id: int, now: dt.datetime) -> None:
        with self.engine.begin() as conn:
            self._move(conn, file_id, Direction.INBOUND, InboundStatus.STORED,
                       InboundStatus.PROCESSED, now, error=None)

    def mark_quarantined(self, file_id: int, reason: str, now: dt.datetime) -> None:
        """STORED → QUARANTINED with a reason for people (identifiers, never file content)."""
        with self.engine.begin() as conn:
            self._move(conn, file_id, Direction.INBOUND, InboundStatus.STORED,
                       InboundStatus.QUARANTINED, now, error=reason[:2000])

    # --- look-ups ---------------------------------------------------------------------

    def list_files(self, *, direction: Direction | None = None, partner_id: int | None = None,
                   statuses: Sequence[str] = (), limit: int = 100, offset: int = 0
                   ) -> list[FileView]:
        """Newest first."""
        query = select(files_t)
        if direction is not None:
            query = query.where(files_t.c.direction == direction.value)
        if partner_id is not None:
            query = query.where(files_t.c.partner_id == partner_id)
        if statuses:
            query = query.where(files_t.c.status.in_([str(s) for s in statuses]))
        query = query.order_by(files_t.c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [_view(r) for r in conn.execute(query)]

    # --- internals --------------------------------------------------------------------

    @staticmethod
    def _move(conn: Connection, file_id: int, direction: Direction,
              expected: OutboundStatus | InboundStatus, new: OutboundStatus | InboundStatus,
              now: dt.datetime, **values: Any) -> None:
        """Conditional status change: only from ``expected``, else ConcurrentUpdateError."""
        result = conn.execute(
            update(files_t).where(files_t.c.id == file_id,
                                  files_t.c.direction == direction.value,
                                  files_t.c.status == expected.value)
            .values(status=new.value, updated_at=now, **values))
        if result.rowcount == 1:
            return
        current = conn.execute(select(files_t.c.status).where(files_t.c.id == file_id)).scalar()
        if current is None:
            raise NotFoundError(f"no file with id {file_id}")
        raise ConcurrentUpdateError(f"file {file_id} is {current}, not {expected.value}: "
                                    f"cannot mark it {new.value}")
