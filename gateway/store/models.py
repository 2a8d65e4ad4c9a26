"""The database schema (SQLAlchemy 2 declarative). Migrations in ``migrations/`` follow it.

Claims keep their current state in ``claims`` and every change in ``claim_events``;
the content of each imported version is kept whole in ``claim_versions``. The tables
below the claim section are the skeleton later steps fill in (interchanges, files,
responses, remittances), laid out now so their migrations stay small.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so Alembic migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(12, 2)
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identity.
Id = BigInteger().with_variant(Integer(), "sqlite")
Timestamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TradingPartner(Base):
    __tablename__ = "trading_partners"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class ClaimRow(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # submitter id | patient control number | frequency | payer claim control number
    claim_key: Mapped[str] = mapped_column(String(255), unique=True)
    submitter_id: Mapped[str] = mapped_column(String(80))
    patient_control_number: Mapped[str] = mapped_column(String(80), index=True)
    frequency_code: Mapped[str] = mapped_column(String(1))
    payer_id: Mapped[str | None] = mapped_column(String(80), index=True)
    billing_npi: Mapped[str | None] = mapped_column(String(15))
    total_charge: Mapped[Decimal | None] = mapped_column(Money)
    service_date_from: Mapped[dt.date | None] = mapped_column(Date, index=True)
    service_date_to: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32), index=True)
    status_changed_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    version_no: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("trading_partners.id"))
    # Given by the payer (277CA REF*1K / 835 CLP07); needed for replacement claims.
    payer_claim_control_number: Mapped[str | None] = mapped_column(String(50))
    # A frequency 7/8 claim points at the claim it replaces or voids.
    original_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    # The interchange the claim was last batched into (BATCHED and after).
    interchange_id: Mapped[int | None] = mapped_column(ForeignKey("interchanges.id"),
                                                       index=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class ClaimVersion(Base):
    __tablename__ = "claim_versions"
    __table_args__ = (UniqueConstraint("claim_id", "version_no"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    version_no: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    # The normalized claim document (JSON), as imported.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_file: Mapped[str | None] = mapped_column(String(255))
    source_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class ClaimFinding(Base):
    """Why a claim version was refused or failed validation: rule code + field path."""

    __tablename__ = "claim_findings"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    version_no: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class ClaimEvent(Base):
    """One entry of a claim's timeline. Status never changes without one."""

    __tablename__ = "claim_events"
    __table_args__ = (Index("ix_claim_events_claim_id_id", "claim_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    at: Mapped[dt.datetime] = mapped_column(Timestamp)
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    # Who said so: intake, submission, ta1, 999, 277ca, 835, operator.
    source: Mapped[str] = mapped_column(String(32))
    # Where: a file name or id, a segment position, an interchange control number.
    source_ref: Mapped[str | None] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)


# --- skeleton for submission, transport and response handling -------------------------


class ControlCounter(Base):
    """Last ISA13/GS06 used per sender/receiver pair: allocated, never reused."""

    __tablename__ = "control_counters"

    sender_qualifier: Mapped[str] = mapped_column(String(2), primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(15), primary_key=True)
    receiver_qualifier: Mapped[str] = mapped_column(String(2), primary_key=True)
    receiver_id: Mapped[str] = mapped_column(String(15), primary_key=True)
    last_interchange: Mapped[int] = mapped_column(BigInteger, default=0)
    last_group: Mapped[int] = mapped_column(BigInteger, default=0)


class FileRow(Base):
    """A file we sent or received, raw bytes kept in the data dir under its hash."""

    __tablename__ = "files"
    __table_args__ = (
        Index("ix_files_partner_id_direction_status", "partner_id", "direction", "status"),
        # One non-duplicate inbound row per partner and content (migration 0002).
        Index("ux_files_inbound_partner_id_sha256", "partner_id", "sha256", unique=True,
              sqlite_where=text("direction = 'in' AND status <> 'duplicate'"),
              postgresql_where=text("direction = 'in' AND status <> 'duplicate'")),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))  # out / in
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("trading_partners.id"))
    name: Mapped[str] = mapped_column(String(255))
    remote_name: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(32), index=True)
    stored_path: Mapped[str | None] = mapped_column(String(1024))
    error: Mapped[str | None] = mapped_column(Text)
    # Outbound: uploads started (a crash leaves the row UPLOADING) and when one landed.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    uploaded_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class Interchange(Base):
    __tablename__ = "interchanges"
    __table_args__ = (
        UniqueConstraint("sender_qualifier", "sender_id", "receiver_qualifier", "receiver_id",
                         "control_number", name="uq_interchanges_pair_control_number"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("trading_partners.id"))
    sender_qualifier: Mapped[str] = mapped_column(String(2))
    sender_id: Mapped[str] = mapped_column(String(15))
    receiver_qualifier: Mapped[str] = mapped_column(String(2))
    receiver_id: Mapped[str] = mapped_column(String(15))
    control_number: Mapped[int] = mapped_column(BigInteger)  # ISA13
    group_control_number: Mapped[int] = mapped_column(BigInteger)  # GS06
    usage_indicator: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(32), index=True)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class TransactionSet(Base):
    __tablename__ = "transaction_sets"
    __table_args__ = (UniqueConstraint("interchange_id", "control_number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    interchange_id: Mapped[int] = mapped_column(ForeignKey("interchanges.id"))
    control_number: Mapped[str] = mapped_column(String(9))  # ST02
    claim_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    # Which claims own which segments: [[first position, last position, [claim ids]], ...]
    # (positions count from ST = 1, as 999 IK3 does) — maps a 999 error to its claims.
    owner_runs: Mapped[list[Any] | None] = mapped_column(JSON)


class InterchangeClaim(Base):
    """Which claim version went into which transaction set, and where (CLM position)."""

    __tablename__ = "interchange_claims"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    transaction_set_id: Mapped[int] = mapped_column(ForeignKey("transaction_sets.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    version_no: Mapped[int] = mapped_column(Integer)
    segment_position: Mapped[int] = mapped_column(Integer)


class ResponseRow(Base):
    """A TA1/999/277CA/835 read from a received file: applied, unmatched or quarantined."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    interchange_id: Mapped[int | None] = mapped_column(ForeignKey("interchanges.id"))
    # Which document of the file (interchange, then transaction set), and its ids.
    document_index: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    control_number: Mapped[str | None] = mapped_column(String(15))
    # pyx12's findings as data (codes and positions, never its messages).
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # What the response said, for staff (counts, codes, descriptions).
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    matched: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unmatched: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What matched nothing we sent, kept for staff (identifiers and amounts).
    unmatched_items: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class Remittance(Base):
    """One 835 payment (BPR/TRN). (payer id, trace number) is posted once."""

    __tablename__ = "remittances"
    __table_args__ = (UniqueConstraint("payer_id", "trace_number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"))
    payer_id: Mapped[str] = mapped_column(String(80))
    trace_number: Mapped[str] = mapped_column(String(50))
    payment_amount: Mapped[Decimal] = mapped_column(Money)
    payment_method: Mapped[str] = mapped_column(String(8))
    payment_date: Mapped[dt.date | None] = mapped_column(Date)
    balanced: Mapped[bool] = mapped_column(default=True)
    payer_name: Mapped[str | None] = mapped_column(String(80))
    # Why a payment does not balance (None when it does).
    balance_note: Mapped[str | None] = mapped_column(Text)
    # PLB provider-level adjustments: [{"provider", "reason", "reference", "amount"}].
    plb: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class RemittanceClaim(Base):
    """One CLP of a remittance, matched to our claim when we can."""

    __tablename__ = "remittance_claims"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittances.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    patient_control_number: Mapped[str] = mapped_column(String(80))
    status_code: Mapped[str] = mapped_column(String(4))
    charge: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money)
    patient_responsibility: Mapped[Decimal | None] = mapped_column(Money)
    payer_claim_control_number: Mapped[str | None] = mapped_column(String(50))
    adjustments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # paid / partially_paid / denied / reversed / forwarded, derived from the amounts.
    outcome: Mapped[str | None] = mapped_column(String(24))
    remarks: Mapped[list[str] | None] = mapped_column(JSON)  # RARC (LQ*HE, MOA)
    lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # SVC with CAS/LQ
    # Whether the CLP was applied to our claim: posted, or why not — unmatched (no claim
    # of ours), unbalanced (the payment does not add up), repeated_reversal (the same
    # reversal was already posted from another payment).
    posting: Mapped[str] = mapped_column(String(32), default="posted", server_default="posted")


# --- the long-running service ---------------------------------------------------------


class ServiceInstance(Base):
    """A running (or stopped) `gateway run` process and its heartbeat."""

    __tablename__ = "service_instances"

    instance_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    last_beat_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class StepStatus(Base):
    """Per partner and step: when it last succeeded or failed, and why (no PHI)."""

    __tablename__ = "step_status"

    partner: Mapped[str] = mapped_column(String(64), primary_key=True)
    step: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
