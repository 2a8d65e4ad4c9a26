"""Scrubbing rules: every rule refuses what it should, at the right path, and lets the
rest through; messages never repeat claim data; rules stay independent of each other."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.domain.claim import Claim
from gateway.domain.findings import Finding
from gateway.domain.rules import RULES, all_rules, scrub

ROOT = Path(__file__).resolve().parents[2]
SAMPLE: dict[str, Any] = json.loads(
    (ROOT / "gateway" / "samples" / "claim-example.json").read_text(encoding="utf-8"))
TODAY = dt.date(2026, 11, 28)

# --------------------------------------------------------------------------- helpers

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _TOKEN.findall(path)]


def set_at(doc: dict[str, Any], path: str, value: object) -> None:
    """Set ``value`` at a finding-style path (``service_lines[1].modifiers[0]``)."""
    steps = _steps(path)
    node: Any = doc
    for step in steps[:-1]:
        node = node[step]
    last = steps[-1]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = copy.deepcopy(value)


_DELETE = object()


def build(*edits: tuple[str, object]) -> dict[str, Any]:
    doc = copy.deepcopy(SAMPLE)
    for path, value in edits:
        set_at(doc, path, value)
    return doc


def run(doc: dict[str, Any], today: dt.date = TODAY) -> list[Finding]:
    return scrub(Claim.model_validate(doc), today=today)


def leaf_values(value: object) -> Iterator[str]:
    """Every scalar inside a JSON-like value, as text."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaf_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaf_values(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def leaf_paths(value: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaf_paths(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


# The tax id *type* (EIN/SSN) is a label that messages name on purpose, not claim data.
_LABELS = {"EIN", "SSN"}


