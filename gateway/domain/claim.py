"""The professional claim as the gateway receives it: everything an 837P needs.

Pure data, no I/O. Parsing checks types and shapes that make a value meaningless
(a date that is not a date, an unknown enum value); the payer-facing checks live in
:mod:`gateway.domain.rules` so that each one carries a stable rule code.
Field names follow the user's vocabulary, not X12 element ids; ``docs/claim-format.md``
maps each field to its 837P loop and segment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Money: two decimals at most, the way SV102/CLM02 carry it.
Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
Text = Annotated[str, Field(min_length=1, max_length=80)]

MAX_DIAGNOSES = 12
MAX_LINES = 50
MAX_MODIFIERS = 4
MAX_POINTERS = 4
MAX_OTHER_PAYERS = 10
#: One CAS segment holds six adjustments; the writer sends one CAS per group code.
MAX_ADJUSTMENTS_PER_GROUP = 6


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Gender(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


class UnitType(StrEnum):
    UNIT = "UN"
    MINUTES = "MJ"


class FrequencyCode(StrEnum):
    ORIGINAL = "1"
    REPLACEMENT = "7"
    VOID = "8"


class TaxIdType(StrEnum):
    EIN = "EIN"
    SSN = "SSN"


class Address(_Model):
    line1: Annotated[str, Field(min_length=1, max_length=55)]
    line2: Annotated[str | None, Field(max_length=55)] = None
    city: Annotated[str, Field(min_length=2, max_length=30)]
    state: Annotated[str, Field(min_length=2, max_length=2)]
    zip: Annotated[str, Field(min_length=3, max_length=15)]
    country: Annotated[str | None, Field(min_length=2, max_length=3)] = None


class Contact(_Model):
    name: Annotated[str | None, Field(max_length=60)] = None
    phone: Annotated[str | None, Field(max_length=20)] = None
    email: Annotated[str | None, Field(max_length=80)] = None
    fax: Annotated[str | None, Field(max_length=20)] = None


class Party(_Model):
    """Submitter (1000A) or receiver (1000B): who sends the file, who takes it."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    id: Annotated[str, Field(min_length=2, max_length=80)]
    contact: Contact | None = None


class TaxId(_Model):
    type: TaxIdType
    value: Annotated[str, Field(min_length=1, max_length=11)]


class BillingProvider(_Model):
    """2010AA. An organization name, or last/first name for a sole practitioner."""

    npi: Annotated[str, Field(min_length=1, max_length=15)]
    organization_name: Annotated[str | None, Field(max_length=60)] = None
    last_name: Annotated[str | None, Field(max_length=60)] = None
    first_name: Annotated[str | None, Field(max_length=35)] = None
    tax_id: TaxId
    taxonomy: Annotated[str | None, Field(max_length=50)] = None
    address: Address
    contact: Contact | None = None

    @model_validator(mode="after")
    def _has_a_name(self) -> BillingProvider:
        if not self.organization_name and not self.last_name:
            raise ValueError("either organization_name or last_name is required")
        return self


class PayTo(_Model):
    """2010AB: where payment goes when it is not the billing provider's address."""

    address: Address


class Provider(_Model):
    """Rendering (2310B), referring (2310A) and similar person-or-organization providers."""

    npi: Annotated[str, Field(min_length=1, max_length=15)]
    last_name: Annotated[str | None, Field(max_length=60)] = None
    first_name: Annotated[str | None, Field(max_length=35)] = None
    organization_name: Annotated[str | None, Field(max_length=60)] = None
    taxonomy: Annotated[str | None, Field(max_length=50)] = None

    @model_validator(mode="after")
    def _has_a_name(self) -> Provider:
        if not self.organization_name and not self.last_name:
            raise ValueError("either organization_name or last_name is required")
        return self


class ServiceFacility(_Model):
    """2310C: where the service was rendered, when not at the billing address."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    npi: Annotated[str | None, Field(max_length=15)] = None
    address: Address


class Person(_Model):
    last_name: Annotated[str, Field(min_length=1, max_length=60)]
    first_name: Annotated[str | None, Field(max_length=35)] = None
    middle_name: Annotated[str | None, Field(max_length=25)] = None
    suffix: Annotated[str | None, Field(max_length=10)] = None
    birth_date: dt.date
    gender: Gender
    address: Address


class Subscriber(_Model):
    """2000B/2010BA: the insured member.

    Birth date, gender and address are sent only when the subscriber is the patient
    (no ``patient``); rule SUB-008 requires them then. For a dependant's claim they
    may be left out, as most 837P files from other systems do.
    """

    last_name: Annotated[str, Field(min_length=1, max_length=60)]
    first_name: Annotated[str | None, Field(max_length=35)] = None
    middle_name: Annotated[str | None, Field(max_length=25)] = None
    suffix: Annotated[str | None, Field(max_length=10)] = None
    birth_date: dt.date | None = None
    gender: Gender | None = None
    address: Address | None = None
    member_id: Annotated[str, Field(min_length=1, max_length=80)]
    group_number: Annotated[str | None, Field(max_length=50)] = None
    group_name: Annotated[str | None, Field(max_length=60)] = None
    # SBR01: P primary, S secondary, T tertiary (A-H, U for further payers).
    payer_responsibility: Annotated[str, Field(pattern=r"^[PSTABCDEFGHU]$")] = "P"
    # SBR09 claim filing indicator: 12..16, CI commercial, MB Medicare B, MC Medicaid, ...
    claim_filing_indicator: Annotated[str, Field(min_length=1, max_length=2)] = "CI"
    # SBR02: 18 = the subscriber is the patient. Optional: it follows from whether a
    # separate `patient` is given (SUB-003 checks that the two agree when both are set).
    relationship_to_patient: Annotated[str | None, Field(min_length=2, max_length=2)] = None


class Patient(Person):
    """2000C/2010CA: the patient when not the subscriber."""

    # PAT01: 01 spouse, 19 child, 20 employee, 21 unknown, 39 organ donor,
    # 40 cadaver donor, 53 life partner, G8 other relationship.
    relationship_to_subscriber: Annotated[str, Field(min_length=2, max_length=2)]


class Payer(_Model):
    """2010BB: the destination payer."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    payer_id: Annotated[str, Field(min_length=2, max_length=80)]
    address: Address | None = None


