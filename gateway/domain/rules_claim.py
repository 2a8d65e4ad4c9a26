"""Rules on the claim header and its dates (CLM), diagnoses and pointers (DX), and the
837P repeat limits (LIM)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from gateway.domain.claim import (
    MAX_DIAGNOSES,
    MAX_LINES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    Claim,
    FrequencyCode,
    ServiceLine,
)
from gateway.domain.codes import PLACE_OF_SERVICE, IcdStatus, icd10cm_status, normalize_icd10cm
from gateway.domain.findings import Finding
from gateway.domain.rules_core import Context, line_path, rule

#: First day of ICD-10-CM: earlier services are coded in ICD-9, which we do not send.
ICD10_START = dt.date(2015, 10, 1)
MAX_PATIENT_CONTROL_NUMBER = 20


def _line_dates(line: ServiceLine) -> Iterator[tuple[str, dt.date]]:
    yield "service_date", line.service_date
    if line.service_date_end is not None:
        yield "service_date_end", line.service_date_end


# ------------------------------------------------------------------------------ CLM


@rule("CLM-001", "Total charge equals the sum of the line charges, to the cent")
def total_balances(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if claim.total_charge != sum((line.charge for line in claim.service_lines), Decimal(0)):
        yield Finding("CLM-001", "total_charge",
                      "Total charge does not equal the sum of the service line charges.")


@rule("CLM-002", "Total charge is more than zero")
def total_positive(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if claim.total_charge <= 0:
        yield Finding("CLM-002", "total_charge", "Total charge must be more than zero.")


@rule("CLM-003", "Patient control number is at most 20 characters")
def patient_control_number_length(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if len(claim.patient_control_number) > MAX_PATIENT_CONTROL_NUMBER:
        yield Finding("CLM-003", "patient_control_number",
                      "Patient control number is longer than 20 characters; payers reject "
                      "or truncate it.")


@rule("CLM-005", "A replacement or void (frequency 7 or 8) carries the payer's claim control "
                 "number; an original (1) does not")
def frequency_and_payer_claim_number(claim: Claim, ctx: Context) -> Iterator[Finding]:
    has_number = bool(claim.payer_claim_control_number)
    if claim.frequency_code is FrequencyCode.ORIGINAL:
        if has_number:
            yield Finding("CLM-005", "payer_claim_control_number",
                          "Payer claim control number must be empty on an original claim; "
                          "remove it, or send the claim as a replacement or void.")
    elif not has_number:
        yield Finding("CLM-005", "payer_claim_control_number",
                      "Payer claim control number is required on a replacement or void claim: "
                      "give the number the payer assigned to the original claim.")


@rule("CLM-006", "Claim place of service is a valid CMS place of service code")
def claim_place_of_service(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if claim.place_of_service not in PLACE_OF_SERVICE:
        yield Finding("CLM-006", "place_of_service",
                      "Place of service is not a valid CMS place of service code.")


@rule("CLM-007", "Every service date range ends on or after its start")
def date_ranges(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        if line.service_date_end is not None and line.service_date_end < line.service_date:
            yield Finding("CLM-007", line_path(i, "service_date_end"),
                          "Service end date is before the service start date.")


@rule("CLM-008", "Accident date is not after any service date; onset date is not after the "
                 "last service date nor in the future")
def accident_and_onset(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if not claim.service_lines:
        return
    first = min(line.service_date for line in claim.service_lines)
    last = max(max(line.service_date, line.service_date_end or line.service_date)
               for line in claim.service_lines)
    if claim.accident is not None:
        if claim.accident.date > ctx.today:
            yield Finding("CLM-008", "accident.date", "Accident date is in the future.")
        elif claim.accident.date > first:
            yield Finding("CLM-008", "accident.date",
                          "Accident date is after a service date: a service for an accident "
                          "cannot come before the accident.")
    if claim.onset_date is not None:
        if claim.onset_date > ctx.today:
            yield Finding("CLM-008", "onset_date", "Onset date is in the future.")
        elif claim.onset_date > last:
            yield Finding("CLM-008", "onset_date", "Onset date is after the last service date.")


@rule("CLM-013", "An auto accident (cause AA) names the state it happened in")
def auto_accident_state(claim: Claim, ctx: Context) -> Iterator[Finding]:
    # CLM11-4 is required by the 837P guide when CLM11 carries AA.
    if claim.accident is not None and claim.accident.cause == "AA" and not claim.accident.state:
        yield Finding("CLM-013", "accident.state",
                      "An auto accident needs the state (two-letter code) where it happened.")


@rule("CLM-009", "Service dates are on or after 2015-10-01 (ICD-10-CM)")
def icd10_era(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        for field, date in _line_dates(line):
            if date < ICD10_START:
                yield Finding("CLM-009", line_path(i, field),
                              "Service date is before 1 October 2015, when ICD-10-CM took "
                              "effect; such services need ICD-9 coding, which this gateway "
                              "does not send.")


@rule("CLM-012", "No service date is before the patient's birth date")
def service_after_birth(claim: Claim, ctx: Context) -> Iterator[Finding]:
    birth = claim.the_patient.birth_date
    if birth is None:
        return
    for i, line in enumerate(claim.service_lines):
        for field, date in _line_dates(line):
            if date < birth:
                yield Finding("CLM-012", line_path(i, field),
                              "Service date is before the patient's birth date.")


# ------------------------------------------------------------------------------- DX


@rule("DX-001", "Every diagnosis is a valid, billable (most specific) ICD-10-CM code")
def billable_diagnoses(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, code in enumerate(claim.diagnoses):
        status = icd10cm_status(code)
        if status is IcdStatus.NOT_BILLABLE:
            yield Finding("DX-001", f"diagnoses[{i}]",
                          "Diagnosis is an ICD-10-CM category, not a billable code: use one of "
                          "its more specific codes.")
        elif status is IcdStatus.UNKNOWN:
            yield Finding("DX-001", f"diagnoses[{i}]",
                          "Diagnosis is not a valid ICD-10-CM code (ICD-9 codes are not "
                          "accepted).")


@rule("DX-004", "No diagnosis code appears twice")
def duplicate_diagnoses(claim: Claim, ctx: Context) -> Iterator[Finding]:
    seen: set[str] = set()
    for i, code in enumerate(claim.diagnoses):
        key = normalize_icd10cm(code)
        if key in seen:
            yield Finding("DX-004", f"diagnoses[{i}]",
                          "Diagnosis repeats an earlier diagnosis on this claim; list each "
                          "code once.")
        seen.add(key)


@rule("DX-005", "The principal (first) diagnosis is not an external-cause code (V, W, X, Y)")
def principal_not_external_cause(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if claim.diagnoses and normalize_icd10cm(claim.diagnoses[0])[:1] in ("V", "W", "X", "Y"):
        yield Finding("DX-005", "diagnoses[0]",
                      "Principal diagnosis is an external-cause code, which may not be first: "
                      "list the injury or condition first.")


@rule("DX-007", "Diagnosis pointers are 1 to 12, point at a listed diagnosis, and do not "
                "repeat within a line")
def diagnosis_pointers(claim: Claim, ctx: Context) -> Iterator[Finding]:
    highest = min(len(claim.diagnoses), MAX_DIAGNOSES)
    for i, line in enumerate(claim.service_lines):
        seen: set[int] = set()
        for j, pointer in enumerate(line.diagnosis_pointers):
            path = f"service_lines[{i}].diagnosis_pointers[{j}]"
            if not 1 <= pointer <= highest:
                yield Finding("DX-007", path,
                              "Diagnosis pointer does not point at a diagnosis on this claim "
                              "(pointers count from 1 and go up to 12).")
            elif pointer in seen:
                yield Finding("DX-007", path,
                              "Diagnosis pointer repeats an earlier pointer on the same line.")
            seen.add(pointer)


# ------------------------------------------------------------------------------ LIM


@rule("LIM-001", "At most 12 diagnoses")
def diagnosis_count(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if len(claim.diagnoses) > MAX_DIAGNOSES:
        yield Finding("LIM-001", "diagnoses",
                      "Too many diagnoses: a professional claim carries at most 12.")


@rule("LIM-002", "At most 50 service lines")
def line_count(claim: Claim, ctx: Context) -> Iterator[Finding]:
    if len(claim.service_lines) > MAX_LINES:
        yield Finding("LIM-002", "service_lines",
                      "Too many service lines: a professional claim carries at most 50; split "
                      "it into several claims.")


@rule("LIM-003", "At most 4 modifiers per service line")
def modifier_count(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        if len(line.modifiers) > MAX_MODIFIERS:
            yield Finding("LIM-003", line_path(i, "modifiers"),
                          "Too many modifiers: a service line carries at most 4.")


@rule("LIM-004", "At most 4 diagnosis pointers per service line")
def pointer_count(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        if len(line.diagnosis_pointers) > MAX_POINTERS:
            yield Finding("LIM-004", line_path(i, "diagnosis_pointers"),
                          "Too many diagnosis pointers: a service line carries at most 4.")