def mentions(message: str, value: str) -> bool:
    """Whether ``value`` appears in ``message`` as a token of its own."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", message) is not None


PATIENT: dict[str, Any] = {
    "last_name": "DOE", "first_name": "JIMMY", "birth_date": "2015-06-01", "gender": "M",
    "address": {"line1": "12 ELM ST", "city": "NASHVILLE", "state": "TN", "zip": "37205"},
    "relationship_to_subscriber": "19",
}
REFERRER: dict[str, Any] = {"npi": "1987654328", "last_name": "JONES", "first_name": "MARY",
                            "taxonomy": "207R00000X"}
FACILITY: dict[str, Any] = {
    "name": "RIVERSIDE CLINIC", "npi": "2000000002",
    "address": {"line1": "200 RIVER RD", "city": "NASHVILLE", "state": "TN", "zip": "372051234"},
}
THIRTEEN_DX = ["J06.9", "R05.9", "I10", "E11.9", "Z00.00", "M54.50", "R51.9", "J02.9", "K21.9",
               "E78.5", "N39.0", "R10.9", "F41.1"]


def _lines(count: int) -> list[dict[str, Any]]:
    line = {k: v for k, v in SAMPLE["service_lines"][1].items()
            if k != "line_item_control_number"}
    return [dict(line, charge="1.00") for _ in range(count)]


# A secondary claim: the first plan paid 160.00 of 225.00 and adjusted 65.00 on the lines.
PRIOR_PAYER: dict[str, Any] = {
    "payer_responsibility": "P", "relationship": "18", "group_number": "OG42",
    "claim_filing_indicator": "MB",
    "insured": {"last_name": "DOE", "first_name": "JANE", "member_id": "OTH12345"},
    "payer": {"name": "FIRST PLAN", "payer_id": "FP001"},
    "paid_amount": "160.00",
    "lines": [
        {"line_number": 1, "paid_amount": "130.00", "adjudication_date": "2026-11-20",
         "adjustments": [{"group": "CO", "reason": "45", "amount": "40.00"},
                         {"group": "PR", "reason": "2", "amount": "5.00"}]},
        {"line_number": 2, "paid_amount": "30.00", "adjudication_date": "2026-11-20",
         "procedure_code": "87880", "modifiers": [], "units": "1",
         "adjustments": [{"group": "CO", "reason": "45", "amount": "20.00", "quantity": "1"}]},
    ],
}
secondary = ("subscriber.payer_responsibility", "S")
with_prior = ("other_payers", [PRIOR_PAYER])
TERTIARY_PAYER: dict[str, Any] = {
    "payer_responsibility": "T", "relationship": "01",
    "insured": {"last_name": "DOE", "member_id": "TER777"},
    "payer": {"name": "THIRD PLAN", "payer_id": "TP003"},
}


# A claim with every optional part filled in (and still clean).
FULL: dict[str, Any] = build(
    ("submitter.contact.fax", "6155551213"),
    ("receiver.contact", {"name": "EDI SUPPORT", "phone": "8005550199",
                          "email": "support@sandbox.example", "fax": "8005550198"}),
    ("billing_provider.address.line2", "SUITE 200"),
    ("billing_provider.address.country", "US"),
    ("billing_provider.contact.email", "billing@riverside.example"),
    ("billing_provider.contact.fax", "6155550101"),
    ("pay_to", {"address": {"line1": "PO BOX 4410", "city": "NASHVILLE", "state": "TN",
                            "zip": "37203"}}),
    ("subscriber.middle_name", "Q"),
    ("subscriber.suffix", "JR"),
    ("subscriber.group_name", "ACME CORP"),
    ("subscriber.relationship_to_patient", "19"),
    ("patient", PATIENT),
    ("payer.address.line2", "DEPT 7"),
    ("frequency_code", "7"),
    ("payer_claim_control_number", "PCCN0001"),
    ("onset_date", "2026-10-30"),
    ("accident", {"cause": "OA", "date": "2026-10-30", "state": "TN"}),
    ("prior_authorization", "PA778899"),
    ("referral_number", "RF12345"),
    ("note", "FOLLOW UP VISIT"),
    ("referring_provider", REFERRER),
    ("service_facility", FACILITY),
    ("service_lines[0].place_of_service", "11"),
    ("service_lines[0].service_date_end", "2026-11-03"),
    ("service_lines[0].description", "OFFICE VISIT"),
    ("service_lines[1].ndc", "00002-1433-80"),
    ("service_lines[1].ndc_quantity", "1"),
    ("service_lines[1].ndc_unit", "UN"),
    ("service_lines[1].description", "RAPID STREP TEST"),
    secondary, ("other_payers", [PRIOR_PAYER, TERTIARY_PAYER]),
)


# ----------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    """Put ``value`` at ``path`` (after the scene-setting ``edits``).

    A failing case must produce a finding of ``rule`` at ``expect`` (default: ``path``)
    and no finding of any rule outside ``{rule} | also``. A passing case must produce
    no finding at all.
    """

    rule: str
    path: str
    value: object
    name: str
    edits: tuple[tuple[str, object], ...] = ()
    expect: str | None = None
    also: frozenset[str] = field(default_factory=frozenset)
    secret: tuple[str, ...] | None = None  # the offending values, when not all of `value`

    def doc(self) -> dict[str, Any]:
        return build(*self.edits, (self.path, self.value))


def fail(rule: str, path: str, value: object, name: str, *edits: tuple[str, object],
         expect: str | None = None, also: tuple[str, ...] = (),
         secret: tuple[str, ...] | None = None) -> Case:
    return Case(rule, path, value, name, edits, expect, frozenset(also), secret)


def ok(rule: str, path: str, value: object, name: str, *edits: tuple[str, object]) -> Case:
    return Case(rule, path, value, name, edits)


with_patient = ("patient", PATIENT)
not_self = ("subscriber.relationship_to_patient", "19")

FAILING: list[Case] = [
    # PRV
    fail("PRV-001", "billing_provider.npi", "1234567890", "bad check digit"),
    fail("PRV-001", "billing_provider.npi", "3234567891", "first digit not 1 or 2"),
    fail("PRV-001", "billing_provider.npi", "123456789", "nine digits"),
    fail("PRV-001", "billing_provider.npi", "12345678931", "eleven digits"),
    fail("PRV-001", "billing_provider.npi", "12345678A3", "a letter"),
    fail("PRV-002", "rendering_provider.npi", "1045678900", "rendering check digit"),
    fail("PRV-002", "referring_provider.npi", "1987654320", "referring check digit",
         ("referring_provider", REFERRER)),
    fail("PRV-002", "service_facility.npi", "20000000", "facility too short",
         ("service_facility", FACILITY)),
    fail("PRV-009", "referral_number", "RF12345", "referral without referrer",
         expect="referring_provider"),
    fail("PRV-010", "rendering_provider.first_name", _DELETE, "rendering person, no first name"),
    fail("PRV-010", "rendering_provider.first_name", "", "rendering first name blank"),
    fail("PRV-010", "billing_provider.organization_name", _DELETE, "sole practitioner, no first",
         ("billing_provider.last_name", "WELBY"), expect="billing_provider.first_name"),
    fail("PRV-010", "referring_provider.first_name", _DELETE, "referring person, no first name",
         ("referring_provider", REFERRER)),
    fail("PRV-012", "billing_provider.address.line1", "PO BOX 123", "PO BOX"),
    fail("PRV-012", "billing_provider.address.line1", "P.O. Box 77", "P.O. Box, mixed case"),
    fail("PRV-012", "billing_provider.address.line1", "P O BOX 9", "P O BOX"),
    fail("PRV-012", "billing_provider.address.line1", "POST OFFICE BOX 5", "POST OFFICE BOX"),
    fail("PRV-012", "billing_provider.address.line1", "LOCKBOX 778", "LOCKBOX"),
    fail("PRV-012", "billing_provider.address.line1", "100 MAIN ST PMB 12", "PMB"),
    fail("PRV-012", "billing_provider.address.line2", "POB 4410", "POB on line 2"),
    fail("PRV-013", "billing_provider.address.zip", "37203", "five-digit billing ZIP"),
    fail("PRV-013", "billing_provider.address.zip", "37203-1234", "hyphenated ZIP+4"),
    fail("PRV-014", "subscriber.address.zip", "3720", "four digits"),
    fail("PRV-014", "subscriber.address.zip", "372051", "six digits"),
    fail("PRV-014", "patient.address.zip", "37205-0001", "patient hyphen", not_self, with_patient),
    fail("PRV-014", "payer.address.zip", "6060A", "payer letter"),
    fail("PRV-014", "pay_to", {"address": {"line1": "PO BOX 1", "city": "NASHVILLE",
                                           "state": "TN", "zip": "3720"}}, "pay-to short",
         expect="pay_to.address.zip"),
    fail("PRV-013", "service_facility.address.zip", "37205", "facility five digits",
         ("service_facility", FACILITY)),
    fail("PRV-016", "billing_provider.tax_id.value", "59-1234567", "EIN with hyphen"),
    fail("PRV-016", "billing_provider.tax_id.value", "59123456", "EIN eight digits"),
    fail("PRV-016", "billing_provider.tax_id.value", "000123456", "SSN area 000",
         ("billing_provider.tax_id.type", "SSN")),
    fail("PRV-016", "billing_provider.tax_id.value", "666123456", "SSN area 666",
         ("billing_provider.tax_id.type", "SSN")),
    fail("PRV-016", "billing_provider.tax_id.value", "900123456", "SSN area 9xx",
         ("billing_provider.tax_id.type", "SSN")),
    fail("PRV-016", "billing_provider.tax_id.value", "123001234", "SSN group 00",
         ("billing_provider.tax_id.type", "SSN")),
    fail("PRV-016", "billing_provider.tax_id.value", "123450000", "SSN serial 0000",
         ("billing_provider.tax_id.type", "SSN")),
    fail("PRV-016", "billing_provider.tax_id.value", "123-45-6789", "SSN with hyphens",
         ("billing_provider.tax_id.type", "SSN")),
    fail("PRV-017", "billing_provider.taxonomy", "207Q00000Y", "not ending in X"),
    fail("PRV-017", "rendering_provider.taxonomy", "207q00000x", "lower case"),
    fail("PRV-017", "referring_provider.taxonomy", "207R0000X", "nine characters",
         ("referring_provider", REFERRER)),
    # SUB
    fail("SUB-003", "subscriber.relationship_to_patient", "19", "not self, no patient"),
    fail("SUB-003", "subscriber.relationship_to_patient", "18", "self with a patient",
         with_patient),
    fail("SUB-003", "patient.relationship_to_subscriber", "18", "patient says self",
         not_self, with_patient),
    fail("SUB-003", "patient.relationship_to_subscriber", "99", "unknown relationship code",
         not_self, with_patient),
    fail("PRV-019", "referring_provider", {"npi": "1987654328",
                                           "organization_name": "NORTH CLINIC"},
         "organization as referring provider", expect="referring_provider.last_name"),
    fail("SUB-008", "subscriber.birth_date", None, "patient subscriber without birth date"),
    fail("SUB-008", "subscriber.gender", None, "patient subscriber without gender"),
    fail("SUB-008", "subscriber.address", None, "patient subscriber without address"),
    fail("SUB-005", "subscriber.birth_date", "1876-11-28", "subscriber aged 150"),
    fail("SUB-005", "subscriber.birth_date", "2026-11-29", "subscriber born tomorrow",
         also=("CLM-012",)),
    fail("SUB-005", "patient.birth_date", "2027-01-01", "patient born next year",
         not_self, with_patient, also=("CLM-012",)),
    fail("SUB-007", "subscriber.claim_filing_indicator", "XX", "unknown code"),
    fail("SUB-007", "subscriber.claim_filing_indicator", "10", "unassigned number"),
    fail("SUB-007", "subscriber.claim_filing_indicator", "ci", "lower case"),
    # CLM
    fail("CLM-001", "total_charge", "224.99", "a cent short"),
    fail("CLM-001", "total_charge", "450.00", "double"),
    fail("CLM-002", "total_charge", "0.00", "zero claim",
         ("service_lines[0].charge", "50.00"), ("service_lines[1].charge", "-50.00"),
         also=("LINE-006",)),
    fail("CLM-003", "patient_control_number", "RFM-2026-0001-ABCDEFG", "21 characters"),
    fail("CLM-005", "frequency_code", "7", "replacement without number",
         expect="payer_claim_control_number"),
    fail("CLM-005", "frequency_code", "8", "void without number",
         expect="payer_claim_control_number"),
    fail("CLM-005", "payer_claim_control_number", "PCCN0001", "original with number"),
    fail("CLM-006", "place_of_service", "00", "00"),
    fail("CLM-006", "place_of_service", "28", "unassigned 28"),
    fail("CLM-006", "place_of_service", "AA", "letters"),
    fail("CLM-006", "place_of_service", "1", "one digit"),
    fail("CLM-007", "service_lines[0].service_date_end", "2026-11-01", "end before start"),
    fail("CLM-008", "accident", {"cause": "AA", "date": "2026-11-03", "state": "TN"},
         "accident after service",
         expect="accident.date"),
    fail("CLM-008", "accident", {"cause": "AA", "date": "2026-11-03", "state": "TN"},
         "accident between lines",
         ("service_lines[1].service_date", "2026-11-05"), expect="accident.date"),
    fail("CLM-008", "accident", {"cause": "EM", "date": "2026-12-01"}, "accident in the future",
         expect="accident.date"),
    fail("CLM-013", "accident", {"cause": "AA", "date": "2026-11-01"},
         "auto accident without a state", expect="accident.state"),
    fail("CLM-008", "onset_date", "2026-11-03", "onset after last service"),
    fail("CLM-008", "onset_date", "2026-11-29", "onset in the future"),
    fail("CLM-009", "service_lines[0].service_date", "2015-09-30", "day before ICD-10"),
    fail("CLM-009", "service_lines[1].service_date", "2012-01-05", "ICD-9 era line"),
    fail("CLM-012", "subscriber.birth_date", "2026-11-03", "served before birth",
         expect="service_lines[0].service_date"),
    fail("CLM-012", "patient.birth_date", "2026-11-10", "end date before patient birth",
         not_self, with_patient, ("service_lines[0].service_date", "2026-11-10"),
         ("service_lines[1].service_date", "2026-11-10"),
         ("service_lines[1].service_date_end", "2026-11-12"),
         ("service_lines[0].service_date_end", "2026-11-09"),
         expect="service_lines[0].service_date_end", also=("CLM-007",)),
    # DX
    fail("DX-001", "diagnoses[1]", "M54.5", "category M54.5"),
    fail("DX-001", "diagnoses[1]", "E11", "category E11"),
    fail("DX-001", "diagnoses[1]", "ZZZ.9", "unknown code"),
    fail("DX-001", "diagnoses[1]", "250.00", "ICD-9 code"),
    fail("DX-001", "diagnoses[1]", "A00-A09", "a block"),
    fail("DX-001", "diagnoses[1]", "1", "a chapter"),
    fail("DX-004", "diagnoses", ["J06.9", "R05.9", "j069"], "same code other spelling",
         expect="diagnoses[2]"),
    fail("DX-004", "diagnoses", ["J06.9", "J06.9"], "primary repeated",
         expect="diagnoses[1]"),
    fail("DX-005", "diagnoses[0]", "W19.XXXA", "fall as principal"),
    fail("DX-005", "diagnoses[0]", "v00.01xa", "lower-case external cause"),
    fail("DX-005", "diagnoses[0]", "X58.XXXA", "exposure code as principal"),
    fail("DX-005", "diagnoses[0]", "Y93.01", "activity code as principal"),
    fail("DX-007", "service_lines[0].diagnosis_pointers", [1, 3], "pointer past the list",
         expect="service_lines[0].diagnosis_pointers[1]", secret=("3",)),
    fail("DX-007", "service_lines[1].diagnosis_pointers", [0], "pointer zero",
         expect="service_lines[1].diagnosis_pointers[0]"),
    fail("DX-007", "service_lines[1].diagnosis_pointers", [-1], "negative pointer",
         expect="service_lines[1].diagnosis_pointers[0]"),
    fail("DX-007", "service_lines[0].diagnosis_pointers", [2, 2], "repeated pointer",
         expect="service_lines[0].diagnosis_pointers[1]", secret=("2",)),
    # LIM
    fail("LIM-001", "diagnoses", THIRTEEN_DX, "thirteen diagnoses"),
    fail("LIM-002", "service_lines", _lines(51), "51 lines", ("total_charge", "51.00")),
    fail("LIM-003", "service_lines[0].modifiers", ["25", "59", "76", "77", "XE"],
         "five modifiers"),
    fail("LIM-004", "service_lines[0].diagnosis_pointers", [1, 2, 3, 4, 5], "five pointers",
         ("diagnoses", THIRTEEN_DX[:5]), secret=()),  # the count is the problem, not a value
    # LINE
    fail("LINE-002", "service_lines[0].procedure_code", "9921", "four digits",
         expect="service_lines[0].procedure_code"),
    fail("LINE-002", "service_lines[0].procedure_code", "992145", "six digits"),
    fail("LINE-002", "service_lines[1].procedure_code", "j1100", "lower-case HCPCS"),
    fail("LINE-002", "service_lines[1].procedure_code", "W1234", "HCPCS letter W"),
    fail("LINE-002", "service_lines[1].procedure_code", "0001G", "category suffix G"),
    fail("LINE-002", "service_lines[1].procedure_code", "99 214", "a space"),
    fail("LINE-003", "service_lines[0].modifiers[0]", "2", "one character"),
    fail("LINE-003", "service_lines[1].modifiers[0]", "qw", "lower case"),
    fail("LINE-003", "service_lines[1].modifiers[0]", "-5", "punctuation"),
    fail("LINE-003", "service_lines[0].modifiers", ["25", "59", "25"], "repeated modifier",
         expect="service_lines[0].modifiers[2]"),
    fail("LINE-006", "service_lines[0].charge", "0.00", "zero charge",
         ("total_charge", "50.00")),
    fail("LINE-006", "service_lines[0].charge", "-25.00", "negative charge",
         ("total_charge", "25.00")),
    fail("LINE-007", "service_lines[1].units", "0", "zero units"),
    fail("LINE-007", "service_lines[1].units", "-1", "negative units"),
    fail("LINE-008", "service_lines[1].service_date", "2026-11-29", "service tomorrow"),
    fail("LINE-008", "service_lines[1].service_date_end", "2026-12-02", "range ends later"),
    fail("LINE-009", "service_lines[1].line_item_control_number",
         "L" * 31, "31 characters"),
    fail("LINE-009", "service_lines[1].line_item_control_number", "RFM0001-1",
         "same as line 1"),
    fail("LINE-010", "service_lines[0].place_of_service", "35", "unassigned 35"),
    fail("LINE-010", "service_lines[1].place_of_service", "", "empty"),
    # NDC
    fail("NDC-001", "service_lines[1].ndc", "0002-1433-80", "ten-digit NDC",
         ("service_lines[1].ndc_quantity", "2"), ("service_lines[1].ndc_unit", "ML")),
    fail("NDC-001", "service_lines[1].ndc", "00002-1433-8O", "letter O",
         ("service_lines[1].ndc_quantity", "2"), ("service_lines[1].ndc_unit", "ML")),
    fail("NDC-002", "service_lines[1].ndc", "00002143380", "NDC without quantity",
         ("service_lines[1].ndc_unit", "ML"), expect="service_lines[1].ndc_quantity"),
    fail("NDC-002", "service_lines[1].ndc", "00002143380", "NDC without unit",
         ("service_lines[1].ndc_quantity", "2"), expect="service_lines[1].ndc_unit"),
    fail("NDC-002", "service_lines[1].ndc_quantity", "0", "NDC quantity zero",
         ("service_lines[1].ndc", "00002143380"), ("service_lines[1].ndc_unit", "ML")),
    # ENV
    fail("ENV-006", "billing_provider.contact.phone", "615555010", "nine digits"),
    fail("ENV-006", "billing_provider.contact.phone", "0155550100", "area code starts 0"),
    fail("ENV-006", "billing_provider.contact.phone", "6151550100", "exchange starts 1"),
    fail("ENV-006", "submitter.contact.phone", "1-615-555-1212", "with country code"),
    fail("ENV-006", "submitter.contact.phone", "+16155551212", "plus sign"),
    fail("ENV-006", "receiver.contact", {"phone": "615-555-1212 X12"}, "extension",
         expect="receiver.contact.phone"),
    fail("ENV-010", "note", "BP: 120/80", "colon in a note"),
    fail("ENV-010", "billing_provider.address.line1", "100 MAIN ST~", "tilde"),
    fail("ENV-010", "subscriber.last_name", "O>NEIL", "greater-than"),
    fail("ENV-010", "payer.name", "EXAMPLE\x07PLAN", "control character"),
    fail("ENV-010", "submitter.contact.email", "a|b@acme.example", "pipe in a nested model"),
    fail("ENV-010", "service_lines[0].description", "LINE\nTWO", "newline"),
    fail("ENV-010", "service_lines[0].description", "A\u2028B", "unicode line separator"),
    fail("ENV-010", "service_lines[1].modifiers[0]", "Q^", "caret in a list item",
         also=("LINE-003",)),
    fail("ENV-010", "diagnoses[1]", "R05*9", "star in a diagnosis", also=("DX-001",)),
    # COB / PAY
    fail("COB-001", "other_payers[0].paid_amount", "150.00", "prior payer ten short",
         secondary, with_prior, secret=("150.00", "150")),
    fail("COB-001", "other_payers[0].adjustments", [{"group": "OA", "reason": "23",
                                                     "amount": "1.00"}],
         "extra claim adjustment", secondary, with_prior,
         expect="other_payers[0].paid_amount", secret=()),
    fail("COB-003", "other_payers[0].lines[1].paid_amount", "31.00", "line a dollar over",
         secondary, with_prior, also=("COB-001",), secret=("31.00",)),
    fail("COB-005", "other_payers[0].lines[1].paid_amount", "-5.00", "negative line paid",
         secondary, with_prior, ("other_payers[0].lines[1].adjustments[0].amount", "55.00"),
         ("other_payers[0].paid_amount", "125.00"), secret=("-5.00",)),
    fail("COB-005", "other_payers[0].paid_amount", "-1.00", "negative claim paid",
         secondary, with_prior, ("other_payers[0].lines", []),
         ("other_payers[0].adjustments", [{"group": "CO", "reason": "45", "amount": "226.00"}]),
         secret=("-1.00",)),
    fail("PAY-002", "other_payers[0].payer_responsibility", "T", "no primary at all",
         secondary, with_prior, expect="subscriber.payer_responsibility", also=("PAY-004",)),
    fail("PAY-002", "subscriber.payer_responsibility", "P", "two primaries", with_prior,
         expect="other_payers[0].payer_responsibility", secret=()),
    fail("PAY-003", "other_payers[1].payer_responsibility", "S", "two secondaries",
         secondary, ("other_payers", [PRIOR_PAYER, TERTIARY_PAYER]), secret=()),
    fail("PAY-004", "subscriber.payer_responsibility", "S", "secondary without prior payers",
         expect="other_payers"),
    fail("PAY-004", "subscriber.payer_responsibility", "T", "tertiary without secondary",
         with_prior, expect="other_payers"),
]

PASSING: list[Case] = [
    ok("PRV-001", "billing_provider.npi", "2123456784", "type 2 NPI"),
    ok("PRV-002", "referring_provider", REFERRER, "valid referring NPI"),
    ok("PRV-002", "service_facility", FACILITY, "valid facility NPI"),
    ok("PRV-002", "service_facility", {k: v for k, v in FACILITY.items() if k != "npi"},
       "facility without NPI"),
    ok("PRV-009", "referral_number", "RF12345", "referral with referrer",
       ("referring_provider", REFERRER)),
    ok("PRV-010", "rendering_provider", {"npi": "1045678905", "organization_name": "LAB CO"},
       "organization needs no first name"),
    ok("PRV-010", "billing_provider.organization_name", _DELETE, "sole practitioner",
       ("billing_provider.last_name", "WELBY"), ("billing_provider.first_name", "MARCUS")),
    ok("PRV-012", "billing_provider.address.line1", "1 BOXWOOD LN", "BOX inside a word"),
    ok("PRV-012", "billing_provider.address.line1", "500 POST OFFICE SQ", "POST OFFICE SQ"),
    ok("PRV-012", "billing_provider.address.line1", "12 POPLAR ST", "PO inside a word"),
    ok("PRV-013", "billing_provider.address",
       {"line1": "1 KING ST W", "city": "TORONTO", "state": "ON", "zip": "M5H1A1",
        "country": "CA"}, "non-US billing address"),
    ok("PRV-014", "subscriber.address.zip", "372051234", "nine-digit subscriber ZIP"),
    ok("PRV-014", "pay_to", {"address": {"line1": "PO BOX 1", "city": "NASHVILLE",
                                         "state": "TN", "zip": "37203"}}, "pay-to PO box"),
    ok("PRV-016", "billing_provider.tax_id", {"type": "SSN", "value": "123456789"}, "an SSN"),
    ok("PRV-016", "billing_provider.tax_id", {"type": "SSN", "value": "899451234"},
       "SSN area 899"),
    ok("PRV-017", "rendering_provider.taxonomy", "363LF0000X", "nurse practitioner taxonomy"),
    ok("PRV-017", "rendering_provider.taxonomy", _DELETE, "no taxonomy"),
    ok("SUB-003", "patient", PATIENT, "patient child of subscriber", not_self),
    ok("SUB-003", "patient.relationship_to_subscriber", "G8", "other relationship G8",
       not_self, with_patient),
    ok("SUB-005", "subscriber.birth_date", "1876-11-29", "aged 149"),
    ok("PRV-019", "referring_provider", REFERRER, "a physician refers"),
    ok("SUB-008", "subscriber.birth_date", None, "dependant's claim: subscriber demographics "
       "not needed", with_patient, ("subscriber.gender", None), ("subscriber.address", None),
       ("subscriber.relationship_to_patient", None)),
    ok("SUB-003", "subscriber.relationship_to_patient", None, "relationship left to follow "
       "from the patient", with_patient),
    ok("SUB-005", "subscriber.birth_date", "2026-11-02", "born on the service day"),
    ok("SUB-007", "subscriber.claim_filing_indicator", "MB", "Medicare Part B"),
    ok("SUB-007", "subscriber.claim_filing_indicator", "16", "HMO Medicare risk"),
    ok("SUB-007", "subscriber.claim_filing_indicator", "ZZ", "mutually defined"),
    ok("CLM-001", "total_charge", "225", "no decimals"),
    ok("CLM-002", "total_charge", "0.02", "smallest total",
       ("service_lines[0].charge", "0.01"), ("service_lines[1].charge", "0.01")),
    ok("CLM-003", "patient_control_number", "RFM-2026-0001-ABCDEF", "20 characters"),
    ok("CLM-005", "frequency_code", "7", "replacement with number",
       ("payer_claim_control_number", "PCCN0001")),
    ok("CLM-005", "frequency_code", "8", "void with number",
       ("payer_claim_control_number", "PCCN0001")),
    ok("CLM-006", "place_of_service", "02", "telehealth 02"),
    ok("CLM-006", "place_of_service", "10", "telehealth at home 10"),
    ok("CLM-006", "place_of_service", "27", "outreach 27"),
    ok("CLM-006", "place_of_service", "66", "PACE 66"),
    ok("CLM-006", "place_of_service", "99", "other 99"),
    ok("CLM-007", "service_lines[0].service_date_end", "2026-11-02", "one-day range"),
    ok("CLM-007", "service_lines[0].service_date_end", "2026-11-05", "four-day range"),
    ok("CLM-008", "accident", {"cause": "AA", "date": "2026-11-02", "state": "TN"},
       "accident on the day"),
    ok("CLM-013", "accident", {"cause": "AA", "date": "2026-11-01", "state": "KY"},
       "auto accident with its state"),
    ok("CLM-013", "accident", {"cause": "EM", "date": "2026-11-01"},
       "work accident needs no state"),
    ok("CLM-008", "onset_date", "2026-11-04", "onset inside the last range",
       ("service_lines[1].service_date_end", "2026-11-04")),
    ok("CLM-008", "onset_date", "2020-01-01", "old onset"),
    ok("CLM-009", "service_lines[0].service_date", "2015-10-01", "first ICD-10 day"),
    ok("CLM-012", "patient", dict(PATIENT, birth_date="2026-11-02"), "newborn seen at birth",
       not_self),
    # The 837P carries codes without a dot: a misplaced dot is formatting, not an error.
    ok("DX-001", "diagnoses[1]", "R0.59", "misplaced dot normalized"),
    ok("DX-001", "diagnoses", ["j06.9", "R059", "W19.XXXA", "Z3A.01"],
       "case, dot and seven characters"),
    ok("DX-004", "diagnoses", ["J06.9", "J02.9"], "distinct codes"),
    ok("DX-005", "diagnoses", ["S72.001A", "W19.XXXA"], "external cause second"),
    ok("DX-007", "service_lines[0].diagnosis_pointers", [2, 1], "pointers in any order"),
    ok("DX-007", "service_lines[0].diagnosis_pointers", [12], "pointer 12",
       ("diagnoses", THIRTEEN_DX[:12])),
    ok("LIM-001", "diagnoses", THIRTEEN_DX[:12], "twelve diagnoses"),
    ok("LIM-002", "service_lines", _lines(50), "50 lines", ("total_charge", "50.00")),
    ok("LIM-003", "service_lines[0].modifiers", ["25", "59", "76", "XE"], "four modifiers"),
    ok("LIM-004", "service_lines[0].diagnosis_pointers", [1, 2, 3, 4], "four pointers",
       ("diagnoses", THIRTEEN_DX[:4])),
    ok("LINE-002", "service_lines[1].procedure_code", "0001F", "category II"),
    ok("LINE-002", "service_lines[1].procedure_code", "0042T", "category III"),
    ok("LINE-002", "service_lines[1].procedure_code", "0001U", "PLA"),
    ok("LINE-002", "service_lines[1].procedure_code", "0002M", "MAAA"),
    ok("LINE-002", "service_lines[1].procedure_code", "J1100", "HCPCS J"),
    ok("LINE-002", "service_lines[1].procedure_code", "V2020", "HCPCS V"),
    ok("LINE-003", "service_lines[0].modifiers", ["25", "59"], "two distinct modifiers"),
    ok("LINE-003", "service_lines[0].modifiers", [], "no modifiers"),
    ok("LINE-006", "service_lines[0].charge", "0.01", "one cent", ("total_charge", "50.01")),
    ok("LINE-007", "service_lines[1].units", "0.5", "half a unit"),
    ok("LINE-008", "service_lines[1].service_date", "2026-11-28", "service today"),
    ok("LINE-009", "service_lines[1].line_item_control_number", "L" * 30, "30 characters"),
    ok("LINE-009", "service_lines[1].line_item_control_number", _DELETE, "one line without"),
    ok("LINE-010", "service_lines[0].place_of_service", "22", "outpatient hospital"),
    ok("NDC-001", "service_lines[1].ndc", "00002143380", "eleven digits, no hyphens",
       ("service_lines[1].ndc_quantity", "2.5"), ("service_lines[1].ndc_unit", "ML")),
    ok("NDC-002", "service_lines[1].ndc", "00002-1433-80", "hyphenated with quantity",
       ("service_lines[1].ndc_quantity", "1"), ("service_lines[1].ndc_unit", "UN")),
    ok("ENV-006", "billing_provider.contact.phone", "(615) 555-0100", "parentheses"),
    ok("ENV-006", "billing_provider.contact.phone", "615.555.0100", "dots"),
    ok("ENV-006", "submitter.contact.phone", "615 555 1212", "spaces"),
    ok("ENV-010", "note", "BP 120/80, O'NEIL #2 & CO. (RECHECK) @ 3PM; 50% = OK!",
       "ordinary punctuation"),
    ok("COB-001", "other_payers", [PRIOR_PAYER], "balanced secondary claim", secondary),
    ok("COB-001", "other_payers[0].lines", [], "claim-level adjudication only",
       secondary, with_prior, ("other_payers[0].adjudication_date", "2026-11-20"),
       ("other_payers[0].adjustments", [{"group": "CO", "reason": "45", "amount": "60.00"},
                                        {"group": "PR", "reason": "1", "amount": "5.00"}])),
    ok("COB-003", "other_payers[0].lines[1].units", "1.000", "line units given", secondary,
       with_prior),
    ok("COB-005", "other_payers[0].lines[1].paid_amount", "0.00", "line paid nothing",
       secondary, with_prior, ("other_payers[0].lines[1].adjustments[0].amount", "50.00"),
       ("other_payers[0].paid_amount", "130.00")),
    ok("PAY-002", "subscriber.payer_responsibility", "P", "primary claim listing a later payer",
       ("other_payers", [TERTIARY_PAYER])),
    ok("PAY-003", "other_payers", [PRIOR_PAYER, TERTIARY_PAYER], "P, S and T", secondary),
    ok("PAY-004", "other_payers", [dict(TERTIARY_PAYER, payer_responsibility="S"),
                                   PRIOR_PAYER], "tertiary claim, payers in any order",
       ("subscriber.payer_responsibility", "T")),
]


def _id(case: Case) -> str:
    return f"{case.rule} {case.name}"


# -------------------------------------------------------------------------- tests


def test_sample_claim_is_clean() -> None:
    """The shipped example claim passes every rule."""
    assert run(copy.deepcopy(SAMPLE)) == []


def test_claim_with_every_optional_part_is_clean() -> None:
    """A claim using every optional field (patient, referrer, facility, NDC...) is clean."""
    assert run(FULL) == []


@pytest.mark.parametrize("case", FAILING, ids=_id)
def test_rule_refuses(case: Case) -> None:
    """The rule reports the bad value at the expected path, and no unrelated rule fires."""
    findings = run(case.doc())
    assert (case.rule, case.expect or case.path) in {(f.rule, f.path) for f in findings}
    assert {f.rule for f in findings} <= {case.rule} | case.also


@pytest.mark.parametrize("case", PASSING, ids=_id)
def test_rule_accepts(case: Case) -> None:
    """An edge-of-valid value passes the rule (and every other rule)."""
    assert run(case.doc()) == []


def test_every_rule_has_failing_and_passing_cases() -> None:
    """Each registered rule is exercised both ways by the tables above."""
    assert {c.rule for c in FAILING} == set(RULES)
    assert {c.rule for c in PASSING} == set(RULES)


@pytest.mark.parametrize("case", FAILING, ids=_id)
def test_messages_never_repeat_claim_values(case: Case) -> None:
    """No finding message contains the offending value or any other value of the claim."""
    doc = case.doc()
    findings = run(doc)
    assert findings
    if case.secret is not None:
        offending = list(case.secret)
    elif case.value is _DELETE:
        offending = []
    else:
        offending = [v for v in leaf_values(case.value) if v.strip()]
    everything = [v for v in leaf_values(doc) if len(v.strip()) >= 3 and v not in _LABELS]
    for finding in findings:
        for value in offending + everything:
            assert not mentions(finding.message, value.strip()), (finding, value)


_PHI_FIELDS = [
    "billing_provider.npi", "billing_provider.tax_id.value", "billing_provider.taxonomy",
    "billing_provider.address.line1", "billing_provider.address.zip",
    "billing_provider.contact.phone", "subscriber.address.zip", "subscriber.last_name",
    "subscriber.claim_filing_indicator", "patient_control_number", "place_of_service",
    "payer_claim_control_number", "note", "diagnoses[0]", "diagnoses[1]",
    "rendering_provider.npi", "service_lines[0].procedure_code",
    "service_lines[0].line_item_control_number", "service_lines[1].ndc",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(path=st.sampled_from(_PHI_FIELDS),
       text=st.text(alphabet=string.ascii_uppercase + string.digits + ".*~:^ ",
                    min_size=5, max_size=11))
def test_messages_never_echo_random_values(path: str, text: str) -> None:
    """Whatever text lands in a field, no finding message repeats it."""
    value = text.strip()
    # At least two letters and two digits: not a word or number our fixed wording uses.
    assume(len(value) >= 5 and sum(c.isdigit() for c in value) >= 2
           and sum(c.isalpha() for c in value) >= 2)
    try:
        claim = Claim.model_validate(build((path, value)))
    except ValidationError:
        reject()
    for finding in scrub(claim, today=TODAY):
        assert value not in finding.message


def test_every_text_field_is_scanned_for_separators() -> None:
    """ENV-010 finds a separator in any text field, reporting exactly that field's path."""
    checked = 0
    for path, value in leaf_paths(FULL):
        if not isinstance(value, str) or len(value) < 2:
            continue
        for bad in ("~", "\x1d"):
            doc = copy.deepcopy(FULL)
            set_at(doc, path, value[0] + bad + value[2:])
            try:
                claim = Claim.model_validate(doc)
            except ValidationError:
                continue  # enum / pattern fields: the model already refuses the character
            paths = [f.path for f in scrub(claim, today=TODAY) if f.rule == "ENV-010"]
            assert paths == [path], (path, bad)
            checked += 1
    assert checked > 120


