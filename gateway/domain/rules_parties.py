"""Rules on the parties: providers (PRV), subscriber and patient (SUB)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gateway.domain.claim import (
    Address,
    BillingProvider,
    Claim,
    Person,
    Provider,
    Subscriber,
    TaxIdType,
)
from gateway.domain.codes import CLAIM_FILING_INDICATORS, PATIENT_RELATIONSHIPS
from gateway.domain.findings import Finding
from gateway.domain.rules_core import Context, age_in_years, is_us_address, npi_is_valid, rule

# ------------------------------------------------------------------------------ PRV


@rule("PRV-001", "Billing provider NPI is 10 digits, starts with 1 or 2, and has a valid "
                 "check digit")
def billing_npi(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if not npi_is_valid(claim.billing_provider.npi):
        yield Finding("PRV-001", "billing_provider.npi",
                      "Billing provider NPI is not a valid NPI: it must be 10 digits, start "
                      "with 1 or 2 and end with the right check digit.")


@rule("PRV-002", "Rendering, referring and service facility NPIs, when given, pass the "
                 "same NPI check")
def other_npis(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for name, label, npi in (
        ("rendering_provider", "Rendering provider",
         claim.rendering_provider.npi if claim.rendering_provider else None),
        ("referring_provider", "Referring provider",
         claim.referring_provider.npi if claim.referring_provider else None),
        ("service_facility", "Service facility",
         claim.service_facility.npi if claim.service_facility else None),
    ):
        if npi is not None and not npi_is_valid(npi):
            yield Finding("PRV-002", f"{name}.npi",
                          f"{label} NPI is not a valid NPI: it must be 10 digits, start with "
                          "1 or 2 and end with the right check digit.")


@rule("PRV-009", "A referral number requires a referring provider")
def referral_needs_referrer(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if claim.referral_number and claim.referring_provider is None:
        yield Finding("PRV-009", "referring_provider",
                      "Referring provider is missing: a claim with a referral number must name "
                      "the referring provider.")


def _providers(claim: Claim) -> Iterator[tuple[str, str, BillingProvider | Provider]]:
    yield "billing_provider", "Billing provider", claim.billing_provider
    if claim.rendering_provider is not None:
        yield "rendering_provider", "Rendering provider", claim.rendering_provider
    if claim.referring_provider is not None:
        yield "referring_provider", "Referring provider", claim.referring_provider


@rule("PRV-010", "A provider who is a person (no organization name) has a first name as "
                 "well as a last name")
def person_provider_names(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for name, label, provider in _providers(claim):
        if not provider.organization_name and not provider.first_name:
            yield Finding("PRV-010", f"{name}.first_name",
                          f"{label} first name is missing: a provider who is a person needs "
                          "both first and last name (or give an organization name).")


# Street lines that are not a physical location: PO Box in its usual spellings, post
# office box, lock box, private mailbox (PMB).
_PO_BOX = re.compile(
    r"\b(?:P\s*\.?\s*O\s*\.?\s*(?:BOX|B\b)|POB\b|POST\s+OFFICE\s+BOX|POSTOFFICE\s+BOX"
    r"|LOCK\s*BOX|P\s*\.?\s*M\s*\.?\s*B\b)",
    re.IGNORECASE,
)


@rule("PRV-012", "Billing provider address is a street address, not a PO box, lock box "
                 "or private mailbox")
def billing_address_not_po_box(claim: Claim, ctx: Context) -> Iterator[Finding]:
    address = claim.billing_provider.address
    for field in ("line1", "line2"):
        text = getattr(address, field)
        if text and _PO_BOX.search(text):
            yield Finding("PRV-012", f"billing_provider.address.{field}",
                          "Billing provider address must be a physical street address, not a "
                          "PO box, lock box or private mailbox; put a PO box in the pay-to "
                          "address instead.")


_ZIP9 = re.compile(r"[0-9]{9}")
_ZIP5_OR_9 = re.compile(r"[0-9]{5}(?:[0-9]{4})?")


@rule("PRV-013", "Billing provider and service facility ZIP codes (US) are exactly 9 digits "
                 "(ZIP+4)")
def billing_zip(claim: Claim, ctx: Context) -> Iterator[Finding]:
    # 2010AA and 2310C N403 both need the full ZIP+4 (CLAIM-EDITS PRV-013).
    located = [("billing_provider.address", "Billing provider", claim.billing_provider.address)]
    if claim.service_facility is not None:
        located.append(("service_facility.address", "Service facility",
                        claim.service_facility.address))
    for path, label, address in located:
        if is_us_address(address) and not _ZIP9.fullmatch(address.zip):
            yield Finding("PRV-013", f"{path}.zip",
                          f"{label} ZIP code must be the full 9-digit ZIP+4, digits only "
                          "(no hyphen).")


def _other_addresses(claim: Claim) -> Iterator[tuple[str, str, Address]]:
    if claim.subscriber.address is not None:
        yield "subscriber.address", "Subscriber", claim.subscriber.address
    if claim.patient is not None:
        yield "patient.address", "Patient", claim.patient.address
    if claim.payer.address is not None:
        yield "payer.address", "Payer", claim.payer.address
    if claim.pay_to is not None:
        yield "pay_to.address", "Pay-to", claim.pay_to.address


@rule("PRV-014", "Every other US ZIP code (subscriber, patient, payer, pay-to) is 5 or 9 "
                 "digits")
def other_zips(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for path, label, address in _other_addresses(claim):
        if is_us_address(address) and not _ZIP5_OR_9.fullmatch(address.zip):
            yield Finding("PRV-014", f"{path}.zip",
                          f"{label} ZIP code must be 5 or 9 digits, digits only (no hyphen).")


_EIN = re.compile(r"[0-9]{9}")
_SSN = re.compile(r"(?!000|666|9)[0-9]{3}(?!00)[0-9]{2}(?!0000)[0-9]{4}")


@rule("PRV-016", "Billing provider tax id: an EIN is 9 digits; an SSN is 9 digits with a "
                 "possible area, group and serial number")
def tax_id(claim: Claim, ctx: Context) -> Iterator[Finding]:
    tin = claim.billing_provider.tax_id
    if tin.type is TaxIdType.EIN:
        if not _EIN.fullmatch(tin.value):
            yield Finding("PRV-016", "billing_provider.tax_id.value",
                          "Billing provider EIN must be exactly 9 digits, without the hyphen.")
    elif not _SSN.fullmatch(tin.value):
        yield Finding("PRV-016", "billing_provider.tax_id.value",
                      "Billing provider SSN is not a possible SSN: it must be 9 digits without "
                      "hyphens, and its area, group and serial parts may not be all zeros "
                      "(nor the area 666 or 900 and above).")


_TAXONOMY = re.compile(r"[0-9A-Z]{9}X")


@rule("PRV-017", "Provider taxonomy codes are 10 characters, letters and digits, ending in X")
def taxonomy_shape(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for name, label, provider in _providers(claim):
        if provider.taxonomy is not None and not _TAXONOMY.fullmatch(provider.taxonomy):
            yield Finding("PRV-017", f"{name}.taxonomy",
                          f"{label} taxonomy code is not a taxonomy code: it must be 10 upper "
                          "case letters and digits ending in X.")


# ------------------------------------------------------------------------------ SUB


@rule("SUB-003", "Subscriber relationship, if given, is self exactly when there is no "
                 "patient; a patient's relationship is a PAT01 code")
def relationship(claim: Claim, ctx: Context) -> Iterator[Finding]:
    relation = claim.subscriber.relationship_to_patient
    is_self = relation == "18"
    if claim.patient is None and relation not in (None, "18"):
        yield Finding("SUB-003", "subscriber.relationship_to_patient",
                      "Subscriber relationship to patient must be self when no separate patient "
                      "is given; add the patient, or set the relationship to self.")
    elif claim.patient is not None:
        if is_self:
            yield Finding("SUB-003", "subscriber.relationship_to_patient",
                          "Subscriber relationship to patient is self, but a separate patient is "
                          "given; remove the patient or correct the relationship.")
        if claim.patient.relationship_to_subscriber not in PATIENT_RELATIONSHIPS:
            yield Finding("SUB-003", "patient.relationship_to_subscriber",
                          "Patient relationship to subscriber is not a valid code (spouse, child, "
                          "employee, unknown, organ or cadaver donor, life partner, other).")


def _people(claim: Claim) -> Iterator[tuple[str, str, Person | Subscriber]]:
    yield "subscriber", "Subscriber", claim.subscriber
    if claim.patient is not None:
        yield "patient", "Patient", claim.patient


@rule("SUB-005", "Subscriber and patient birth dates are not in the future and less than "
                 "150 years ago")
def birth_dates(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for name, label, person in _people(claim):
        if person.birth_date is None:
            continue  # required or not: SUB-008's business
        if person.birth_date > ctx.today:
            yield Finding("SUB-005", f"{name}.birth_date",
                          f"{label} birth date is in the future.")
        elif age_in_years(person.birth_date, ctx.today) >= 150:
            yield Finding("SUB-005", f"{name}.birth_date",
                          f"{label} birth date is 150 or more years ago.")


@rule("SUB-007", "Subscriber claim filing indicator is a valid SBR09 code")
def claim_filing_indicator(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if claim.subscriber.claim_filing_indicator not in CLAIM_FILING_INDICATORS:
        yield Finding("SUB-007", "subscriber.claim_filing_indicator",
                      "Subscriber claim filing indicator is not a valid code (for example CI "
                      "commercial, MB Medicare Part B, MC Medicaid; see the rules guide).")


@rule("SUB-008", "When the subscriber is the patient, the subscriber's birth date, gender and "
                 "address are given")
def subscriber_demographics(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if claim.patient is not None:
        return
    for field in ("birth_date", "gender", "address"):
        if getattr(claim.subscriber, field) is None:
            yield Finding("SUB-008", f"subscriber.{field}",
                          "The subscriber is the patient here, so the subscriber's birth date, "
                          "gender and address are required (2010BA DMG, N3, N4).")


@rule("PRV-019", "A referring provider is a person (2310A allows no organization)")
def referring_is_a_person(claim: Claim, ctx: Context) -> Iterator[Finding]:
    referring = claim.referring_provider
    if referring is not None and not referring.last_name:
        yield Finding("PRV-019", "referring_provider.last_name",
                      "Referring provider must be a person: give the last and first name "
                      "(an organization cannot be a referring provider in the 837P).")
