"""837P (005010X222A1) writer: claims → one transaction set body (BHT .. last 2400).

Loops written: 1000A/B, 2000A/2010AA(/AB), 2000B/2010BA/BB, 2000C/2010CA when the
patient is not the subscriber, 2300 (CLM, DTP 431/439, REF 9F/G1/F8, NTE, HI), 2310A/B/C,
2320/2330A/2330B for each other payer of a secondary claim (SBR, CAS grouped by group
code, AMT*D, OI, NM1*IL, NM1*PR, DTP*573), 2400 (LX, SV1, DTP*472, REF*6R), 2410
(LIN/CTP) for drugs and 2430 (SVD, CAS, DTP*573) for each line a prior payer
adjudicated.

Claims are grouped billing provider → subscriber (+ payer) → patient, and each segment
is tagged with the claims it belongs to, so a validation error found at a segment
position can be charged to exactly the claims that caused it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.domain.claim import (
    Address,
    Adjustment,
    BillingProvider,
    Claim,
    Contact,
    LineAdjudication,
    OtherPayer,
    Patient,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
    TaxIdType,
)
from gateway.x12.writer import Element, Segment, seg

VERSION = "005010X222A1"


@dataclass(frozen=True, slots=True)
class Party:
    """1000A submitter or 1000B receiver."""

    name: str
    id: str
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimToSend:
    claim_id: int
    claim: Claim


@dataclass(slots=True)
class TaggedSegments:
    """Segments with, for each, the ids of the claims it belongs to."""

    segments: list[Segment] = field(default_factory=list)
    owners: list[tuple[int, ...]] = field(default_factory=list)

    def add(self, segment: Segment, owners: tuple[int, ...]) -> None:
        self.segments.append(segment)
        self.owners.append(owners)


def amount(value: Decimal) -> str:
    """X12 R type: no exponent, no needless zeros ("225", "50.5")."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def transaction_body(claims: Sequence[ClaimToSend], *, submitter: Party, receiver: Party,
                     reference: str, created: dt.datetime) -> TaggedSegments:
    """BHT through the last service line for ``claims`` (one ST's worth)."""
    everyone = tuple(c.claim_id for c in claims)
    out = TaggedSegments()
    out.add(seg("BHT", "0019", "00", reference, ymd(created.date()), created.strftime("%H%M"),
                "CH"), everyone)
    out.add(seg("NM1", "41", "2", submitter.name, None, None, None, None, "46", submitter.id),
            everyone)
    out.add(_per(submitter.contact_name, submitter.contact_phone, submitter.contact_email),
            everyone)
    out.add(seg("NM1", "40", "2", receiver.name, None, None, None, None, "46", receiver.id),
            everyone)

    hl = 0
    for provider_claims in _group(claims, _provider_key):
        hl += 1
        provider_hl = hl
        ids = tuple(c.claim_id for c in provider_claims)
        _billing_provider(out, provider_claims[0].claim, provider_hl, ids)
        for subscriber_claims in _group(provider_claims, _subscriber_key):
            hl += 1
            subscriber_hl = hl
            first = subscriber_claims[0].claim
            has_patients = first.patient is not None
            sub_ids = tuple(c.claim_id for c in subscriber_claims)
            _subscriber(out, first, subscriber_hl, provider_hl, has_patients, sub_ids)
            if not has_patients:
                for item in subscriber_claims:
                    _claim(out, item.claim, (item.claim_id,))
                continue
            for patient_claims in _group(subscriber_claims, _patient_key):
                hl += 1
                pat_ids = tuple(c.claim_id for c in patient_claims)
                patient = patient_claims[0].claim.patient
                assert patient is not None
                _patient(out, patient, hl, subscriber_hl, pat_ids)
                for item in patient_claims:
                    _claim(out, item.claim, (item.claim_id,))
    return out


def _group(items: Sequence[ClaimToSend], key: object) -> list[list[ClaimToSend]]:
    """Stable grouping: first-seen order of keys, claims in input order within."""
    groups: dict[str, list[ClaimToSend]] = {}
    for item in items:
        groups.setdefault(key(item.claim), []).append(item)  # type: ignore[operator]
    return list(groups.values())


def _provider_key(c: Claim) -> str:
    pay_to = c.pay_to.model_dump_json() if c.pay_to else ""
    return c.billing_provider.model_dump_json() + pay_to


def _subscriber_key(c: Claim) -> str:
    # The patient-is-subscriber flag is part of the key: SBR02 belongs to the 2000B.
    return f"{c.patient is None}|{c.subscriber.model_dump_json()}|{c.payer.model_dump_json()}"


def _patient_key(c: Claim) -> str:
    return c.patient.model_dump_json() if c.patient else ""


def _per(name: str | None, phone: str | None, email: str | None) -> Segment:
    numbers: list[Element] = []
    if phone:
        numbers += ["TE", _digits(phone)]
    if email:
        numbers += ["EM", email]
    return seg("PER", "IC", name, *numbers)


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def _address(out: TaggedSegments, address: Address, owners: tuple[int, ...]) -> None:
    out.add(seg("N3", address.line1, address.line2), owners)
    country = (address.country if address.country and address.country.upper() not in (
        "US", "USA") else None)
    out.add(seg("N4", address.city, address.state, address.zip, country), owners)


