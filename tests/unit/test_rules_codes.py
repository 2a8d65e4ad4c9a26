"""The code lists and helper checks the scrubbing rules rely on."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.codes import (
    CLAIM_FILING_INDICATORS,
    PATIENT_RELATIONSHIPS,
    PLACE_OF_SERVICE,
    IcdStatus,
    icd10cm_status,
    load_code_list,
    normalize_icd10cm,
)
from gateway.domain.rules_core import age_in_years, npi_is_valid, rule

# CMS POS code set, version 2024-05-02: every assigned code.
_ASSIGNED_POS = (
    {f"{n:02d}" for n in range(1, 28)}
    | {"31", "32", "33", "34", "41", "42"}
    | {f"{n}" for n in range(49, 59)}
    | {"60", "61", "62", "65", "66", "71", "72", "81", "99"}
)


def test_place_of_service_list_is_the_cms_code_set() -> None:
    """The shipped POS list holds exactly the 52 assigned CMS codes."""
    assert set(PLACE_OF_SERVICE) == _ASSIGNED_POS
    assert len(PLACE_OF_SERVICE) == 52


@pytest.mark.parametrize(("code", "name"), [
    ("01", "Pharmacy"), ("02", "Telehealth Provided Other than in Patient's Home"),
    ("10", "Telehealth Provided in Patient's Home"), ("11", "Office"), ("12", "Home"),
    ("27", "Outreach Site/Street"), ("99", "Other Place of Service"),
])
def test_place_of_service_names(code: str, name: str) -> None:
    """Well-known POS codes carry their CMS short names."""
    assert PLACE_OF_SERVICE[code] == name


@pytest.mark.parametrize("code", ["00", "28", "29", "30", "35", "40", "43", "48", "59", "63",
                                  "64", "67", "70", "73", "80", "82", "98", "1", "011", "AA"])
def test_unassigned_place_of_service_codes_are_absent(code: str) -> None:
    """Unassigned or malformed POS values are not in the list."""
    assert code not in PLACE_OF_SERVICE


def test_claim_filing_indicators_are_the_sbr09_codes() -> None:
    """SBR09 holds exactly the 5010 claim filing indicator codes."""
    assert set(CLAIM_FILING_INDICATORS) == {
        "11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM",
        "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ"}


def test_patient_relationships_exclude_self() -> None:
    """PAT01 codes for a separate patient are the eight 5010 codes, 18 (self) not among them."""
    assert set(PATIENT_RELATIONSHIPS) == {"01", "19", "20", "21", "39", "40", "53", "G8"}


def test_code_lists_are_read_only() -> None:
    """A loaded code list cannot be changed by a caller."""
    with pytest.raises(TypeError):
        PLACE_OF_SERVICE["00"] = "Nowhere"  # type: ignore[index]


def test_load_code_list_rejects_unknown_names() -> None:
    """Asking for a list that is not shipped fails loudly."""
    with pytest.raises(FileNotFoundError):
        load_code_list("no_such_list")


@pytest.mark.parametrize(("code", "status"), [
    ("J06.9", IcdStatus.BILLABLE),
    ("J069", IcdStatus.BILLABLE),
    ("j06.9", IcdStatus.BILLABLE),
    (" R05.9 ", IcdStatus.BILLABLE),
    ("I10", IcdStatus.BILLABLE),
    ("M54.50", IcdStatus.BILLABLE),
    ("W19.XXXA", IcdStatus.BILLABLE),
    ("Z3A.01", IcdStatus.BILLABLE),
    ("M54.5", IcdStatus.NOT_BILLABLE),
    ("M545", IcdStatus.NOT_BILLABLE),
    ("E11", IcdStatus.NOT_BILLABLE),
    ("1", IcdStatus.UNKNOWN),
    ("A00-A09", IcdStatus.UNKNOWN),
    ("250.00", IcdStatus.UNKNOWN),
    ("J06.99", IcdStatus.UNKNOWN),
    ("J0.69", IcdStatus.UNKNOWN),
    ("J06.", IcdStatus.UNKNOWN),
    ("", IcdStatus.UNKNOWN),
])
def test_icd10cm_status(code: str, status: IcdStatus) -> None:
    """Leaves are billable, categories are not, chapters/blocks/ICD-9/garbage are unknown."""
    assert icd10cm_status(code) is status


def test_normalize_icd10cm() -> None:
    """Normalizing drops the dot and blanks and upper-cases, as the HI segment wants."""
    assert normalize_icd10cm(" j06.9 ") == "J069"


@pytest.mark.parametrize(("npi", "valid"), [
    ("1234567893", True),  # the CMS example
    ("1045678905", True),
    ("2000000002", True),
    ("1234567890", False),
    ("3234567891", False),
    ("0234567893", False),
    ("123456789", False),
    ("12345678933", False),
    ("123456789O", False),
    ("١٢٣٤٥٦٧٨٩٣", False),  # Arabic-Indic digits are not ASCII digits
])
def test_npi_examples(npi: str, valid: bool) -> None:
    """Known good NPIs pass; wrong check digit, first digit, length or characters fail."""
    assert npi_is_valid(npi) is valid


def _luhn_ok(digits: str) -> bool:
    """Plain Luhn over the full number (an independent implementation)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@given(st.from_regex(r"[12][0-9]{9}", fullmatch=True))
def test_npi_check_matches_luhn_over_80840_prefix(npi: str) -> None:
    """The NPI check agrees with a plain Luhn check of 80840 + the NPI, for any NPI."""
    assert npi_is_valid(npi) is _luhn_ok("80840" + npi)


@pytest.mark.parametrize(("birth", "on", "age"), [
    (dt.date(1980, 4, 12), dt.date(2026, 4, 11), 45),
    (dt.date(1980, 4, 12), dt.date(2026, 4, 12), 46),
    (dt.date(2000, 2, 29), dt.date(2026, 2, 28), 25),
    (dt.date(2000, 2, 29), dt.date(2026, 3, 1), 26),
    (dt.date(2026, 5, 1), dt.date(2026, 4, 1), -1),
])
def test_age_in_years(birth: dt.date, on: dt.date, age: int) -> None:
    """Age counts whole years, leap-day birthdays included, without building dates."""
    assert age_in_years(birth, on) == age


def test_rule_codes_must_be_well_formed_and_unique() -> None:
    """The registry refuses a malformed code and a code registered twice."""
    with pytest.raises(ValueError, match="shaped"):
        rule("prv-1", "bad")
    with pytest.raises(ValueError, match="twice"):
        rule("PRV-001", "again")(lambda claim, ctx: iter(()))
