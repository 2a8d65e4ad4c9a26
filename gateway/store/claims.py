"""Claim persistence: bulk import with idempotency, status transitions, look-ups.

Every status change goes through :func:`_transition` — a conditional UPDATE on the
expected status plus an event row, in the caller's transaction — after
:func:`gateway.domain.status.check_transition` has allowed it.
Bulk paths use Core ``insert`` with executemany, never per-row ORM adds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select, update

from gateway.domain.findings import Finding, Severity
from gateway.domain.status import EDITABLE, ClaimStatus, check_transition
from gateway.errors import ConcurrentUpdateError, NotFoundError
from gateway.store.models import ClaimEvent, ClaimFinding, ClaimRow, ClaimVersion

claims_t = cast(Table, ClaimRow.__table__)
versions_t = cast(Table, ClaimVersion.__table__)
events_t = cast(Table, ClaimEvent.__table__)
findings_t = cast(Table, ClaimFinding.__table__)


@dataclass(frozen=True, slots=True)
class IncomingClaim:
    """One claim version as intake hands it over: identity, summary, content, verdict."""

    claim_key: str
    submitter_id: str
    patient_control_number: str
    frequency_code: str
    content_hash: str
    document: dict[str, Any]
    findings: Sequence[Finding] = ()
    payer_id: str | None = None
    billing_npi: str | None = None
    total_charge: Decimal | None = None
    service_date_from: dt.date | None = None
    service_date_to: dt.date | None = None
    payer_claim_control_number: str | None = None
    source_file: str | None = None
    source_ref: str | None = None

    @property
    def accepted(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def status(self) -> ClaimStatus:
        return ClaimStatus.RECEIVED if self.accepted else ClaimStatus.INVALID


class Outcome(StrEnum):
    CREATED = "created"  # new claim stored (received or invalid)
    REPLACED = "replaced"  # unsent claim replaced by a changed version
    UNCHANGED = "unchanged"  # same content imported before: nothing written
    LOCKED = "locked"  # changed, but already sent: refused, send a replacement


@dataclass(frozen=True, slots=True)
class ImportResult:
    claim_id: int | None
    outcome: Outcome
    status: ClaimStatus | None  # the claim's status after the import


@dataclass(frozen=True, slots=True)
class ClaimSummary:
    id: int
    original_claim_id: int | None
    patient_control_number: str
    submitter_id: str
    frequency_code: str
    payer_id: str | None
    total_charge: Decimal | None
    service_date_from: dt.date | None
    service_date_to: dt.date | None
    status: ClaimStatus
    status_changed_at: dt.datetime
    version_no: int
    payer_claim_control_number: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EventView:
    at: dt.datetime
    kind: str
    from_status: str | None
    to_status: str | None
    source: str
    source_ref: str | None
    code: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class ClaimFilter:
    statuses: Sequence[ClaimStatus] = ()
    payer_id: str | None = None
    service_from: dt.date | None = None
    service_to: dt.date | None = None
    patient_control_number: str | None = None
    limit: int = 100
    offset: int = 0


@dataclass(slots=True)
class _Batch:
    """Rows gathered for one chunk, written with one executemany per table."""

    versions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


class ClaimStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- intake ---------------------------------------------------------------------

    def import_claims(self, incoming: Sequence[IncomingClaim], now: dt.datetime
                      ) -> list[ImportResult]:
        """Store a chunk of claims in one transaction; results in input order.

        The same claim key twice in one chunk is the caller's to avoid (intake
        flushes a chunk before a key repeats).
        """
        keys = [c.claim_key for c in incoming]
        if len(set(keys)) != len(keys):
            raise ValueError("a claim key repeats within one import chunk")
        with self.engine.begin() as conn:
            existing = {
                row.claim_key: row
                for row in conn.execute(
                    select(claims_t.c.id, claims_t.c.claim_key, claims_t.c.status,
                           claims_t.c.content_hash, claims_t.c.version_no)
                    .where(claims_t.c.claim_key.in_(keys))
                )
            }
            results: list[ImportResult | None] = [None] * len(incoming)
            fresh = [(i, c) for i, c in enumerate(incoming) if c.claim_key not in existing]
            batch = _Batch()
            for i, claim_id in self._insert_new(conn, [c for _, c in fresh], now, batch):
                results[fresh[i][0]] = ImportResult(claim_id, Outcome.CREATED,
                                                    fresh[i][1].status)
            for i, claim in enumerate(incoming):
                row = existing.get(claim.claim_key)
                if row is None:
                    continue
                current = ClaimStatus(row.status)
                if row.content_hash == claim.content_hash:
                    results[i] = ImportResult(row.id, Outcome.UNCHANGED, current)
                elif current not in EDITABLE:
                    results[i] = ImportResult(row.id, Outcome.LOCKED, current)
                else:
                    self._replace(conn, row.id, current, row.version_no, claim, now, batch)
                    results[i] = ImportResult(row.id, Outcome.REPLACED, claim.status)
            self._flush(conn, batch)
        return [r for r in results if r is not None]

    def _insert_new(self, conn: Connection, claims: Sequence[IncomingClaim],
                    now: dt.datetime, batch: _Batch) -> list[tuple[int, int]]:
        if not claims:
            return []
        for claim in claims:
            check_transition(None, claim.status)
        rows = [
            {
                "claim_key": c.claim_key, "submitter_id": c.submitter_id,
                "patient_control_number": c.patient_control_number,
                "frequency_code": c.frequency_code, "payer_id": c.payer_id,
                "billing_npi": c.billing_npi, "total_charge": c.total_charge,
                "service_date_from": c.service_date_from,
                "service_date_to": c.service_date_to, "status": c.status.value,
                "status_changed_at": now, "version_no": 1, "content_hash": c.content_hash,
                "payer_claim_control_number": c.payer_claim_control_number,
                "created_at": now, "updated_at": now,
            }
            for c in claims
        ]
        ids = conn.execute(
            insert(claims_t).returning(claims_t.c.id, sort_by_parameter_order=True), rows
        ).scalars().all()
        for claim_id, claim in zip(ids, claims, strict=True):
            self._add_version(batch, claim_id, 1, claim, now)
            batch.events.append(event_row(claim_id, now, "imported", None, claim.status,
                                       source_ref=claim.source_file,
                                       reason=_verdict(claim)))
            if claim.frequency_code in ("7", "8"):
                self._link_original(conn, claim_id, claim, now, batch)
        return list(enumerate(ids))

    @staticmethod
    def _link_original(conn: Connection, claim_id: int, claim: IncomingClaim,
                       now: dt.datetime, batch: _Batch) -> None:
        """A replacement (7) or void (8) points at the original claim it corrects."""
        original = conn.execute(
            select(claims_t.c.id, claims_t.c.payer_claim_control_number)
            .where(claims_t.c.submitter_id == claim.submitter_id,
                   claims_t.c.patient_control_number == claim.patient_control_number,
                   claims_t.c.frequency_code == "1", claims_t.c.id != claim_id)
            .order_by(claims_t.c.id.desc())).first()
        if original is None:
            return
        conn.execute(update(claims_t).where(claims_t.c.id == claim_id)
                     .values(original_claim_id=original.id))
        known = original.payer_claim_control_number
        what = "replacement" if claim.frequency_code == "7" else "void"
        note = (f"{what} of claim {original.id}" +
                ("" if known in (None, claim.payer_claim_control_number) else
                 "; its payer claim control number differs from the one the payer gave the "
                 "original — check REF*F8"))
        batch.events.append(event_row(original.id, now, "corrected", None, None,
                                      source_ref=claim.source_file,
                                      reason=f"{what} imported as claim {claim_id}"))
        batch.events.append(event_row(claim_id, now, "links", None, None,
                                      source_ref=claim.source_file, reason=note))

    def _replace(self, conn: Connection, claim_id: int, current: ClaimStatus,
                 version_no: int, claim: IncomingClaim, now: dt.datetime,
                 batch: _Batch) -> None:
        new_version = version_no + 1
        transition_claim(
            conn, claim_id, current, claim.status, now,
            kind="replaced", source="intake", source_ref=claim.source_file,
            reason=f"version {new_version} imported; {_verdict(claim)}",
            extra_where=[claims_t.c.version_no == version_no],
            values={
                "version_no": new_version, "content_hash": claim.content_hash,
                "payer_id": claim.payer_id, "billing_npi": claim.billing_npi,
                "total_charge": claim.total_charge,
                "service_date_from": claim.service_date_from,
                "service_date_to": claim.service_date_to,
                "payer_claim_control_number": claim.payer_claim_control_number,
            },
        )
        self._add_version(batch, claim_id, new_version, claim, now)

    @staticmethod
    def _add_version(batch: _Batch, claim_id: int, version_no: int, claim: IncomingClaim,
                     now: dt.datetime) -> None:
        batch.versions.append({
            "claim_id": claim_id, "version_no": version_no,
            "content_hash": claim.content_hash, "document": claim.document,
            "source_file": claim.source_file, "source_ref": claim.source_ref,
            "created_at": now,
        })
        batch.findings.extend(
            {"claim_id": claim_id, "version_no": version_no, "source": "scrub",
             "rule": f.rule, "path": f.path, "message": f.message,
             "severity": f.severity.value, "created_at": now}
            for f in claim.findings
        )

    @staticmethod
    def _flush(conn: Connection, batch: _Batch) -> None:
        for table, rows in ((versions_t, batch.versions), (events_t, batch.events),
                            (findings_t, batch.findings)):
            if rows:
                conn.execute(insert(table), rows)

    # --- status ---------------------------------------------------------------------

    def transition(self, claim_id: int, expected: ClaimStatus, new: ClaimStatus,
                   now: dt.datetime, *, kind: str = "status", source: str,
                   source_ref: str | None = None, code: str | None = None,
                   reason: str | None = None) -> None:
        """Move one claim from ``expected`` to ``new`` (raises if not allowed or raced)."""
        with self.engine.begin() as conn:
            transition_claim(conn, claim_id, expected, new, now, kind=kind, source=source,
                        source_ref=source_ref, code=code, reason=reason)

    # --- look-ups -------------------------------------------------------------------

    def find_by_pcn(self, patient_control_number: str, submitter_id: str | None = None
                    ) -> list[ClaimSummary]:
        return self.list_claims(ClaimFilter(patient_control_number=patient_control_number,
                                            limit=1000), submitter_id=submitter_id)

    def get(self, claim_id: int) -> ClaimSummary:
        with self.engine.connect() as conn:
            row = conn.execute(_summary_select().where(claims_t.c.id == claim_id)).first()
        if row is None:
            raise NotFoundError(f"no claim with id {claim_id}")
        return _summary(row)

    def list_claims(self, flt: ClaimFilter, submitter_id: str | None = None
                    ) -> list[ClaimSummary]:
        query = _summary_select()
        if flt.statuses:
            query = query.where(claims_t.c.status.in_([s.value for s in flt.statuses]))
        if flt.payer_id:
            query = query.where(claims_t.c.payer_id == flt.payer_id)
        if flt.service_from:
            query = query.where(claims_t.c.service_date_from >= flt.service_from)
        if flt.service_to:
            query = query.where(claims_t.c.service_date_from <= flt.service_to)
        if flt.patient_control_number:
            query = query.where(
                claims_t.c.patient_control_number == flt.patient_control_number)
        if submitter_id:
            query = query.where(claims_t.c.submitter_id == submitter_id)
        query = query.order_by(claims_t.c.id).limit(flt.limit).offset(flt.offset)
        with self.engine.connect() as conn:
            return [_summary(row) for row in conn.execute(query)]

    def timeline(self, claim_id: int) -> list[EventView]:
        query = (select(events_t).where(events_t.c.claim_id == claim_id)
                 .order_by(events_t.c.id))
        with self.engine.connect() as conn:
            return [
                EventView(at=_aware(r.at), kind=r.kind, from_status=r.from_status,
                          to_status=r.to_status, source=r.source, source_ref=r.source_ref,
                          code=r.code, reason=r.reason)
                for r in conn.execute(query)
            ]

    def findings(self, claim_id: int, version_no: int) -> list[Finding]:
        query = (select(findings_t)
                 .where(findings_t.c.claim_id == claim_id,
                        findings_t.c.version_no == version_no)
                 .order_by(findings_t.c.id))
        with self.engine.connect() as conn:
            return [Finding(r.rule, r.path, r.message, Severity(r.severity))
                    for r in conn.execute(query)]

    def document(self, claim_id: int, version_no: int) -> dict[str, Any]:
        query = select(versions_t.c.document).where(
            versions_t.c.claim_id == claim_id, versions_t.c.version_no == version_no)
        with self.engine.connect() as conn:
            doc = conn.execute(query).scalar_one_or_none()
        if doc is None:
            raise NotFoundError(f"claim {claim_id} has no version {version_no}")
        return dict(doc)

    def counts_by_status(self) -> dict[ClaimStatus, int]:
        query = select(claims_t.c.status, func.count()).group_by(claims_t.c.status)
        with self.engine.connect() as conn:
            return {ClaimStatus(s): n for s, n in conn.execute(query)}


def transition_claim(conn: Connection, claim_id: int, expected: ClaimStatus, new: ClaimStatus,
                now: dt.datetime, *, kind: str, source: str, source_ref: str | None = None,
                code: str | None = None, reason: str | None = None,
                extra_where: Sequence[Any] = (), values: dict[str, Any] | None = None
                ) -> None:
    check_transition(expected, new)
    result = conn.execute(
        update(claims_t)
        .where(claims_t.c.id == claim_id, claims_t.c.status == expected.value, *extra_where)
        .values(status=new.value, status_changed_at=now, updated_at=now, **(values or {}))
    )
    if result.rowcount != 1:
        raise ConcurrentUpdateError(
            f"claim {claim_id} is no longer {expected}; status not changed to {new}")
    conn.execute(insert(events_t), [
        event_row(claim_id, now, kind, expected, new, source=source, source_ref=source_ref,
               code=code, reason=reason)
    ])


def transition_many(conn: Connection, moves: Mapping[ClaimStatus, Sequence[int]],
                    new: ClaimStatus, now: dt.datetime, *, kind: str, source: str,
                    source_ref: str | None = None, code: str | None = None,
                    reason: str | None = None, chunk: int = 500) -> list[int]:
    """Bulk form of :func:`_transition`: ids grouped by their expected status.

    Returns the ids that moved; an id whose status changed meanwhile is left out
    (the caller decides whether that is an error).
    """
    moved: list[int] = []
    for expected, ids in moves.items():
        check_transition(expected, new)
        for start in range(0, len(ids), chunk):
            part = list(ids[start:start + chunk])
            done = conn.execute(
                update(claims_t)
                .where(claims_t.c.id.in_(part), claims_t.c.status == expected.value)
                .values(status=new.value, status_changed_at=now, updated_at=now)
                .returning(claims_t.c.id)
            ).scalars().all()
            if done:
                conn.execute(insert(events_t), [
                    event_row(cid, now, kind, expected, new, source=source,
                           source_ref=source_ref, code=code, reason=reason)
                    for cid in done
                ])
            moved.extend(done)
    return moved


def event_row(claim_id: int, now: dt.datetime, kind: str, from_status: ClaimStatus | None,
           to_status: ClaimStatus | None, *, source: str = "intake",
           source_ref: str | None = None, code: str | None = None,
           reason: str | None = None) -> dict[str, Any]:
    return {
        "claim_id": claim_id, "at": now, "kind": kind,
        "from_status": from_status.value if from_status else None,
        "to_status": to_status.value if to_status else None,
        "source": source, "source_ref": source_ref, "code": code, "reason": reason,
    }


def _verdict(claim: IncomingClaim) -> str:
    if claim.accepted:
        return "passed scrubbing"
    codes = sorted({f.rule for f in claim.findings if f.severity is Severity.ERROR})
    return "refused by scrubbing: " + ", ".join(codes)


def _summary_select() -> Any:
    c = claims_t.c
    return select(c.id, c.original_claim_id, c.patient_control_number, c.submitter_id,
                  c.frequency_code, c.payer_id, c.total_charge, c.service_date_from,
                  c.service_date_to, c.status, c.status_changed_at, c.version_no,
                  c.payer_claim_control_number, c.created_at)


def _summary(row: Any) -> ClaimSummary:
    return ClaimSummary(
        id=row.id, original_claim_id=row.original_claim_id,
        patient_control_number=row.patient_control_number,
        submitter_id=row.submitter_id, frequency_code=row.frequency_code,
        payer_id=row.payer_id, total_charge=row.total_charge,
        service_date_from=row.service_date_from, service_date_to=row.service_date_to,
        status=ClaimStatus(row.status), status_changed_at=_aware(row.status_changed_at),
        version_no=row.version_no, payer_claim_control_number=row.payer_claim_control_number,
        created_at=_aware(row.created_at),
    )


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back naive; they were written as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
