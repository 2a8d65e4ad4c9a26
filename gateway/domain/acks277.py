"""A 277CA claim acknowledgment (005010X214) as the gateway reads it — pure data.

One :class:`ClaimAck277` per transaction set (ST). The guide's hierarchy:

    2000A information source (HL 20)     who answered: a payer (NM1*PR) or a
                                         clearinghouse (NM1*AY)
      2000B information receiver (HL 21) us, the submitter; batch-level statuses (2200B)
        2000C billing provider (HL 19)   provider-level statuses (2200C)
          2000D patient (HL PT)          one or more claims (2200D): TRN02 = our CLM01,
                                         STC, REF*1K, REF*D9, DTP*472
            2220D service line           SVC + STC + REF*FJ + DTP*472

No patient data is kept: the patient's name and member id (2100D) are read past; a claim
is known by our own patient control number (CLM01) only.

What the claim status category (STC01-1) means for the claim — :func:`status_for_category`:

- A0, A1, A5 (forwarded, received, split): acknowledged, not yet accepted → ACKNOWLEDGED
- A2 (accepted into the payer's adjudication system) → ACCEPTED
- A3, A4, A6, A7, A8 (returned as unprocessable, not found, rejected for missing or
  invalid information or a relational error) → REJECTED
- anything else (E0-E4, D0, F*, P*, R*): not a claim acknowledgment — an event on the
  timeline, no status change
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.domain.status import ClaimStatus

#: STC01-1 category → the claim status it stands for (categories not listed: no change).
CATEGORY_STATUS: dict[str, ClaimStatus] = {
    "A0": ClaimStatus.ACKNOWLEDGED,
    "A1": ClaimStatus.ACKNOWLEDGED,
    "A5": ClaimStatus.ACKNOWLEDGED,
    "A2": ClaimStatus.ACCEPTED,
    "A3": ClaimStatus.REJECTED,
    "A4": ClaimStatus.REJECTED,
    "A6": ClaimStatus.REJECTED,
    "A7": ClaimStatus.REJECTED,
    "A8": ClaimStatus.REJECTED,
}

# When one STC carries several composites (STC01, STC10, STC11), the strongest wins.
_STRENGTH = {ClaimStatus.ACKNOWLEDGED: 1, ClaimStatus.ACCEPTED: 2, ClaimStatus.REJECTED: 3}

#: 2100A NM101 → who answered.
SOURCE_KINDS = {"PR": "payer", "AY": "clearinghouse", "41": "clearinghouse"}


def status_for_category(category: str) -> ClaimStatus | None:
    """The claim status a claim status category stands for, or None (event only)."""
    return CATEGORY_STATUS.get(category.strip().upper())


@dataclass(frozen=True, slots=True)
class StatusCode:
    """One C043 composite: category (A7), status (562), entity (85), code list qualifier."""

    category: str
    status: str = ""
    entity: str = ""
    code_list_qualifier: str = ""

    @property
    def code(self) -> str:
        """The composite as staff know it, always with ':' — "A7:562:85"."""
        parts = [self.category, self.status, self.entity, self.code_list_qualifier]
        while parts and not parts[-1]:
            parts.pop()
        return ":".join(parts)

    @property
    def claim_status(self) -> ClaimStatus | None:
        return status_for_category(self.category)


@dataclass(frozen=True, slots=True)
class Stc:
    """One STC segment: up to three status composites (STC01, STC10, STC11) sharing a
    date (STC02), an action code (STC03: WQ accepted, U rejected), an amount (STC04)
    and a free-form message (STC12)."""

    statuses: tuple[StatusCode, ...]
    position: int  # of the STC segment in the file (ISA = 1)
    date: dt.date | None = None
    action: str = ""
    amount: Decimal | None = None
    text: str = ""

    @property
    def code(self) -> str:
        """All composites, space separated: "A3:122 A3:153:82"."""
        return " ".join(s.code for s in self.statuses)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(s.category for s in self.statuses)

    @property
    def claim_status(self) -> ClaimStatus | None:
        """The strongest status among the composites (rejected > accepted > acknowledged)."""
        found = [s.claim_status for s in self.statuses if s.claim_status is not None]
        return max(found, key=_STRENGTH.__getitem__) if found else None

    @property
    def rejected(self) -> bool:
        return self.claim_status is ClaimStatus.REJECTED


@dataclass(frozen=True, slots=True)
class Totals:
    """QTY/AMT of a batch (2200B: 90/AA) or a provider (2200C: QA/QC), AMT YU/YY."""

    accepted_count: int | None = None
    rejected_count: int | None = None
    accepted_amount: Decimal | None = None
    rejected_amount: Decimal | None = None


@dataclass(slots=True)
class InformationSource:
    """2000A/2100A/2200A: who sent this acknowledgment."""

    hl: str
    position: int
    entity: str = ""  # NM101: PR payer, AY clearinghouse
    name: str = ""  # NM103 (an organization)
    id_qualifier: str = ""  # NM108: PI payer id, 46 ETIN, FI, XV
    id: str = ""  # NM109
    trace: str = ""  # 2200A TRN02: the source's own receipt control number
    received: dt.date | None = None  # DTP*050
    processed: dt.date | None = None  # DTP*009

    @property
    def answered_by(self) -> str:
        """"payer", "clearinghouse", or "sender" when the entity code says neither."""
        return SOURCE_KINDS.get(self.entity, "sender")

    @property
    def label(self) -> str:
        """For staff: "payer YOUR INSURANCE COMPANY (id YIC01)"."""
        text = self.answered_by
        if self.name:
            text += f" {self.name}"
        if self.id:
            text += f" (id {self.id})"
        return text


@dataclass(slots=True)
class InformationReceiver:
    """2000B/2100B/2200B: the submitter (us) and the batch-level statuses."""

    hl: str
    source_hl: str
    position: int
    id: str = ""  # NM109: our submitter id with this partner
    trace: str = ""  # 2200B TRN02: echoes the 837's BHT03 (our batch reference)
    statuses: list[Stc] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)

    @property
    def rejected(self) -> bool:
        return any(s.rejected for s in self.statuses)


@dataclass(slots=True)
class BillingProvider:
    """2000C/2100C/2200C: a billing provider and the provider-level statuses."""

    hl: str
    receiver_hl: str
    position: int
    id_qualifier: str = ""  # NM108: XX NPI, FI tax id, SV service provider number
    id: str = ""
    trace: str = ""  # 2200C TRN02
    secondary_ids: list[tuple[str, str]] = field(default_factory=list)  # REF qualifier, value
    statuses: list[Stc] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)

    @property
    def npi(self) -> str:
        return self.id if self.id_qualifier == "XX" else ""

    @property
    def label(self) -> str:
        kind = {"XX": "NPI", "FI": "tax id", "SV": "provider number"}.get(self.id_qualifier,
                                                                          "id")
        return f"billing provider {kind} {self.id}" if self.id else "billing provider"

    @property
    def rejected(self) -> bool:
        return any(s.rejected for s in self.statuses)


@dataclass(slots=True)
class LineAck:
    """2220D: what the 277CA says about one service line."""

    position: int  # of the SVC segment
    procedure: str = ""  # SVC01 with ':' between components: "HC:99213:25"
    charge: Decimal | None = None  # SVC02
    revenue_code: str = ""  # SVC04
    units: str = ""  # SVC07
    line_item_control_number: str = ""  # REF*FJ: our REF*6R
    service_from: dt.date | None = None
    service_to: dt.date | None = None
    statuses: list[Stc] = field(default_factory=list)

    @property
    def label(self) -> str:
        """For staff: "line L7-2 (HC:99213, charge 95.00)"."""
        text = "line" + (f" {self.line_item_control_number}"
                         if self.line_item_control_number else "")
        facts = [f for f in (self.procedure or self.revenue_code,
                             f"charge {self.charge}" if self.charge is not None else "") if f]
        return text + (f" ({', '.join(facts)})" if facts else "")


@dataclass(slots=True)
class ClaimAck:
    """2200D: what the 277CA says about one of our claims."""

    patient_control_number: str  # TRN02: our CLM01
    position: int  # of the TRN segment
    receiver_hl: str
    provider_hl: str | None  # None when the patient level hangs right under the receiver
    statuses: list[Stc] = field(default_factory=list)
    payer_claim_control_number: str = ""  # REF*1K
    clearinghouse_trace: str = ""  # REF*D9
    bill_type: str = ""  # REF*BLT (institutional only)
    service_from: dt.date | None = None  # DTP*472
    service_to: dt.date | None = None
    lines: list[LineAck] = field(default_factory=list)


@dataclass(slots=True)
class ClaimAck277:
    """One 277CA transaction set: who answered, and what about which batch, provider,
    claim and line."""

    control_number: str  # ST02
    interchange_control_number: str  # ISA13
    position: int  # of the ST segment
    reference: str = ""  # BHT03
    created: dt.date | None = None  # BHT04
    sources: list[InformationSource] = field(default_factory=list)
    receivers: list[InformationReceiver] = field(default_factory=list)
    providers: list[BillingProvider] = field(default_factory=list)
    claims: list[ClaimAck] = field(default_factory=list)
    # Segments the guide does not place where they were found: "REF*XX@17" (id and
    # qualifier at a position, never a value).
    skipped: list[str] = field(default_factory=list)

    @property
    def source(self) -> InformationSource | None:
        """The (first) information source: who answered."""
        return self.sources[0] if self.sources else None

    def receiver(self, hl: str) -> InformationReceiver | None:
        return next((r for r in self.receivers if r.hl == hl), None)

    def provider(self, hl: str | None) -> BillingProvider | None:
        return next((p for p in self.providers if p.hl == hl), None) if hl else None

    def source_of(self, claim: ClaimAck) -> InformationSource | None:
        receiver = self.receiver(claim.receiver_hl)
        if receiver is not None:
            for source in self.sources:
                if source.hl == receiver.source_hl:
                    return source
        return self.source

    def claims_under_receiver(self, hl: str) -> list[ClaimAck]:
        return [c for c in self.claims if c.receiver_hl == hl]

    def claims_under_provider(self, hl: str) -> list[ClaimAck]:
        return [c for c in self.claims if c.provider_hl == hl]