class Accident(_Model):
    """CLM11: AA auto, EM employment, OA other accident; DTP*439 date."""

    cause: Annotated[str, Field(pattern=r"^(AA|EM|OA)$")]
    date: dt.date
    state: Annotated[str | None, Field(min_length=2, max_length=2)] = None


class ServiceLine(_Model):
    """2400: one procedure on one date (or range)."""

    procedure_code: Annotated[str, Field(min_length=1, max_length=48)]
    modifiers: list[Annotated[str, Field(min_length=1, max_length=2)]] = Field(default_factory=list)
    charge: Money
    units: Annotated[Decimal, Field(max_digits=10, decimal_places=3)] = Decimal(1)
    unit_type: UnitType = UnitType.UNIT
    place_of_service: Annotated[str | None, Field(max_length=2)] = None
    diagnosis_pointers: list[int] = Field(min_length=1)
    service_date: dt.date
    service_date_end: dt.date | None = None
    ndc: Annotated[str | None, Field(max_length=48)] = None
    ndc_quantity: Annotated[Decimal | None, Field(max_digits=12, decimal_places=3)] = None
    ndc_unit: Annotated[str | None, Field(pattern=r"^(F2|GR|ME|ML|UN)$")] = None
    line_item_control_number: Annotated[str | None, Field(max_length=50)] = None
    description: Annotated[str | None, Field(max_length=80)] = None


class AdjustmentGroup(StrEnum):
    """CAS01 claim adjustment group code."""

    CONTRACTUAL = "CO"
    CORRECTION = "CR"
    OTHER = "OA"
    PAYER_INITIATED = "PI"
    PATIENT_RESPONSIBILITY = "PR"


class Adjustment(_Model):
    """One CAS adjustment triple: group, reason (CARC), amount, optional quantity."""

    group: AdjustmentGroup
    reason: Annotated[str, Field(min_length=1, max_length=5)]
    amount: Money
    quantity: Annotated[Decimal | None, Field(max_digits=15, decimal_places=3)] = None


def _check_adjustment_groups(adjustments: list[Adjustment]) -> list[Adjustment]:
    counts: dict[AdjustmentGroup, int] = {}
    for adjustment in adjustments:
        counts[adjustment.group] = counts.get(adjustment.group, 0) + 1
    if any(n > MAX_ADJUSTMENTS_PER_GROUP for n in counts.values()):
        raise ValueError("at most 6 adjustments per group code (one CAS segment holds six)")
    return adjustments


class LineAdjudication(_Model):
    """2430: how a prior payer adjudicated one service line (SVD, CAS, DTP*573)."""

    # 1-based index into the claim's service_lines.
    line_number: Annotated[int, Field(ge=1)]
    paid_amount: Money  # SVD02
    # SVD03: the procedure and modifiers the payer adjudicated; None = the line's own
    # (each on its own: a code without modifiers is ``modifiers=[]``).
    procedure_code: Annotated[str | None, Field(min_length=1, max_length=48)] = None
    modifiers: list[Annotated[str, Field(min_length=1, max_length=2)]] | None = Field(
        default=None, max_length=MAX_MODIFIERS)
    # SVD05 paid units; None = the line's own units.
    units: Annotated[Decimal | None, Field(max_digits=15, decimal_places=3)] = None
    adjustments: list[Adjustment] = Field(default_factory=list)
    adjudication_date: dt.date  # DTP*573, required in 2430

    _groups = field_validator("adjustments")(_check_adjustment_groups)


class OtherInsured(_Model):
    """2330A: the insured under the other payer's policy."""

    last_name: Annotated[str, Field(min_length=1, max_length=60)]
    first_name: Annotated[str | None, Field(max_length=35)] = None
    member_id: Annotated[str, Field(min_length=2, max_length=80)]