def _name(qualifier: str, last: str | None, first: str | None, org: str | None,
          id_qualifier: str | None, ident: str | None, middle: str | None = None,
          suffix: str | None = None) -> Segment:
    if last:
        return seg("NM1", qualifier, "1", last, first, middle, None, suffix, id_qualifier, ident)
    return seg("NM1", qualifier, "2", org, None, None, None, None, id_qualifier, ident)


def _billing_provider(out: TaggedSegments, c: Claim, hl: int, ids: tuple[int, ...]) -> None:
    bp: BillingProvider = c.billing_provider
    out.add(seg("HL", str(hl), None, "20", "1"), ids)
    if bp.taxonomy:
        out.add(seg("PRV", "BI", "PXC", bp.taxonomy), ids)
    out.add(_name("85", bp.last_name, bp.first_name, bp.organization_name, "XX", bp.npi), ids)
    _address(out, bp.address, ids)
    out.add(seg("REF", "EI" if bp.tax_id.type is TaxIdType.EIN else "SY", bp.tax_id.value), ids)
    contact: Contact | None = bp.contact
    if contact and (contact.phone or contact.email):
        out.add(_per(contact.name, contact.phone, contact.email), ids)
    if c.pay_to:
        out.add(seg("NM1", "87", "2"), ids)
        _address(out, c.pay_to.address, ids)


def _subscriber(out: TaggedSegments, c: Claim, hl: int, parent: int, has_patients: bool,
                ids: tuple[int, ...]) -> None:
    s: Subscriber = c.subscriber
    out.add(seg("HL", str(hl), str(parent), "22", "1" if has_patients else "0"), ids)
    out.add(seg("SBR", s.payer_responsibility, None if has_patients else "18",
                s.group_number, None if s.group_number else s.group_name, None, None, None,
                None, s.claim_filing_indicator), ids)
    out.add(_name("IL", s.last_name, s.first_name, None, "MI", s.member_id, s.middle_name,
                  s.suffix), ids)
    if not has_patients:
        # Address and demographics travel with whoever is the patient.
        if s.address is not None:
            _address(out, s.address, ids)
        demographics = _demographics(s)
        if demographics is not None:
            out.add(demographics, ids)
    out.add(seg("NM1", "PR", "2", c.payer.name, None, None, None, None, "PI",
                c.payer.payer_id), ids)
    if c.payer.address:
        _address(out, c.payer.address, ids)


def _demographics(p: Person | Subscriber) -> Segment | None:
    if p.birth_date is None or p.gender is None:
        return None  # scrubbing (SUB-008) refuses such a claim before it gets here
    return seg("DMG", "D8", ymd(p.birth_date), p.gender.value)


def _patient(out: TaggedSegments, p: Patient, hl: int, parent: int, ids: tuple[int, ...]
             ) -> None:
    out.add(seg("HL", str(hl), str(parent), "23", "0"), ids)
    out.add(seg("PAT", p.relationship_to_subscriber), ids)
    out.add(_name("QC", p.last_name, p.first_name, None, None, None, p.middle_name, p.suffix),
            ids)
    _address(out, p.address, ids)
    demographics = _demographics(p)
    if demographics is not None:
        out.add(demographics, ids)


def _claim(out: TaggedSegments, c: Claim, ids: tuple[int, ...]) -> None:
    accident: Element | None = None
    if c.accident:
        accident = (c.accident.cause, "", "", c.accident.state or "")
    out.add(seg("CLM", c.patient_control_number, amount(c.total_charge), None, None,
                (c.place_of_service, "B", c.frequency_code.value),
                "Y" if c.provider_signature else "N", c.accepts_assignment, c.benefits_assigned,
                c.release_of_information, None, accident), ids)
    if c.onset_date:
        out.add(seg("DTP", "431", "D8", ymd(c.onset_date)), ids)
    if c.accident:
        out.add(seg("DTP", "439", "D8", ymd(c.accident.date)), ids)
    # REF order follows the guide's positions: 9F, G1, F8.
    if c.referral_number:
        out.add(seg("REF", "9F", c.referral_number), ids)
    if c.prior_authorization:
        out.add(seg("REF", "G1", c.prior_authorization), ids)
    if c.payer_claim_control_number:
        out.add(seg("REF", "F8", c.payer_claim_control_number), ids)
    if c.note:
        out.add(seg("NTE", "ADD", c.note), ids)
    out.add(seg("HI", *((("ABK" if i == 0 else "ABF"), code.replace(".", "").upper())
                        for i, code in enumerate(c.diagnoses))), ids)
    if c.referring_provider:
        r = c.referring_provider
        out.add(_name("DN", r.last_name, r.first_name, r.organization_name, "XX", r.npi), ids)
    if c.rendering_provider:
        _rendering(out, c.rendering_provider, ids)
    if c.service_facility:
        f = c.service_facility
        out.add(seg("NM1", "77", "2", f.name, None, None, None, None,
                    "XX" if f.npi else None, f.npi), ids)
        _address(out, f.address, ids)
    for other in c.other_payers:
        _other_payer(out, c, other, ids)
    for n, line in enumerate(c.service_lines, start=1):
        _line(out, n, line, c.place_of_service, ids)
        for other in c.other_payers:
            for adjudication in other.lines:
                if adjudication.line_number == n:
                    _line_adjudication(out, other, adjudication, line, ids)


