"""Applying parsed responses (TA1, 999, 277CA, 835) to claims — one transaction per file.

Each kind has an ``apply_<kind>(tx, response_id, document, now) -> Applied`` function
(``store/resp_acks.py``, ``store/resp_277ca.py``, ``store/resp_835.py``) that works
through :class:`ResponseTx`, which holds the connection and the helpers every kind
needs: find our claims and interchanges, and record what a response says about a claim
— moving its status only forward (``is_progress``), always leaving an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select, update

from gateway.domain.files import InboundStatus
from gateway.domain.status import ClaimStatus, is_progress
from gateway.faults import fault_point
from gateway.store.claims import claims_t, event_row, events_t, transition_claim
from gateway.store.models import (
    FileRow,
    Interchange,
    InterchangeClaim,
    ResponseRow,
    TransactionSet,
)

responses_t = cast(Table, ResponseRow.__table__)
files_t = cast(Table, FileRow.__table__)
interchanges_t = cast(Table, Interchange.__table__)
sets_t = cast(Table, TransactionSet.__table__)
ic_claims_t = cast(Table, InterchangeClaim.__table__)

# Claims a response may speak about: everything that has left the gateway.
SENT_STATUSES = tuple(s.value for s in ClaimStatus if s not in (
    ClaimStatus.RECEIVED, ClaimStatus.INVALID, ClaimStatus.HELD,
    ClaimStatus.VALIDATION_FAILED))


@dataclass(slots=True)
class Applied:
    """What applying one response document did, for the responses row and the report."""

    matched: int = 0
    unmatched: int = 0
    unmatched_items: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    interchange_id: int | None = None
    status_changes: int = 0


@dataclass(frozen=True, slots=True)
class ClaimRef:
    id: int
    patient_control_number: str
    status: ClaimStatus
    interchange_id: int | None


class ResponseTx:
    """One file's transaction: the connection plus claim look-ups and event writing."""

    def __init__(self, conn: Connection, source_ref: str) -> None:
        self.conn = conn
        self.source_ref = source_ref  # the file name, on every event

    # --- look-ups ---------------------------------------------------------------------

    def interchange_by_control_number(self, control_number: int, our_id: str | None
                                      ) -> int | None:
        """Our interchange with this ISA13 (and, when given, our ISA06 sender id)."""
        query = select(interchanges_t.c.id).where(
            interchanges_t.c.control_number == control_number)
        if our_id:
            query = query.where(func.trim(interchanges_t.c.sender_id) == our_id.strip())
        rows = self.conn.execute(query.order_by(interchanges_t.c.id.desc())).scalars().all()
        return rows[0] if rows else None

    def interchange_by_group(self, group_control_number: int, our_id: str | None
                             ) -> int | None:
        """Our interchange whose GS06 this is (999 AK102)."""
        query = select(interchanges_t.c.id).where(
            interchanges_t.c.group_control_number == group_control_number)
        if our_id:
            query = query.where(func.trim(interchanges_t.c.sender_id) == our_id.strip())
        rows = self.conn.execute(query.order_by(interchanges_t.c.id.desc())).scalars().all()
        return rows[0] if rows else None

    def claims_of_interchange(self, interchange_id: int) -> list[ClaimRef]:
        query = (select(claims_t.c.id, claims_t.c.patient_control_number, claims_t.c.status,
                        claims_t.c.interchange_id)
                 .join(ic_claims_t, ic_claims_t.c.claim_id == claims_t.c.id)
                 .join(sets_t, sets_t.c.id == ic_claims_t.c.transaction_set_id)
                 .where(sets_t.c.interchange_id == interchange_id)
                 .order_by(claims_t.c.id))
        return [_ref(r) for r in self.conn.execute(query)]

    def transaction_set(self, interchange_id: int, st02: str
                        ) -> tuple[list[ClaimRef], list[Any]] | None:
        """The claims of one of our transaction sets and its segment-owner runs."""
        row = self.conn.execute(select(sets_t.c.id, sets_t.c.owner_runs).where(
            sets_t.c.interchange_id == interchange_id,
            sets_t.c.control_number == st02)).first()
        if row is None:
            return None
        claims = [_ref(r) for r in self.conn.execute(
            select(claims_t.c.id, claims_t.c.patient_control_number, claims_t.c.status,
                   claims_t.c.interchange_id)
            .join(ic_claims_t, ic_claims_t.c.claim_id == claims_t.c.id)
            .where(ic_claims_t.c.transaction_set_id == row.id).order_by(claims_t.c.id))]
        return claims, list(row.owner_runs or [])

    def sent_claims_by_pcn(self, pcns: Iterable[str]) -> dict[str, ClaimRef]:
        """For each patient control number, the latest claim of ours that was sent."""
        wanted = sorted(set(pcns))
        found: dict[str, ClaimRef] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for r in self.conn.execute(
                    select(claims_t.c.id, claims_t.c.patient_control_number,
                           claims_t.c.status, claims_t.c.interchange_id)
                    .where(claims_t.c.patient_control_number.in_(chunk),
                           claims_t.c.status.in_(SENT_STATUSES))
                    .order_by(claims_t.c.id)):
                found[r.patient_control_number] = _ref(r)  # later ids win
        return found

    # --- writing ----------------------------------------------------------------------

    def claim_said(self, claim: ClaimRef, now: dt.datetime, *, source: str,
                   new_status: ClaimStatus | None, code: str | None, reason: str,
                   kind: str = "response") -> ClaimRef:
        """Record what a response says about a claim; move its status only forward.

        A response that would move the claim backwards (it arrived late) or sideways is
        kept on the timeline as an event without a status change.
        """
        current = self._current_status(claim.id)
        if new_status is not None and new_status != current and is_progress(current,
                                                                             new_status):
            transition_claim(self.conn, claim.id, current, new_status, now, kind=kind,
                        source=source, source_ref=self.source_ref, code=code, reason=reason)
            return ClaimRef(claim.id, claim.patient_control_number, new_status,
                            claim.interchange_id)
        self.conn.execute(insert(events_t), [event_row(
            claim.id, now, kind, None, None, source=source, source_ref=self.source_ref,
            code=code, reason=reason)])
        return ClaimRef(claim.id, claim.patient_control_number, current, claim.interchange_id)

    def set_payer_claim_control_number(self, claim_id: int, value: str) -> None:
        self.conn.execute(update(claims_t).where(claims_t.c.id == claim_id)
                          .values(payer_claim_control_number=value[:50]))

    def _current_status(self, claim_id: int) -> ClaimStatus:
        status = self.conn.execute(select(claims_t.c.status)
                                   .where(claims_t.c.id == claim_id)).scalar_one()
        return ClaimStatus(status)