class OtherPayerName(_Model):
    """2330B: the other payer."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    payer_id: Annotated[str, Field(min_length=2, max_length=80)]


class OtherPayer(_Model):
    """2320/2330A/2330B (+2430 per line): another payer and, for a prior payer, how it
    adjudicated the claim. A claim carrying these is a secondary (or tertiary) claim."""

    # 2320 SBR01: P primary, S secondary, T tertiary, A-H payers 4-11, U unknown.
    payer_responsibility: Annotated[str, Field(pattern=r"^[PSTABCDEFGHU]$")]
    # 2320 SBR02: the patient's relationship to the other insured (18 = self).
    relationship: Annotated[str, Field(pattern=r"^(01|18|19|20|21|39|40|53|G8)$")]
    group_number: Annotated[str | None, Field(max_length=50)] = None  # SBR03
    claim_filing_indicator: Annotated[str | None, Field(min_length=1, max_length=2)] = None
    insured: OtherInsured
    payer: OtherPayerName
    paid_amount: Money | None = None  # AMT*D; None when the payer paid nothing yet
    adjustments: list[Adjustment] = Field(default_factory=list)  # claim-level CAS
    adjudication_date: dt.date | None = None  # 2330B DTP*573
    lines: list[LineAdjudication] = Field(default_factory=list)

    _groups = field_validator("adjustments")(_check_adjustment_groups)

    @field_validator("lines")
    @classmethod
    def _one_per_line(cls, lines: list[LineAdjudication]) -> list[LineAdjudication]:
        numbers = [line.line_number for line in lines]
        if len(numbers) != len(set(numbers)):
            raise ValueError("a payer adjudicates each service line at most once")
        return lines

    @property
    def adjudicated(self) -> bool:
        """Whether this payer reports an adjudication (a prior payer) at all."""
        return self.paid_amount is not None or bool(self.adjustments) or bool(self.lines)


class Claim(_Model):
    """One 837P claim (2300 and everything it hangs on)."""

    submitter: Party | None = None
    receiver: Party | None = None
    billing_provider: BillingProvider
    pay_to: PayTo | None = None
    subscriber: Subscriber
    patient: Patient | None = None
    payer: Payer

    patient_control_number: Annotated[str, Field(min_length=1, max_length=38)]
    total_charge: Money
    place_of_service: Annotated[str, Field(min_length=1, max_length=2)]
    frequency_code: FrequencyCode = FrequencyCode.ORIGINAL
    payer_claim_control_number: Annotated[str | None, Field(max_length=50)] = None
    provider_signature: bool = True
    # CLM07: A assigned, B lab services only, C not assigned.
    accepts_assignment: Annotated[str, Field(pattern=r"^[ABC]$")] = "A"
    # CLM08: Y, N, or W (not applicable: patient refuses to assign).
    benefits_assigned: Annotated[str, Field(pattern=r"^[YNW]$")] = "Y"
    # CLM09: Y signed statement on file, I informed consent for limited release.
    release_of_information: Annotated[str, Field(pattern=r"^[YI]$")] = "Y"
    onset_date: dt.date | None = None
    accident: Accident | None = None
    prior_authorization: Annotated[str | None, Field(max_length=50)] = None
    referral_number: Annotated[str | None, Field(max_length=50)] = None
    note: Annotated[str | None, Field(max_length=80)] = None

    # Upper bounds are scrubbing rules (with rule codes), not parse errors.
    diagnoses: list[Annotated[str, Field(min_length=1, max_length=30)]] = Field(min_length=1)
    rendering_provider: Provider | None = None
    referring_provider: Provider | None = None
    service_facility: ServiceFacility | None = None
    service_lines: list[ServiceLine] = Field(min_length=1)
    # 2320/2330/2430: other payers (prior payers' adjudication on a secondary claim).
    other_payers: list[OtherPayer] = Field(default_factory=list, max_length=MAX_OTHER_PAYERS)

    @model_validator(mode="after")
    def _other_payers_fit(self) -> Claim:
        ids = [p.payer.payer_id for p in self.other_payers]
        if len(ids) != len(set(ids)):
            raise ValueError("other payers need distinct payer ids (2430 SVD01 names one)")
        count = len(self.service_lines)
        if any(line.line_number > count for p in self.other_payers for line in p.lines):
            raise ValueError("a line adjudication's line_number points past the service lines")
        return self

    @field_validator("diagnoses")
    @classmethod
    def _canonical_diagnoses(cls, codes: list[str]) -> list[str]:
        # ICD-10-CM as printed in the code book: upper case, dot after the category.
        out = []
        for code in codes:
            bare = code.strip().upper().replace(".", "")
            out.append(f"{bare[:3]}.{bare[3:]}" if len(bare) > 3 else bare)
        return out

    @property
    def the_patient(self) -> Person | Subscriber:
        """Whoever received the services: the patient loop if any, else the subscriber."""
        return self.patient if self.patient is not None else self.subscriber

    def service_period(self) -> tuple[dt.date, dt.date]:
        starts = [line.service_date for line in self.service_lines]
        ends = [line.service_date_end or line.service_date for line in self.service_lines]
        return min(starts), max(ends)