def test_dx001_says_category_for_a_non_billable_header() -> None:
    """DX-001 tells a category (valid but not billable) from a code that does not exist."""
    category = [f for f in run(build(("diagnoses[1]", "M54.5"))) if f.rule == "DX-001"]
    unknown = [f for f in run(build(("diagnoses[1]", "ZZZ.9"))) if f.rule == "DX-001"]
    assert "category" in category[0].message
    assert "category" not in unknown[0].message


def test_one_failure_does_not_hide_another() -> None:
    """A claim wrong in many ways gets a finding from each rule it breaks."""
    doc = build(
        ("billing_provider.npi", "1234567890"),
        ("billing_provider.address.zip", "37203"),
        ("subscriber.claim_filing_indicator", "XX"),
        ("total_charge", "1.00"),
        ("place_of_service", "00"),
        ("diagnoses", ["M54.5", "W19.XXXA", "W19.XXXA"]),
        ("service_lines[0].diagnosis_pointers", [1, 9, 9]),
        ("service_lines[0].modifiers", ["25", "25"]),
        ("service_lines[1].procedure_code", "8788"),
        ("service_lines[1].service_date", "2030-01-01"),
        ("note", "A*B"),
    )
    rules = {f.rule for f in run(doc)}
    assert rules >= {"PRV-001", "PRV-013", "SUB-007", "CLM-001", "CLM-006", "DX-001",
                     "DX-004", "DX-007", "LINE-003", "LINE-002", "LINE-008", "ENV-010"}
    assert "DX-005" not in rules  # the principal is M54.5, not the external cause