def _rendering(out: TaggedSegments, r: Provider, ids: tuple[int, ...]) -> None:
    out.add(_name("82", r.last_name, r.first_name, r.organization_name, "XX", r.npi), ids)
    if r.taxonomy:
        out.add(seg("PRV", "PE", "PXC", r.taxonomy), ids)


def _line(out: TaggedSegments, n: int, line: ServiceLine, claim_pos: str,
          ids: tuple[int, ...]) -> None:
    out.add(seg("LX", str(n)), ids)
    procedure = ("HC", line.procedure_code, *line.modifiers,
                 *([""] * (4 - len(line.modifiers))), line.description or "")
    pos = line.place_of_service if line.place_of_service not in (None, claim_pos) else None
    out.add(seg("SV1", procedure, amount(line.charge), line.unit_type.value,
                amount(line.units), pos, None,
                tuple(str(p) for p in line.diagnosis_pointers)), ids)
    if line.service_date_end and line.service_date_end != line.service_date:
        out.add(seg("DTP", "472", "RD8",
                    f"{ymd(line.service_date)}-{ymd(line.service_date_end)}"), ids)
    else:
        out.add(seg("DTP", "472", "D8", ymd(line.service_date)), ids)
    if line.line_item_control_number:
        out.add(seg("REF", "6R", line.line_item_control_number), ids)
    if line.ndc:
        out.add(seg("LIN", None, "N4", line.ndc.replace("-", "")), ids)
        out.add(seg("CTP", None, None, None,
                    amount(line.ndc_quantity) if line.ndc_quantity is not None else None,
                    line.ndc_unit), ids)


def grouped_adjustments(adjustments: Sequence[Adjustment]) -> list[list[Adjustment]]:
    """Adjustments by CAS01 group code (one CAS per group, COB-007): groups in order of
    first appearance, adjustments in their order within a group."""
    groups: dict[str, list[Adjustment]] = {}
    for adjustment in adjustments:
        groups.setdefault(adjustment.group.value, []).append(adjustment)
    return list(groups.values())


def _cas(out: TaggedSegments, adjustments: Sequence[Adjustment], ids: tuple[int, ...]) -> None:
    for group in grouped_adjustments(adjustments):
        triples: list[Element | None] = []
        for a in group:
            triples += [a.reason, amount(a.amount),
                        amount(a.quantity) if a.quantity is not None else None]
        out.add(seg("CAS", group[0].group.value, *triples), ids)


def _other_payer(out: TaggedSegments, c: Claim, p: OtherPayer, ids: tuple[int, ...]) -> None:
    """2320 (SBR, CAS, AMT*D, OI), 2330A (NM1*IL), 2330B (NM1*PR, DTP*573)."""
    out.add(seg("SBR", p.payer_responsibility, p.relationship, p.group_number, None, None,
                None, None, None, p.claim_filing_indicator), ids)
    _cas(out, p.adjustments, ids)
    if p.paid_amount is not None:
        out.add(seg("AMT", "D", amount(p.paid_amount)), ids)
    # OI03 benefits assignment and OI06 release of information: the claim's CLM08/CLM09.
    out.add(seg("OI", None, None, c.benefits_assigned, None, None,
                c.release_of_information), ids)
    out.add(seg("NM1", "IL", "1", p.insured.last_name, p.insured.first_name, None, None, None,
                "MI", p.insured.member_id), ids)
    out.add(seg("NM1", "PR", "2", p.payer.name, None, None, None, None, "PI",
                p.payer.payer_id), ids)
    if p.adjudication_date is not None:
        out.add(seg("DTP", "573", "D8", ymd(p.adjudication_date)), ids)


def _line_adjudication(out: TaggedSegments, p: OtherPayer, a: LineAdjudication,
                       line: ServiceLine, ids: tuple[int, ...]) -> None:
    """2430: SVD, CAS per group code, DTP*573."""
    code = a.procedure_code if a.procedure_code is not None else line.procedure_code
    modifiers = a.modifiers if a.modifiers is not None else line.modifiers
    units = a.units if a.units is not None else line.units
    out.add(seg("SVD", p.payer.payer_id, amount(a.paid_amount), ("HC", code, *modifiers),
                None, amount(units)), ids)
    _cas(out, a.adjustments, ids)
    out.add(seg("DTP", "573", "D8", ymd(a.adjudication_date)), ids)
