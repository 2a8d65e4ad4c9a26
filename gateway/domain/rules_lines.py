"""Rules on each service line (LINE) and its drug identification (NDC)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gateway.domain.claim import Claim
from gateway.domain.codes import PLACE_OF_SERVICE
from gateway.domain.findings import Finding
from gateway.domain.rules_core import Context, line_path, rule

MAX_LINE_ITEM_CONTROL_NUMBER = 30

# CPT category I (5 digits); category II, III, PLA and MAAA (4 digits + F, T, U or M);
# HCPCS Level II (a letter A-V + 4 digits). Upper case only.
_PROCEDURE = re.compile(r"[0-9]{5}|[0-9]{4}[FTUM]|[A-V][0-9]{4}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_NDC = re.compile(r"[0-9]{11}")


@rule("LINE-002", "Procedure code is shaped like a CPT or HCPCS Level II code")
def procedure_code_shape(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        if not _PROCEDURE.fullmatch(line.procedure_code):
            yield Finding("LINE-002", line_path(i, "procedure_code"),
                          "Procedure code is not a CPT or HCPCS code: expected 5 digits, 4 "
                          "digits and F, T, U or M, or a letter A to V and 4 digits, in upper "
                          "case.")


@rule("LINE-003", "Modifiers are 2 upper-case letters or digits, none repeated on a line")
def modifiers(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        seen: set[str] = set()
        for j, modifier in enumerate(line.modifiers):
            path = f"service_lines[{i}].modifiers[{j}]"
            if not _MODIFIER.fullmatch(modifier):
                yield Finding("LINE-003", path,
                              "Modifier must be exactly two upper-case letters or digits.")
            elif modifier in seen:
                yield Finding("LINE-003", path,
                              "Modifier repeats an earlier modifier on the same line.")
            seen.add(modifier)


@rule("LINE-006", "Line charge is more than zero")
def line_charge(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        if line.charge <= 0:
            yield Finding("LINE-006", line_path(i, "charge"),
                          "Line charge must be more than zero.")


@rule("LINE-007", "Line units are more than zero")
def line_units(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        if line.units <= 0:
            yield Finding("LINE-007", line_path(i, "units"),
                          "Line units must be more than zero.")


@rule("LINE-008", "No service date is in the future")
def future_service_dates(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        if line.service_date > ctx.today:
            yield Finding("LINE-008", line_path(i, "service_date"),
                          "Service date is in the future: bill a service once it is given.")
        if line.service_date_end is not None and line.service_date_end > ctx.today:
            yield Finding("LINE-008", line_path(i, "service_date_end"),
                          "Service end date is in the future: bill a service once it is given.")


@rule("LINE-009", "Line item control numbers are at most 30 characters and unique within "
                  "the claim")
def line_item_control_numbers(claim: Claim, ctx: Context) -> Iterator[Finding]:
    seen: set[str] = set()
    for i, line in enumerate(claim.service_lines):
        number = line.line_item_control_number
        if number is None:
            continue
        if len(number) > MAX_LINE_ITEM_CONTROL_NUMBER:
            yield Finding("LINE-009", line_path(i, "line_item_control_number"),
                          "Line item control number is longer than 30 characters.")
        elif number in seen:
            yield Finding("LINE-009", line_path(i, "line_item_control_number"),
                          "Line item control number repeats an earlier line's; each line "
                          "needs its own.")
        seen.add(number)


@rule("LINE-010", "Line place of service, when given, is a valid CMS place of service code")
def line_place_of_service(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        if line.place_of_service is not None and line.place_of_service not in PLACE_OF_SERVICE:
            yield Finding("LINE-010", line_path(i, "place_of_service"),
                          "Line place of service is not a valid CMS place of service code.")


@rule("NDC-001", "NDC, when given, is 11 digits (5-4-2) once hyphens are removed")
def ndc_shape(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        if line.ndc is not None and not _NDC.fullmatch(line.ndc.replace("-", "")):
            yield Finding("NDC-001", line_path(i, "ndc"),
                          "NDC must be the 11-digit form (5-4-2, hyphens optional); pad a "
                          "10-digit NDC with a leading zero in the right segment.")


@rule("NDC-002", "A line with an NDC has a drug quantity above zero and a unit of measure")
def ndc_quantity(claim: Claim, ctx: Context) -> Iterator[Finding]:
    for i, line in enumerate(claim.service_lines):
        if line.ndc is None:
            continue
        if line.ndc_quantity is None or line.ndc_quantity <= 0:
            yield Finding("NDC-002", line_path(i, "ndc_quantity"),
                          "NDC quantity must be given and more than zero when an NDC is given.")
        if line.ndc_unit is None:
            yield Finding("NDC-002", line_path(i, "ndc_unit"),
                          "NDC unit of measure (F2, GR, ME, ML or UN) is required when an NDC "
                          "is given.")