def test_rules_survive_empty_lists() -> None:
    """Rules tolerate a claim whose diagnosis and line lists are empty (model bypassed)."""
    claim = Claim.model_validate(copy.deepcopy(SAMPLE)).model_copy(
        update={"diagnoses": [], "service_lines": []})
    assert [(f.rule, f.path) for f in scrub(claim, today=TODAY)] == [("CLM-001", "total_charge")]


def test_each_finding_is_reported_once_per_field() -> None:
    """A field breaking a rule yields one finding, not one per check inside the rule."""
    findings = run(build(("billing_provider.npi", "323456789")))
    assert [(f.rule, f.path) for f in findings] == [("PRV-001", "billing_provider.npi")]


def test_findings_come_in_rule_code_order() -> None:
    """Findings are ordered by rule family and number, so output is stable."""
    doc = build(("subscriber.claim_filing_indicator", "XX"), ("total_charge", "1.00"),
                ("billing_provider.npi", "1234567890"), ("note", "A*B"))
    codes = [f.rule for f in run(doc)]
    assert codes == ["CLM-001", "ENV-010", "PRV-001", "SUB-007"]


def test_today_is_the_reference_date() -> None:
    """Future-date rules judge against the given today, not the clock."""
    doc = build(("service_lines[1].service_date", "2026-11-29"))
    assert [f.rule for f in run(doc, today=dt.date(2026, 11, 28))] == ["LINE-008"]
    assert run(doc, today=dt.date(2026, 11, 29)) == []


