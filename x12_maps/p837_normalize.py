"""A claim as it looks after our 837P writer and the reader: ``as_sent``.

The writer (:mod:`x12_maps.p837_writer`) does not carry everything the claim model can
hold; some of it by the guide's rules, some by design. ``as_sent`` applies each of those
steps to a claim, so that ``read_837(write(claims))`` can be compared with
``[as_sent(c) for c in claims]`` field for field. Every lossy step of the writer is one
line here; a difference the round trip finds beyond these is a writer or reader bug.

Lossy steps, by loop:

- 1000A/1000B: the claim's own ``submitter``/``receiver`` are replaced by the parties
  written (the submission's submitter, the partner's receiver). PER carries only the
  name, the phone as digits and the email; the receiver has no PER.
- Every N4: country ``US``/``USA`` (exactly those spellings) is not written.
- 2010AA/2310A/2310B (NM1): a provider with a last name is written as a person, so an
  organization name next to it is lost; one without is an organization, so a first
  name next to it is lost. 2310A has no PRV: the referring provider's taxonomy is lost.
- 2010AA PER: written only when the contact has a phone or an email; phone as digits.
  No PER carries a fax (``Contact.fax`` is never written).
- 2000B SBR: SBR02 is 18 exactly when there is no 2000C patient, and nothing otherwise;
  SBR04 (group name) only when there is no SBR03 (group number).
- 2010BA: address and DMG only when the subscriber is the patient; DMG only when both
  birth date and gender are known.
- 2400: DTP*472 is a single date (D8) when the range ends where it starts; SV105 is left
  out when it equals the claim's place of service (CLM05-1); LIN03 is the NDC without
  hyphens, and LIN/CTP (hence the NDC quantity and unit) only when there is an NDC.
- 2320 CAS / 2430 CAS: one CAS per group code, so adjustments come back grouped by
  group code (groups in order of first appearance, adjustments in their order within a
  group). AMT*D only when the paid amount is given. OI03/OI06 are the claim's CLM08/CLM09
  (the reader does not keep OI).
- 2430: written line by line, so a payer's line adjudications come back in service
  line order; SVD03 and SVD05 always carry a procedure, modifiers and units, so where
  the claim left them to default to the line's own, the line's own come back.
- Everywhere: an empty optional text is an empty element, which reads back as None.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from gateway.domain.claim import (
    Address,
    Adjustment,
    BillingProvider,
    Claim,
    Contact,
    LineAdjudication,
    OtherPayer,
    Party,
    Patient,
    Provider,
    ServiceLine,
    Subscriber,
)
from x12_maps.p837_writer import Party as WrittenParty
from x12_maps.p837_writer import grouped_adjustments

# The writer leaves N404 out for exactly these spellings (case-sensitive; see _address).
_US = ("US", "USA")
M = TypeVar("M", bound=BaseModel)


def as_sent(claim: Claim, *, submitter: WrittenParty, receiver: WrittenParty) -> Claim:
    """``claim`` after a write → read round trip with these 1000A/1000B parties."""
    c = _blank_to_none(claim)
    has_patient = c.patient is not None
    return c.model_copy(update={
        "submitter": _party(submitter, with_contact=True),
        "receiver": _party(receiver, with_contact=False),
        "billing_provider": _billing_provider(c.billing_provider),
        "pay_to": c.pay_to.model_copy(update={"address": _address(c.pay_to.address)})
        if c.pay_to else None,
        "subscriber": _subscriber(c.subscriber, has_patient=has_patient),
        "patient": _patient(c.patient) if c.patient else None,
        "payer": c.payer.model_copy(update={"address": _address(c.payer.address)}),
        "rendering_provider": _provider(c.rendering_provider),
        "referring_provider": _provider(c.referring_provider, taxonomy=False),
        "service_facility": c.service_facility.model_copy(
            update={"address": _address(c.service_facility.address)})
        if c.service_facility else None,
        "service_lines": [_line(line, c.place_of_service) for line in c.service_lines],
        "other_payers": [_other_payer(p, c.service_lines) for p in c.other_payers],
    })


def _blank_to_none(model: M) -> M:
    """Empty optional strings become None (an empty element reads back as absent)."""
    update: dict[str, Any] = {}
    for name, value in model.__dict__.items():
        if value == "":
            update[name] = None
        elif isinstance(value, BaseModel):
            update[name] = _blank_to_none(value)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            update[name] = [_blank_to_none(v) for v in value]
    return model.model_copy(update=update) if update else model


def _digits(text: str | None) -> str | None:
    digits = "".join(ch for ch in text or "" if ch.isdigit())
    return digits or None


def _party(p: WrittenParty, *, with_contact: bool) -> Party:
    contact = None
    if with_contact:
        # The writer's PER: name, TE digits, EM; what is empty reads back as absent.
        contact = Contact(name=p.contact_name or None, phone=_digits(p.contact_phone),
                          email=p.contact_email or None)
        if contact == Contact():
            contact = None
    return Party(name=p.name, id=p.id, contact=contact)


def _address(a: Address | None) -> Address | None:
    if a is None or a.country not in _US:
        return a
    return a.model_copy(update={"country": None})


def _billing_provider(bp: BillingProvider) -> BillingProvider:
    contact = bp.contact
    if contact is not None:
        contact = Contact(name=contact.name, phone=_digits(contact.phone),
                          email=contact.email) if contact.phone or contact.email else None
        if contact == Contact():
            contact = None
    return bp.model_copy(update={
        **_name_form(bp.last_name),
        "address": _address(bp.address),
        "contact": contact,
    })


def _name_form(last_name: str | None) -> dict[str, None]:
    """NM102: a person (last name given) has no organization name, and vice versa."""
    return {"organization_name": None} if last_name else {"first_name": None}


def _provider(p: Provider | None, *, taxonomy: bool = True) -> Provider | None:
    if p is None:
        return None
    update: dict[str, Any] = _name_form(p.last_name)
    if not taxonomy:
        update["taxonomy"] = None
    return p.model_copy(update=update)


def _subscriber(s: Subscriber, *, has_patient: bool) -> Subscriber:
    update: dict[str, Any] = {
        "relationship_to_patient": None if has_patient else "18",
        "group_name": None if s.group_number else s.group_name,
    }
    if has_patient:
        update.update(birth_date=None, gender=None, address=None)
    else:
        update["address"] = _address(s.address)
        if s.birth_date is None or s.gender is None:
            update.update(birth_date=None, gender=None)
    return s.model_copy(update=update)


def _patient(p: Patient) -> Patient:
    return p.model_copy(update={"address": _address(p.address)})


def _line(line: ServiceLine, claim_place_of_service: str) -> ServiceLine:
    update: dict[str, Any] = {}
    if line.service_date_end == line.service_date:
        update["service_date_end"] = None
    if line.place_of_service == claim_place_of_service:
        update["place_of_service"] = None
    if line.ndc:
        update["ndc"] = line.ndc.replace("-", "") or None
    else:
        update.update(ndc=None, ndc_quantity=None, ndc_unit=None)
    return line.model_copy(update=update)


def _grouped(adjustments: list[Adjustment]) -> list[Adjustment]:
    return [a for group in grouped_adjustments(adjustments) for a in group]


def _other_payer(p: OtherPayer, lines: list[ServiceLine]) -> OtherPayer:
    adjudications = sorted(p.lines, key=lambda a: a.line_number)
    return p.model_copy(update={
        "adjustments": _grouped(p.adjustments),
        "lines": [_adjudication(a, lines[a.line_number - 1]) for a in adjudications],
    })


def _adjudication(a: LineAdjudication, line: ServiceLine) -> LineAdjudication:
    return a.model_copy(update={
        "procedure_code": a.procedure_code if a.procedure_code is not None
        else line.procedure_code,
        "modifiers": a.modifiers if a.modifiers is not None else line.modifiers,
        "units": a.units if a.units is not None else line.units,
        "adjustments": _grouped(a.adjustments),
    })