def _ref(row: Any) -> ClaimRef:
    return ClaimRef(row.id, row.patient_control_number, ClaimStatus(row.status),
                    row.interchange_id)


def owners_at(owner_runs: Sequence[Any], position: int) -> list[int]:
    """The claims owning segment ``position`` of a set (ST = 1), from stored runs."""
    for first, last, ids in owner_runs:
        if first <= position <= last:
            return list(ids)
    return []


ApplyFn = Callable[[ResponseTx, int, Any, dt.datetime], Applied]


@dataclass(frozen=True, slots=True)
class DocumentToApply:
    kind: str
    index: int
    control_number: str | None
    parsed: Any
    findings: list[dict[str, Any]]
    apply: ApplyFn


class ResponseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def apply_file(self, file_id: int, file_name: str, documents: Iterable[DocumentToApply],
                   now: dt.datetime) -> list[Applied]:
        """All documents of one file, in one transaction; the file becomes PROCESSED.

        ``documents`` may be produced lazily (the ingestor streams an 835's claims from
        the file's text while they are applied)."""
        results: list[Applied] = []
        with self.engine.begin() as conn:
            tx = ResponseTx(conn, file_name)
            for doc in documents:
                response_id = conn.execute(insert(responses_t).returning(responses_t.c.id), {
                    "file_id": file_id, "kind": doc.kind, "status": "applying",
                    "document_index": doc.index, "control_number": doc.control_number,
                    "findings": doc.findings or None, "created_at": now,
                }).scalar_one()
                applied = doc.apply(tx, response_id, doc.parsed, now)
                fault_point("ingest.mid_apply")
                status = ("unmatched" if applied.matched == 0 and applied.unmatched
                          else "partly_matched" if applied.unmatched else "applied")
                conn.execute(update(responses_t).where(responses_t.c.id == response_id).values(
                    status=status, matched=applied.matched, unmatched=applied.unmatched,
                    unmatched_items=applied.unmatched_items or None,
                    summary=applied.summary or None, interchange_id=applied.interchange_id))
                results.append(applied)
            conn.execute(update(files_t).where(files_t.c.id == file_id)
                         .values(status=InboundStatus.PROCESSED.value, error=None,
                                 updated_at=now))
        return results

    def quarantine(self, file_id: int, kind: str | None, reason: str, now: dt.datetime
                   ) -> None:
        """The file cannot be understood: keep it, say why, touch no claim."""
        with self.engine.begin() as conn:
            conn.execute(update(files_t).where(files_t.c.id == file_id)
                         .values(status=InboundStatus.QUARANTINED.value, error=reason[:2000],
                                 updated_at=now))
            conn.execute(insert(responses_t), {
                "file_id": file_id, "kind": kind or "unknown", "status": "quarantined",
                "reason": reason, "created_at": now})

    def quarantined(self) -> list[dict[str, Any]]:
        query = (select(files_t.c.id, files_t.c.name, files_t.c.error, files_t.c.size,
                        files_t.c.sha256, files_t.c.created_at, files_t.c.updated_at)
                 .where(files_t.c.status == InboundStatus.QUARANTINED.value)
                 .order_by(files_t.c.id))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def file(self, file_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(files_t).where(files_t.c.id == file_id)).first()
        return dict(row._mapping) if row else None

    def responses_of_file(self, file_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(responses_t).where(responses_t.c.file_id == file_id)
                .order_by(responses_t.c.id))]

    def unmatched(self) -> list[dict[str, Any]]:
        """Responses (or parts) that matched nothing we sent — a staff worklist."""
        query = (select(responses_t.c.id, responses_t.c.kind, responses_t.c.status,
                        responses_t.c.unmatched, responses_t.c.unmatched_items,
                        files_t.c.name.label("file"), responses_t.c.created_at)
                 .join(files_t, files_t.c.id == responses_t.c.file_id)
                 .where(responses_t.c.unmatched > 0).order_by(responses_t.c.id))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]