def test_rules_registry_is_complete_and_well_formed() -> None:
    """RULES lists every rule once, codes are well formed, descriptions are one line."""
    assert list(RULES) == [r.code for r in all_rules()]
    assert len(RULES) == 49
    for code, description in RULES.items():
        assert re.fullmatch(r"[A-Z]{2,4}-[0-9]{3}", code)
        assert description and "\n" not in description and len(description) <= 120
    with pytest.raises(TypeError):
        RULES["XXX-001"] = "nope"  # type: ignore[index]


def test_docs_table_lists_every_rule() -> None:
    """docs/rules.md has one table row per rule code, and no row for a code that is gone."""
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `?([A-Z]{2,4}-[0-9]{3})`? \|", text, flags=re.MULTILINE)
    assert sorted(documented) == sorted(RULES)


# ---------------------------------------------------------------- robustness property

_dates = st.dates(min_value=dt.date(1870, 1, 1), max_value=dt.date(2030, 12, 31))
_dx = st.sampled_from(["J06.9", "R05.9", "M54.5", "W19.XXXA", "250.00", "1", "ZZZ", "j069",
                       "E11.9", "V00.01XA"])


@st.composite
def _messy_claims(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(SAMPLE)
    doc["diagnoses"] = draw(st.lists(_dx, min_size=1, max_size=14))
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        line: dict[str, Any] = {
            "procedure_code": draw(st.sampled_from(["99214", "9921", "J1100", "0001F", "x"])),
            "modifiers": draw(st.lists(st.sampled_from(["25", "QW", "q", "59"]), max_size=6)),
            "charge": str(draw(st.decimals(-100, 500, places=2))),
            "units": str(draw(st.decimals(-2, 10, places=1))),
            "diagnosis_pointers": draw(st.lists(st.integers(-3, 16), min_size=1, max_size=6)),
            "service_date": draw(_dates).isoformat(),
        }
        if draw(st.booleans()):
            line["service_date_end"] = draw(_dates).isoformat()
        if draw(st.booleans()):
            line["ndc"] = draw(st.sampled_from(["00002143380", "1234", "0002-1433-80"]))
        lines.append(line)
    doc["service_lines"] = lines
    doc["total_charge"] = str(draw(st.decimals(-10, 1000, places=2)))
    doc["subscriber"]["birth_date"] = draw(_dates).isoformat()
    if draw(st.booleans()):
        doc["patient"] = dict(PATIENT, birth_date=draw(_dates).isoformat(),
                              relationship_to_subscriber=draw(st.sampled_from(["19", "18"])))
    if draw(st.booleans()):
        doc["accident"] = {"cause": "AA", "date": draw(_dates).isoformat()}
    if draw(st.booleans()):
        doc["onset_date"] = draw(_dates).isoformat()
    return doc


@settings(max_examples=200, deadline=None)
@given(doc=_messy_claims())
def test_rules_never_crash_and_paths_point_into_the_document(doc: dict[str, Any]) -> None:
    """On any parseable claim, scrub returns findings whose paths lead into the input."""
    findings = scrub(Claim.model_validate(doc), today=TODAY)
    for finding in findings:
        assert finding.rule in RULES
        assert_path_leads_into(doc, finding.path)


def assert_path_leads_into(doc: dict[str, Any], path: str) -> None:
    """Every step exists, except that a last *field* may be absent (an omitted optional)."""
    node: Any = doc
    steps = _steps(path)
    for step in steps[:-1]:
        node = node[step]
    if isinstance(steps[-1], int):
        assert isinstance(node, list) and steps[-1] < len(node)
    else:
        assert isinstance(node, dict)
