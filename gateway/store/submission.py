"""Persistence for submission: reserve claims, allocate control numbers, record outcomes.

Two transactions around the (slow) render + validate step, so nothing is held locked
while pyx12 runs and a crash at any point leaves a state the next run resolves:

1. :meth:`SubmissionStore.reserve` — allocate ISA13/GS06, insert the interchange as
   BUILDING, move its claims RECEIVED/HELD → BATCHED. Committed.
2. :meth:`SubmissionStore.complete` (file in the outbox, interchange READY, one
   ``files`` row PENDING) or :meth:`SubmissionStore.reject` (INVALID; the claims at
   fault → VALIDATION_FAILED with their findings, the rest back to RECEIVED).

:meth:`SubmissionStore.abandon_stale` re-queues the claims of a BUILDING interchange
whose run died. Control numbers are never handed out twice: the counter only grows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, insert, select, update

from gateway.domain.files import Direction, OutboundStatus
from gateway.domain.findings import Finding
from gateway.domain.interchanges import InterchangeStatus
from gateway.domain.status import ClaimStatus
from gateway.errors import ConcurrentUpdateError, StoreError
from gateway.store.claims import claims_t, findings_t, transition_many, versions_t
from gateway.store.models import (
    ControlCounter,
    FileRow,
    Interchange,
    InterchangeClaim,
    TransactionSet,
)
from gateway.store.partners_store import ensure_partner, partners_t

counters_t = cast(Table, ControlCounter.__table__)
interchanges_t = cast(Table, Interchange.__table__)
sets_t = cast(Table, TransactionSet.__table__)
ic_claims_t = cast(Table, InterchangeClaim.__table__)
files_t = cast(Table, FileRow.__table__)

PICKABLE = (ClaimStatus.RECEIVED, ClaimStatus.HELD)


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    payer_id: str | None
    status: ClaimStatus


@dataclass(frozen=True, slots=True)
class EnvelopeIds:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    usage_indicator: str


@dataclass(frozen=True, slots=True)
class Reservation:
    interchange_id: int
    control_number: int
    group_control_number: int
    # (claim id, version no, document) for every claim now BATCHED in it
    claims: tuple[tuple[int, int, dict[str, Any]], ...]


@dataclass(frozen=True, slots=True)
class SetRecord:
    """A transaction set as written: ST02, its claims, where each CLM sits (file
    position) and which claims own which segment positions (ST = 1)."""

    control_number: str
    claim_ids: Sequence[int]
    clm_positions: Mapping[int, int]
    owner_runs: Sequence[tuple[int, int, Sequence[int]]]


@dataclass(frozen=True, slots=True)
class OutboxFile:
    name: str
    sha256: str
    size: int
    stored_path: str


class SubmissionStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def candidates(self) -> list[Candidate]:
        """Claims waiting to be sent (received, or held for want of a route)."""
        query = (select(claims_t.c.id, claims_t.c.payer_id, claims_t.c.status)
                 .where(claims_t.c.status.in_([s.value for s in PICKABLE]))
                 .order_by(claims_t.c.id))
        with self.engine.connect() as conn:
            return [Candidate(r.id, r.payer_id, ClaimStatus(r.status))
                    for r in conn.execute(query)]

    def hold(self, claims: Sequence[Candidate], now: dt.datetime, reason: str) -> list[int]:
        """RECEIVED → HELD for claims no trading partner carries."""
        ids = [c.id for c in claims if c.status is ClaimStatus.RECEIVED]
        if not ids:
            return []
        with self.engine.begin() as conn:
            return transition_many(conn, {ClaimStatus.RECEIVED: ids}, ClaimStatus.HELD, now,
                                   kind="held", source="submission", code="NO-ROUTE",
                                   reason=reason)

    def reserve(self, partner: str, env: EnvelopeIds, claims: Sequence[Candidate],
                now: dt.datetime) -> Reservation | None:
        """Allocate control numbers and move the claims to BATCHED, in one transaction."""
        by_status: dict[ClaimStatus, list[int]] = {}
        for c in claims:
            by_status.setdefault(c.status, []).append(c.id)
        with self.engine.begin() as conn:
            partner_id = ensure_partner(conn, partner, now)
            control, group = _next_control_numbers(conn, env)
            interchange_id = conn.execute(insert(interchanges_t).returning(interchanges_t.c.id), {
                "partner_id": partner_id, "sender_qualifier": env.sender_qualifier,
                "sender_id": env.sender_id, "receiver_qualifier": env.receiver_qualifier,
                "receiver_id": env.receiver_id, "control_number": control,
                "group_control_number": group, "usage_indicator": env.usage_indicator,
                "status": InterchangeStatus.BUILDING.value, "created_at": now,
            }).scalar_one()
            moved = transition_many(conn, by_status, ClaimStatus.BATCHED, now, kind="batched",
                                    source="submission", source_ref=f"ISA13 {control:09d}",
                                    reason=f"reserved for interchange {control:09d}")
            if not moved:
                # Every claim was taken by someone else: keep the number used, build nothing.
                _set_interchange_status(conn, interchange_id, InterchangeStatus.BUILDING,
                                        InterchangeStatus.ABANDONED)
                return None
            conn.execute(update(claims_t).where(claims_t.c.id.in_(moved))
                         .values(partner_id=partner_id, interchange_id=interchange_id))
            rows = conn.execute(
                select(claims_t.c.id, claims_t.c.version_no, versions_t.c.document)
                .join(versions_t, (versions_t.c.claim_id == claims_t.c.id)
                      & (versions_t.c.version_no == claims_t.c.version_no))
                .where(claims_t.c.id.in_(moved)).order_by(claims_t.c.id)).all()
        return Reservation(interchange_id, control, group,
                           tuple((r.id, r.version_no, dict(r.document)) for r in rows))

    def complete(self, reservation: Reservation, partner: str, outbox: OutboxFile,
                 sets: Sequence[SetRecord], now: dt.datetime) -> int:
        """Record a validated interchange: READY, its sets and claim positions, its file.

        Returns the file id.
        """
        versions = {cid: version for cid, version, _ in reservation.claims}
        with self.engine.begin() as conn:
            partner_id = ensure_partner(conn, partner, now)
            file_id = conn.execute(insert(files_t).returning(files_t.c.id), {
                "direction": Direction.OUTBOUND.value, "partner_id": partner_id,
                "name": outbox.name, "sha256": outbox.sha256, "size": outbox.size,
                "status": OutboundStatus.PENDING.value, "stored_path": outbox.stored_path,
                "created_at": now, "updated_at": now,
            }).scalar_one()
            _set_interchange_status(conn, reservation.interchange_id,
                                    InterchangeStatus.BUILDING, InterchangeStatus.READY,
                                    file_id=file_id)
            for record in sets:
                set_id = conn.execute(insert(sets_t).returning(sets_t.c.id), {
                    "interchange_id": reservation.interchange_id,
                    "control_number": record.control_number,
                    "claim_count": len(record.claim_ids), "status": "ready",
                    "owner_runs": [[first, last, list(ids)]
                                   for first, last, ids in record.owner_runs],
                }).scalar_one()
                conn.execute(insert(ic_claims_t), [
                    {"transaction_set_id": set_id, "claim_id": cid,
                     "version_no": versions[cid],
                     "segment_position": record.clm_positions[cid]}
                    for cid in record.claim_ids
                ])
        return int(file_id)

    def reject(self, reservation: Reservation, failed: Mapping[int, Sequence[Finding]],
               now: dt.datetime) -> None:
        """pyx12 refused the interchange: charge the claims at fault, re-queue the rest."""
        versions = {cid: version for cid, version, _ in reservation.claims}
        ref = f"ISA13 {reservation.control_number:09d}"
        with self.engine.begin() as conn:
            _set_interchange_status(conn, reservation.interchange_id,
                                    InterchangeStatus.BUILDING, InterchangeStatus.INVALID)
            at_fault = [cid for cid in versions if cid in failed]
            innocent = [cid for cid in versions if cid not in failed]
            if at_fault:
                transition_many(conn, {ClaimStatus.BATCHED: at_fault},
                                ClaimStatus.VALIDATION_FAILED, now, kind="validation_failed",
                                source="pyx12", source_ref=ref,
                                reason="our 837P for this claim failed pre-send validation")
                conn.execute(insert(findings_t), [
                    {"claim_id": cid, "version_no": versions[cid], "source": "pyx12",
                     "rule": f.rule, "path": f.path, "message": f.message,
                     "severity": f.severity.value, "created_at": now}
                    for cid in at_fault for f in failed[cid]
                ])
            if innocent:
                transition_many(conn, {ClaimStatus.BATCHED: innocent}, ClaimStatus.RECEIVED,
                                now, kind="requeued", source="submission", source_ref=ref,
                                reason="interchange failed validation because of other "
                                       "claims; re-queued")

    def abandon_stale(self, partner: str, older_than: dt.datetime, now: dt.datetime
                      ) -> list[int]:
        """BUILDING interchanges left by a dead run: ABANDONED, their claims re-queued."""
        with self.engine.begin() as conn:
            stale = conn.execute(
                select(interchanges_t.c.id, interchanges_t.c.control_number)
                .join(partners_t, partners_t.c.id == interchanges_t.c.partner_id)
                .where(partners_t.c.name == partner,
                       interchanges_t.c.status == InterchangeStatus.BUILDING.value,
                       interchanges_t.c.created_at <= older_than)).all()
            for row in stale:
                _set_interchange_status(conn, row.id, InterchangeStatus.BUILDING,
                                        InterchangeStatus.ABANDONED)
                claim_ids = conn.execute(
                    select(claims_t.c.id).where(
                        claims_t.c.status == ClaimStatus.BATCHED.value,
                        claims_t.c.interchange_id == row.id)).scalars().all()
                if claim_ids:
                    transition_many(conn, {ClaimStatus.BATCHED: claim_ids},
                                    ClaimStatus.RECEIVED, now, kind="requeued",
                                    source="submission",
                                    source_ref=f"ISA13 {row.control_number:09d}",
                                    reason="the run building this interchange stopped; "
                                           "re-queued")
        return [row.id for row in stale]

    def reconcile_uploaded(self, now: dt.datetime) -> list[int]:
        """Files recorded UPLOADED whose interchange is still READY: a run stopped between
        the two commits. Finish the job (claims BATCHED → SENT); returns the file ids."""
        with self.engine.connect() as conn:
            file_ids = conn.execute(
                select(files_t.c.id)
                .join(interchanges_t, interchanges_t.c.file_id == files_t.c.id)
                .where(interchanges_t.c.status == InterchangeStatus.READY.value,
                       files_t.c.status == OutboundStatus.UPLOADED.value)).scalars().all()
        for file_id in file_ids:
            self.mark_file_sent(file_id, now)
        return list(file_ids)

    def mark_file_sent(self, file_id: int, now: dt.datetime) -> list[int]:
        """After upload: the interchange is SENT and its claims BATCHED → SENT."""
        with self.engine.begin() as conn:
            row = conn.execute(select(interchanges_t.c.id, interchanges_t.c.control_number,
                                      files_t.c.name)
                               .join(files_t, files_t.c.id == interchanges_t.c.file_id)
                               .where(interchanges_t.c.file_id == file_id)).one()
            _set_interchange_status(conn, row.id, InterchangeStatus.READY,
                                    InterchangeStatus.SENT)
            claim_ids = conn.execute(
                select(claims_t.c.id).where(claims_t.c.interchange_id == row.id,
                                            claims_t.c.status == ClaimStatus.BATCHED.value)
            ).scalars().all()
            return transition_many(conn, {ClaimStatus.BATCHED: list(claim_ids)},
                                   ClaimStatus.SENT, now, kind="sent", source="submission",
                                   source_ref=row.name, code=f"ISA13 {row.control_number:09d}",
                                   reason="interchange uploaded to the clearinghouse")


def _next_control_numbers(conn: Any, env: EnvelopeIds) -> tuple[int, int]:
    key = (counters_t.c.sender_qualifier == env.sender_qualifier,
           counters_t.c.sender_id == env.sender_id,
           counters_t.c.receiver_qualifier == env.receiver_qualifier,
           counters_t.c.receiver_id == env.receiver_id)
    exists = conn.execute(select(counters_t.c.last_interchange).where(*key)).first()
    if exists is None:
        conn.execute(insert(counters_t), {
            "sender_qualifier": env.sender_qualifier, "sender_id": env.sender_id,
            "receiver_qualifier": env.receiver_qualifier, "receiver_id": env.receiver_id,
            "last_interchange": 0, "last_group": 0})
    row = conn.execute(
        update(counters_t).where(*key)
        .values(last_interchange=counters_t.c.last_interchange + 1,
                last_group=counters_t.c.last_group + 1)
        .returning(counters_t.c.last_interchange, counters_t.c.last_group)).one()
    if row.last_interchange > 999_999_999:
        raise StoreError("interchange control numbers (ISA13) exhausted for this "
                         "sender/receiver pair")
    return int(row.last_interchange), int(row.last_group)


def _set_interchange_status(conn: Any, interchange_id: int, expected: InterchangeStatus,
                            new: InterchangeStatus, **values: Any) -> None:
    result = conn.execute(
        update(interchanges_t)
        .where(interchanges_t.c.id == interchange_id,
               interchanges_t.c.status == expected.value)
        .values(status=new.value, **values))
    if result.rowcount != 1:
        raise ConcurrentUpdateError(
            f"interchange {interchange_id} is no longer {expected}; not moved to {new}")
